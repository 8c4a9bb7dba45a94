/**
 * connvo-mcp's command line. Parses flags, loads configuration (never fatal: problems are
 * reported once on stderr and then by every tool call), and starts a transport.
 */
import { parseArgs } from "node:util";
import { type ConfigOverrides, loadConfig, type ServerConfig } from "./config/config.js";
import { createBackendProvider } from "./convex/provider.js";
import { log, registerSecret } from "./log.js";
import { createServerFactory } from "./server.js";
import { runStdio } from "./transports/stdio.js";
import { VERSION } from "./version.js";

const HELP = `connvo-mcp ${VERSION}: MCP server for Connvo meetings

Usage: connvo-mcp [options]

Options:
  --demo                 Serve against the embedded demo deployment (no Connvo account needed)
  --deployment <name>    dev | staging | prod (env CONNVO_DEPLOYMENT, default prod)
  --convex-url <url>     Any other Convex deployment URL (env CONNVO_CONVEX_URL)
  --timeout-ms <ms>      Deadline for each backend call (env CONNVO_TIMEOUT_MS, default 10000)
  -h, --help             Show this help
  -v, --version          Show the version

Environment:
  CONNVO_TOKEN           Your Connvo (WorkOS-issued) access token, sent as the bearer token

Speaks MCP over stdio. Logs go to stderr.
`;

function parseCli(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
      demo: { type: "boolean" },
      deployment: { type: "string" },
      "convex-url": { type: "string" },
      "timeout-ms": { type: "string" },
    },
  }).values;
}

async function configure(flags: ReturnType<typeof parseCli>): Promise<{ config: ServerConfig; stop?: () => Promise<void> }> {
  const overrides: ConfigOverrides = {
    deployment: flags.deployment,
    convexUrl: flags["convex-url"],
    timeoutMs: flags["timeout-ms"],
  };
  if (!flags.demo) return { config: loadConfig(process.env, overrides) };
  // Loaded only in demo mode, so normal starts don't pay for it.
  const { startDemoDeployment } = await import("./demo/deployment.js");
  const demo = await startDemoDeployment();
  log("info", `demo deployment listening on ${demo.url}`);
  const config = loadConfig(
    { CONNVO_TOKEN: demo.token, CONNVO_CONVEX_URL: demo.url, CONNVO_TIMEOUT_MS: process.env.CONNVO_TIMEOUT_MS },
    { timeoutMs: flags["timeout-ms"] },
  );
  return { config, stop: () => demo.close() };
}

export async function main(argv: string[]): Promise<number> {
  let flags: ReturnType<typeof parseCli>;
  try {
    flags = parseCli(argv);
  } catch (error) {
    process.stderr.write(`connvo-mcp: ${(error as Error).message}\nRun connvo-mcp --help for usage.\n`);
    return 2;
  }
  // --help and --version answer on stdout and exit before any protocol traffic exists.
  if (flags.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (flags.version) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  const { config, stop } = await configure(flags);
  registerSecret(config.token);
  for (const problem of config.problems) log("warn", `configuration: ${problem.message}`);
  const factory = createServerFactory({ backendFor: createBackendProvider(config) });
  await runStdio(factory);
  await stop?.();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    log("error", `fatal: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
