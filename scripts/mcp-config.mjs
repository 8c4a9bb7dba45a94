// `npm run mcp-config`: prints a ready `mcpServers` entry that runs THIS clone's build with node,
// for clients to use before (or instead of) the npm package. Pass --demo for a no-account entry.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write("dist/cli.js is missing: run npm ci (or npm run build) first.\n");
  process.exit(1);
}
const demo = process.argv.includes("--demo");
const entry = {
  command: process.execPath,
  args: demo ? [cli, "--demo"] : [cli],
  ...(demo ? {} : { env: { CONNVO_TOKEN: "<your Connvo access token>", CONNVO_DEPLOYMENT: "prod" } }),
};
process.stdout.write(`${JSON.stringify({ mcpServers: { connvo: entry } }, null, 2)}\n`);
