// Bundles the CLI into dist/ with esbuild: one file to load means a faster cold start for the
// desktop clients that spawn the server at launch. Demo-only and HTTP-only code is split into
// chunks that are imported only when used.
//
// Startup cost is mostly V8 compiling the bundle and running module top levels, so the bundle is
// kept small (measured with `npm run bench`; see BENCHMARKS.md):
// - minified (whitespace and syntax; identifiers are kept, so stack traces, error names and zod's
//   "received <Class>" messages still read, at no run-time cost, unlike esbuild's keepNames),
// - zod's 40-odd locales left out: zod registers English itself and nothing here selects another
//   locale (`z.locales` keeps only `en`),
// - `convex/browser` resolved to its HTTP client alone: the package entry also pulls in the
//   WebSocket client (about 120 KB) that this server never uses,
// - the MCP SDK's JSON Schema validator (AJV, about 270 KB executed at import) loaded on its first
//   use instead of at startup: the SDK only needs it for elicitation and JSON-Schema tool inputs,
//   which this server does not use; if that changes it still works, it just loads then.
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fromRoot = (...parts) => path.join(root, ...parts);

/** zod's `locales/index.js` (every locale) → a module exporting only `en`. */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`)
        ? { path: path.resolve(args.resolveDir, args.path), namespace: "zod-english-only" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-english-only" }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: path.dirname(args.path),
      loader: "js",
    }));
  },
};

/** `convex/browser` → convex's HTTP client module (the only thing our code imports from it). */
const convexHttpClientOnly = {
  name: "convex-http-client-only",
  setup(b) {
    b.onResolve({ filter: /^convex\/browser$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}`)
        ? undefined
        : { path: fromRoot("node_modules", "convex", "dist", "esm", "browser", "http_client.js") },
    );
  },
};

/**
 * `@modelcontextprotocol/server/_shims` (Node: `{ DefaultJsonSchemaValidator, process }`) → the same
 * exports, with a validator that requires the real AJV-based one on first use. esbuild bundles the
 * `require` as a lazily initialised module, so its top level runs only then.
 */
const lazyJsonSchemaValidator = {
  name: "lazy-json-schema-validator",
  setup(b) {
    const real = fromRoot("node_modules", "@modelcontextprotocol", "server", "dist", "shimsNode.mjs");
    b.onResolve({ filter: /^@modelcontextprotocol\/server\/_shims$/ }, () => ({
      path: "sdk-shims",
      namespace: "lazy-json-schema-validator",
    }));
    b.onLoad({ filter: /.*/, namespace: "lazy-json-schema-validator" }, () => ({
      contents: `
import process from "node:process";
let Real;
export class DefaultJsonSchemaValidator {
  constructor(ajv) {
    this._ajvArgument = ajv;
    this._real = undefined;
  }
  _load() {
    Real ??= require(${JSON.stringify(real)}).DefaultJsonSchemaValidator;
    this._real ??= new Real(this._ajvArgument);
    return this._real;
  }
  get ajv() {
    return this._load().ajv;
  }
  getValidator(schema) {
    return this._load().getValidator(schema);
  }
}
export { process };
`,
      resolveDir: root,
      loader: "js",
    }));
  },
};

/** The options every bundle of this project uses (the benchmark bundles its SDK floor with them too). */
export const bundleOptions = {
  absWorkingDir: root,
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: "none",
  logLevel: "warning",
  plugins: [zodEnglishOnly, convexHttpClientOnly, lazyJsonSchemaValidator],
  // Some bundled CommonJS dependencies call require(); give ESM output a real one.
  banner: {
    js: "#!/usr/bin/env node\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
};

export function buildCli() {
  // Chunk names carry content hashes: start empty so chunks of older builds don't pile up.
  rmSync(fromRoot("dist"), { recursive: true, force: true });
  return build({
    ...bundleOptions,
    entryPoints: { cli: "src/cli.ts" },
    outdir: "dist",
    splitting: true,
    sourcemap: "linked",
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildCli();
