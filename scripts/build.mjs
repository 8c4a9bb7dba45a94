// Bundles the CLI into dist/ with esbuild: one file to load means a faster cold start for the
// desktop clients that spawn the server at launch. Demo-only code is split into its own chunk.
import { build } from "esbuild";

await build({
  entryPoints: { cli: "src/cli.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minifySyntax: true,
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  // Some bundled CommonJS dependencies call require(); give ESM output a real one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
