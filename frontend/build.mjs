// Bundles the browser app into frontend/static/frontend/ (served by Django, never committed).
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const options = {
  // The frame decoder runs in its own Worker (src/sync/decode/worker.ts).
  entryPoints: { app: "src/app/main.tsx", decodeWorker: "src/sync/decode/worker.ts" },
  outdir: "static/frontend",
  bundle: true,
  format: "esm",
  // The recovery phrase's word list loads only when a phrase is shown or typed.
  splitting: true,
  chunkNames: "chunk-[hash]",
  target: ["chrome110", "firefox115", "safari16"],
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "info",
  metafile: true,
  // PeerJS needs only the browser's name from webrtc-adapter (see src/net/webrtcAdapterShim.ts).
  alias: { "webrtc-adapter": "./src/net/webrtcAdapterShim.ts" },
};

if (watch) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  const result = await esbuild.build(options);
  const bytes = Object.values(result.metafile.outputs).reduce((sum, out) => sum + out.bytes, 0);
  console.log(`built ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(1)} KiB`);
}
