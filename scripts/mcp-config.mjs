// `npm run mcp-config`: prints a ready `mcpServers` entry that runs THIS clone's build, for clients
// to use before (or instead of) the npm package. Pass --demo for a no-account entry. On Linux and
// macOS the entry runs the dist/connvo-mcp launcher (the fast start from a V8 startup snapshot) with
// CONNVO_MCP_NODE naming this node, since desktop apps often have no node on PATH; on Windows,
// which has no sh, it runs node dist/cli.js.
//
// stdout is exactly the JSON, so `npm run mcp-config > entry.json` gives a file a client can read:
// npm writes its "> connvo-mcp@0.1.0 mcp-config" banner into that file before this script runs,
// and when stdout is a file that holds nothing but that banner, the banner is removed first.
// (`npm run -s mcp-config`, npm's silent mode, prints no banner at all.)
import { existsSync, fstatSync, ftruncateSync, readFileSync, writeSync } from "node:fs";
import { fileURLToPath } from "node:url";

const TOKEN_PLACEHOLDER = "<your Connvo access token>";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write("dist/cli.js is missing: run npm ci (or npm run build) first.\n");
  process.exit(1);
}
const demo = process.argv.includes("--demo");
const launcher = fileURLToPath(new URL("../dist/connvo-mcp", import.meta.url));
const fast = process.platform !== "win32" && existsSync(launcher);
const serverEnv = demo ? {} : { CONNVO_TOKEN: TOKEN_PLACEHOLDER, CONNVO_DEPLOYMENT: "prod" };
const env = fast ? { ...serverEnv, CONNVO_MCP_NODE: process.execPath } : serverEnv;
const entry = {
  command: fast ? launcher : process.execPath,
  args: [...(fast ? [] : [cli]), ...(demo ? ["--demo"] : [])],
  ...(Object.keys(env).length > 0 ? { env } : {}),
};
const json = `${JSON.stringify({ mcpServers: { connvo: entry } }, null, 2)}\n`;

/** What `npm run` printed to stdout before starting this script (npm 7 and later). */
function npmBanner(env) {
  if (!env.npm_lifecycle_event || !env.npm_package_name) return undefined;
  const id = env.npm_package_version ? `${env.npm_package_name}@${env.npm_package_version}` : env.npm_package_name;
  return `\n> ${id} ${env.npm_lifecycle_event}\n> ${env.npm_lifecycle_script ?? ""}\n\n`;
}

/**
 * True when stdout is a regular file whose whole content is npm's banner: then it is cleared and
 * the JSON is written from its start. Anything else in the file (an append to an existing file,
 * say) is left alone.
 */
function clearNpmBanner() {
  const banner = npmBanner(process.env);
  if (!banner) return false;
  let stats;
  try {
    stats = fstatSync(1);
  } catch {
    return false;
  }
  if (!stats.isFile() || stats.size !== Buffer.byteLength(banner)) return false;
  // Where the system lets us read our own stdout, check the content too, not just its size.
  try {
    if (readFileSync("/proc/self/fd/1", "utf8") !== banner) return false;
  } catch {
    // No /proc (macOS): the exact size of npm's banner is the check.
  }
  ftruncateSync(1, 0);
  return true;
}

const data = Buffer.from(json);
if (clearNpmBanner()) writeSync(1, data, 0, data.length, 0);
else process.stdout.write(data);
if (!demo) {
  process.stderr.write(
    `Replace ${TOKEN_PLACEHOLDER} with your Connvo access token (README: "Getting a Connvo access token"); connvo-mcp refuses the placeholder without contacting Connvo.\n`,
  );
}
