// Bundles the CLI into dist/ with esbuild: one file to load means a faster cold start for the
// desktop clients that spawn the server at launch. Demo-only and HTTP-only modules in it are
// initialised only when used. The package's bin (dist/connvo-mcp) starts it from a V8 startup
// snapshot where one has been built for the node binary ("Fast start" below).
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
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const fromRoot = (...parts) => path.join(root, ...parts);

/** zod's `locales/index.js` (every locale) → a module exporting only `en`. */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    // The module's path is kept relative to the project: it names the module in source maps.
    b.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`)
        ? {
            path: path.relative(root, path.resolve(args.resolveDir, args.path)).split(path.sep).join("/"),
            namespace: "zod-english-only",
          }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "zod-english-only" }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: path.dirname(path.join(root, args.path)),
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
 * Live watches: convex's WebSocket `ConvexClient` (the variant that takes the `ws` constructor we
 * pass) and `ws` → dist/sync-client.cjs (~150 KB), a file of its own that src/live/syncClient.ts
 * requires on the first watch (and the demo's sync server when --demo starts), so the bundle and
 * the startup snapshot never carry or load it. Loaded relative to the running script, as undici.
 */
const SYNC_CLIENT_ENTRY = `
export { ConvexClient } from "./node_modules/convex/dist/esm/browser/simple_client.js";
export { WebSocket, WebSocketServer } from "ws";
`;
export const syncClientFile = {
  name: "sync-client-file",
  setup(b) {
    const ours = (importer) =>
      !importer.includes(`${path.sep}node_modules${path.sep}`) &&
      (importer.includes(`${path.sep}src${path.sep}live${path.sep}`) ||
        importer.includes(`${path.sep}src${path.sep}demo${path.sep}`));
    b.onResolve({ filter: /^(convex\/browser|ws)$/ }, (args) =>
      ours(args.importer) && (args.path === "ws" || args.importer.includes(`${path.sep}src${path.sep}live${path.sep}`))
        ? { path: "sync-client", namespace: "sync-client-file" }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "sync-client-file" }, () => ({
      contents:
        'const path = require("node:path"); module.exports = require("node:module").createRequire(path.resolve(process.argv[1] || __filename))("./sync-client.cjs");',
      resolveDir: root,
      loader: "js",
    }));
  },
};

async function buildSyncClient() {
  await build({
    ...bundleOptions,
    format: "cjs",
    banner: {},
    plugins: [],
    stdin: { contents: SYNC_CLIENT_ENTRY, resolveDir: root, sourcefile: "sync-client.mjs", loader: "js" },
    outfile: fromRoot("dist", "sync-client.cjs"),
    sourcemap: "linked",
  });
}

/**
 * `@modelcontextprotocol/server/_shims` (Node: `{ DefaultJsonSchemaValidator, process }`) → the same
 * exports, with a validator that requires the real AJV-based one on first use. esbuild bundles the
 * `require` as a lazily initialised module, so its top level runs only then.
 */
const lazyJsonSchemaValidator = {
  name: "lazy-json-schema-validator",
  setup(b) {
    // Relative to resolveDir (the project root), so no absolute build path ends up in the bundle or its maps.
    const real = "./node_modules/@modelcontextprotocol/server/dist/shimsNode.mjs";
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

/**
 * undici, which src/convex/fetch.ts imports on the first backend request, → dist/undici.cjs: only
 * the Agent and the Pool it makes per origin, the request() API and the redirect interceptor (~380 KB instead of the package's
 * ~740 KB with fetch, WebSocket, caches and mocks), in a file of its own that both the plain
 * bundle and the startup snapshot load (a snapshot cannot hold it: it loads node:http, which
 * Node 20 cannot snapshot). Loaded with a require relative to the running bundle.
 */
const UNDICI_SUBSET = `
const Dispatcher = require("undici/lib/dispatcher/dispatcher.js");
Object.assign(Dispatcher.prototype, require("undici/lib/api/index.js"));
module.exports = {
  Agent: require("undici/lib/dispatcher/agent.js"),
  Pool: require("undici/lib/dispatcher/pool.js"),
  interceptors: { redirect: require("undici/lib/interceptor/redirect.js") },
};
`;
/** A module that requires `file` from the directory of the script node was started with. */
const besideTheScript = (file) =>
  // In the snapshot, __filename is where the bundle was when the snapshot was built, which need not
  // be this install; the script node was started with (dist/cli.js) says where this install is.
  `const path = require("node:path"); module.exports = require("node:module").createRequire(path.resolve(process.argv[1] || __filename))(${JSON.stringify(`./${file}`)});`;

export const undiciFile = {
  name: "undici-file",
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}`)
        ? undefined
        : { path: "undici", namespace: "undici-file" },
    );
    b.onLoad({ filter: /.*/, namespace: "undici-file" }, () => ({
      contents: besideTheScript("undici.cjs"),
      resolveDir: root,
      loader: "js",
    }));
  },
};

