// The little of Node the reach simulation uses (the app's tsconfig has no Node types, and the
// browser app must not get them).
declare const process: {
  argv: string[];
  stdout: { write(text: string): boolean };
  stderr: { write(text: string): boolean };
};
declare function setImmediate(fn: () => void): unknown;
declare module "node:fs" {
  export function writeFileSync(path: string, data: string): void;
}
