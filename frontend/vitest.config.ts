import { defineConfig } from "vitest/config";

export default defineConfig({
  // fake-indexeddb installs IndexedDB's globals, so the real idb repositories run in Node.
  test: { include: ["test/**/*.test.ts"], environment: "node", setupFiles: ["test/setup.ts"] },
});