/**
 * The SDK's AJV-based validator, which lazyJsonSchemaValidator loads on first use, → a file of its
 * own (dist/json-schema-validator.cjs): ~300 KB less source in every start's snapshot.
 */
export const jsonSchemaValidatorFile = {
  name: "json-schema-validator-file",
  setup(b) {
    b.onResolve({ filter: /shimsNode\.mjs$/ }, (args) =>
      args.importer.includes(`${path.sep}node_modules${path.sep}`)
        ? undefined
        : { path: "json-schema-validator", namespace: "json-schema-validator-file" },
    );
    b.onLoad({ filter: /.*/, namespace: "json-schema-validator-file" }, () => ({
      contents: besideTheScript("json-schema-validator.cjs"),
      resolveDir: root,
      loader: "js",
    }));
  },
};

/** The files the bundle loads from beside itself, and what each is built from. */
export const RUNTIME_FILES = {
  "undici.cjs": { contents: UNDICI_SUBSET, sourcefile: "undici-subset.cjs" },
  "json-schema-validator.cjs": {
    contents:
      'module.exports = { DefaultJsonSchemaValidator: require("./node_modules/@modelcontextprotocol/server/dist/shimsNode.mjs").DefaultJsonSchemaValidator };',
    sourcefile: "json-schema-validator.cjs",
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

/**
 * Source maps fit to publish: sources are paths relative to the map (no absolute build path, which
 * would name the builder's machine), and only this project's own sources keep their text; a
 * dependency's is dropped (it is in that package, and it was most of the installed size), while
 * its mappings stay, so stack traces still map to file, line and column.
 */
export function publishableSourceMaps(dir) {
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".map"))) {
    const file = path.join(dir, name);
    const map = JSON.parse(readFileSync(file, "utf8"));
    map.sourcesContent = (map.sourcesContent ?? []).map((text, i) =>
      /(^|[/:])node_modules\//.test(map.sources[i] ?? "") ? null : text,
    );
    writeFileSync(file, JSON.stringify(map));
  }
  for (const name of readdirSync(dir)) {
    const text = readFileSync(path.join(dir, name), "utf8");
    if (text.includes(root) || (path.sep === "/" && text.includes(root.replaceAll("/", "\\/")))) {
      throw new Error(`dist/${name} contains the absolute build path ${root}`);
    }
  }
}

export const BUNDLE = "connvo-mcp.cjs";

/**
 * The server is one CommonJS bundle, dist/connvo-mcp.cjs: what `node --build-snapshot` takes (a
 * snapshot's entry is one script), and what a plain start runs (`node dist/cli.js` loads it). One
 * bundle for both keeps the package small (a second, ESM copy was 3 MB with its maps) and starts
 * as fast as the code-split ESM build did (107 vs 109 ms to --version, BENCHMARKS.md).
 */
