// npm run build:node — the Node entry as one file, dist/node.mjs.
//
// The JavaScript dependencies are bundled in: on Node 24, loading drizzle-orm's
// hundreds of small ES modules from node_modules grows V8's heap to ~90 MB
// while they compile, and the process keeps that memory (idle RSS 216 MB,
// against 77 MB for the bundle). Left outside: the embedded engine's native
// binding (`libsql`, loaded with require); Scalar's browser bundle for /docs is
// read from disk at run time, never imported.
import { build } from "esbuild";

await build({
  entryPoints: ["src/node.ts"],
  outfile: "dist/node.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22",
  external: ["libsql"],
  // Bundled CommonJS code calls require(); an ES module has none of its own.
  banner: {
    js: 'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);',
  },
  logLevel: "warning",
});