export const mainBundleOptions = {
  ...bundleOptions,
  format: "cjs",
  plugins: [syncClientFile, ...bundleOptions.plugins, undiciFile, jsonSchemaValidatorFile],
  // A snapshot's scripts cannot import(): every dynamic import becomes a require of the bundled
  // module, and only built-in modules are required by name (undici is loaded from dist/ by path).
  supported: { "dynamic-import": false },
  define: { "import.meta.url": "__bundle_import_meta_url" },
  banner: { js: 'var __bundle_import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
};

const CLI_STUB = `#!/usr/bin/env node
// connvo-mcp, started without its launcher (dist/connvo-mcp): the server is dist/${BUNDLE}.
import { createRequire } from "node:module";
createRequire(import.meta.url)("./${BUNDLE}");
`;

export async function buildCli() {
  const previous = snapshotIdOf(fromRoot("dist", LAUNCHER));
  // Start empty so files of older builds don't pile up.
  rmSync(fromRoot("dist"), { recursive: true, force: true });
  const result = await build({
    ...mainBundleOptions,
    entryPoints: { [BUNDLE.replace(/\.cjs$/, "")]: "scripts/snapshot-entry.ts" },
    outExtension: { ".js": ".cjs" },
    outdir: "dist",
    sourcemap: "linked",
  });
  writeFileSync(fromRoot("dist", "cli.js"), CLI_STUB);
  chmodSync(fromRoot("dist", "cli.js"), 0o755);
  await buildRuntimeFiles();
  await buildSyncClient();
  const id = writeLauncher();
  publishableSourceMaps(fromRoot("dist"));
  buildSnapshotBlob(id, previous);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Fast start: a V8 startup snapshot of the warmed server (BENCHMARKS.md, cold start)
//
// dist/connvo-mcp.cjs  the server; as a snapshot's entry (scripts/snapshot-entry.ts) it also warms
//                      itself at build time
// dist/cli.js          `node dist/cli.js`: loads dist/connvo-mcp.cjs (no snapshot)
// dist/connvo-mcp      the package's bin: a POSIX sh launcher that starts `node --snapshot-blob
//                      <blob> dist/cli.js` when a blob exists that this exact node binary built
//                      from this exact bundle, `node dist/connvo-mcp.cjs` otherwise (and then it
//                      builds the blob in the background, for the next start)
// the blob             in the user's cache directory, never in dist/ (it is ~9 MB and only valid
//                      for the node binary that built it): $CONNVO_MCP_CACHE_DIR, or
//                      $XDG_CACHE_HOME/connvo-mcp, or ~/.cache/connvo-mcp; snapshot-<id>/ holds
//                      snapshot.blob and `node` (the path of the binary that built it)
// ---------------------------------------------------------------------------------------------

export const LAUNCHER = "connvo-mcp";
/**
 * V8 flags of a start from the snapshot. A snapshot only loads with the flags it was built with
 * (any other V8 flag, even a heap size, makes node exit 14), so the blob is built, checked and
 * started with these; a start without a snapshot gets none (a flag this node might not know would
 * stop it). They bound a long-running server's resident memory (BENCHMARKS.md, memory) at a few
 * percent of CPU per call, where --optimize-for-size cost half of the HTTP throughput: a young
 * generation of at most 8 MB semi-spaces, and an old generation that grows by 20% per collection
 * instead of V8's up-to-4x for small heaps.
 */
export const LAUNCH_FLAGS = ["--max-semi-space-size=8", "--heap-growing-percent=20"];

async function buildRuntimeFiles() {
  for (const [file, { contents, sourcefile }] of Object.entries(RUNTIME_FILES)) {
    await build({
      ...bundleOptions,
      format: "cjs",
      banner: {},
      plugins: [],
      stdin: { contents, resolveDir: root, sourcefile, loader: "js" },
      outfile: fromRoot("dist", file),
      sourcemap: "linked",
    });
  }
}

/** Writes dist/connvo-mcp for this build; returns the snapshot id (a hash of the bundle and flags). */
function writeLauncher() {
  const id = createHash("sha256")
    .update(readFileSync(fromRoot("dist", BUNDLE)))
    .update(LAUNCH_FLAGS.join(" "))
    .digest("hex")
    .slice(0, 16);
  const file = fromRoot("dist", LAUNCHER);
  writeFileSync(file, launcherScript(id));
  chmodSync(file, 0o755);
  return id;
}

function snapshotIdOf(launcher) {
  try {
    return /^snapshot_id=(\w+)$/m.exec(readFileSync(launcher, "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

/** Where the launcher looks for blobs (keep in step with launcherScript). */
export function snapshotCacheDir(env = process.env) {
  if (env.CONNVO_MCP_CACHE_DIR) return env.CONNVO_MCP_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.tmpdir(), ".cache");
  return path.join(base, "connvo-mcp");
}

const launcherScript = (id) => `#!/bin/sh
# connvo-mcp launcher, written by scripts/build.mjs. Starts the server from its V8 startup snapshot
# when this node binary built one from this build (about half the start time), from dist/cli.js
# otherwise; then it builds the snapshot in the background, for the next start. The snapshot is
# skipped when NODE_OPTIONS is set (node refuses a snapshot under other V8 flags) or when
# CONNVO_MCP_SNAPSHOT=0. Windows has no sh: run \`node dist/cli.js\` there.
snapshot_id=${id}
flags="${LAUNCH_FLAGS.join(" ")}"

self=$0
while [ -h "$self" ]; do
  link=$(readlink "$self")
  case $link in
    /*) self=$link ;;
    *) self=\${self%/*}/$link ;;
  esac
done
case $self in
  */*) dist=\${self%/*} ;;
  *) dist=. ;;
esac

# CONNVO_MCP_NODE: the node to run (client entries name one: desktop apps often have no node on
# PATH). Otherwise the first node on PATH, found without starting a subshell.
node=\${CONNVO_MCP_NODE:-}
if [ -z "$node" ]; then
  saved_ifs=$IFS
  IFS=:
  set -f
  for d in $PATH; do
    if [ -f "\${d:-.}/node" ] && [ -x "\${d:-.}/node" ]; then
      node=\${d:-.}/node
      break
    fi
  done
  set +f
  IFS=$saved_ifs
fi
if [ -z "$node" ]; then
  echo "connvo-mcp: node (Node.js 20.19 or newer) is not on PATH; or set CONNVO_MCP_NODE" >&2
  exit 127
fi
cache=\${CONNVO_MCP_CACHE_DIR:-\${XDG_CACHE_HOME:-\${HOME:-/tmp}/.cache}/connvo-mcp}
snap=$cache/snapshot-$snapshot_id

if [ "\${CONNVO_MCP_SNAPSHOT:-1}" != 0 ] && [ -z "\${NODE_OPTIONS:-}" ]; then
  # The blob is used only when the node that built it is this very file, unchanged since.
  if [ -f "$snap/snapshot.blob" ] && read -r built < "$snap/node" && [ "$node" -ef "$built" ] &&
    [ ! "$node" -nt "$snap/snapshot.blob" ]; then
    exec "$node" $flags --snapshot-blob "$snap/snapshot.blob" "$dist/cli.js" "$@"
  fi
  # None for this node yet: build it in the background (one builder at a time; a lock older than
  # 10 minutes is a crashed builder's), detached from the client's pipes.
  if mkdir -p "$cache" 2>/dev/null; then
    find "$cache" -maxdepth 1 -name "$snapshot_id.lock" -mmin +10 -exec rmdir {} \\; 2>/dev/null
    if mkdir "$cache/$snapshot_id.lock" 2>/dev/null; then
      (
        tmp=$cache/tmp-$snapshot_id-$$
        rm -rf "$tmp" && mkdir "$tmp" &&
          nice "$node" $flags --snapshot-blob "$tmp/snapshot.blob" --build-snapshot "$dist/${BUNDLE}" &&
          "$node" $flags --snapshot-blob "$tmp/snapshot.blob" "$dist/cli.js" --version &&
          printf '%s\\n' "$node" > "$tmp/node" && rm -rf "$snap" && mv "$tmp" "$snap"
        rm -rf "$tmp"
        find "$cache" -maxdepth 1 -name 'snapshot-*' -mtime +30 -exec rm -rf {} + 2>/dev/null
        rmdir "$cache/$snapshot_id.lock"
      ) </dev/null >/dev/null 2>&1 &
    fi
  fi
fi
exec "$node" "$dist/${BUNDLE}" "$@"
`;

/**
 * Builds the startup snapshot for this node binary into the cache directory, as the launcher's
 * first start would, and checks that it starts. A failure only costs the fast start (the launcher
 * then starts dist/cli.js), so it is reported, not fatal.
 */
function buildSnapshotBlob(id, previous) {
  const cache = snapshotCacheDir();
  const dir = path.join(cache, `snapshot-${id}`);
  const tmp = path.join(cache, `tmp-${id}-${process.pid}`);
  try {
    mkdirSync(cache, { recursive: true });
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    const blob = path.join(tmp, "snapshot.blob");
    const node = process.execPath;
    const env = { ...process.env, NODE_OPTIONS: "" };
    const made = spawnSync(
      node,
      [...LAUNCH_FLAGS, "--snapshot-blob", blob, "--build-snapshot", fromRoot("dist", BUNDLE)],
      { encoding: "utf8", env },
    );
    if (made.status !== 0) throw new Error(`node --build-snapshot exited ${made.status}: ${tail(made.stderr)}`);
    const check = spawnSync(node, [...LAUNCH_FLAGS, "--snapshot-blob", blob, fromRoot("dist", "cli.js"), "--version"], {
      encoding: "utf8",
      env,
    });
    const version = JSON.parse(readFileSync(fromRoot("package.json"), "utf8")).version;
    if (check.status !== 0 || check.stdout.trim() !== version) {
      throw new Error(`the snapshot does not start (exit ${check.status}): ${tail(check.stderr)}`);
    }
    writeFileSync(path.join(tmp, "node"), `${node}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    // This clone's previous build is replaced, not kept (a blob is ~9 MB).
    if (previous && previous !== id) rmSync(path.join(cache, `snapshot-${previous}`), { recursive: true, force: true });
    const mb = (statSync(path.join(dir, "snapshot.blob")).size / 2 ** 20).toFixed(1);
    process.stderr.write(`build: startup snapshot for ${node} (${mb} MB) in ${dir}\n`);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    process.stderr.write(
      `build: WARNING: no startup snapshot (${error instanceof Error ? error.message : String(error)}); ` +
        "dist/connvo-mcp starts dist/cli.js instead, about twice as slow to start\n",
    );
  }
}

/** The end of a child's stderr, without Node's notes on modules it has not verified in snapshots. */
function tail(text) {
  return text
    .split("\n")
    .filter((line) => line && !/not yet fully verified|may still work|issue tracker|--trace-warnings/.test(line))
    .slice(-6)
    .join(" | ");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildCli();
