/**
 * connvo-mcp's command line. Parses flags, loads configuration (never fatal: problems are
 * reported once on stderr and then by every tool call), and starts a transport. HTTP settings
 * are the exception: a problem there refuses the start with exit code 2 (see config/http.ts).
 */
import { parseArgs } from "node:util";
import { startupSnapshot } from "node:v8";
import {
  type ConfigOverrides,
  loadConfig,
  normalizeToken,
  parseToolSettings,
  type ServerConfig,
} from "./config/config.js";
import type { HttpConfig } from "./config/http.js";
import { createBackendProvider } from "./convex/provider.js";
import { log, registerSecret } from "./core/log.js";
import { createServerFactory } from "./server.js";
import { selectTools } from "./tools/inventory.js";
import { runStdio } from "./transports/stdio.js";
import { VERSION } from "./version.js";

// No --optimize-for-size: it halved HTTP throughput and added ~0.1 ms per call. Resident memory is
// bounded by the young generation's size instead, set where node starts (dist/connvo-mcp; see
// BENCHMARKS.md).

const HELP = `connvo-mcp ${VERSION}: MCP server for Connvo meetings

Usage: connvo-mcp [options]
       connvo-mcp login | logout | whoami   Sign in once for stdio (no token to copy); see --help of each

Options:
  --demo                 Serve against the embedded demo deployment (no Connvo account needed)
  --deployment <name>    dev | staging | prod (env CONNVO_DEPLOYMENT, default prod)
  --convex-url <url>     Any other Convex deployment URL (env CONNVO_CONVEX_URL)
  --timeout-ms <ms>      Deadline for each backend call (env CONNVO_TIMEOUT_MS, default 10000)
  --tools <a,b>          Offer only these tools (env CONNVO_MCP_TOOLS)
  --toolsets <a,b>       Offer only these toolsets: meetings, transcripts, notes, insights,
                         prompts, people (env CONNVO_MCP_TOOLSETS)
  --enable-writes        Also offer the tools that change Connvo data (add_meeting_note,
                         rate_prompt); read-only without it (env CONNVO_MCP_ENABLE_WRITES=1)
  --http                 Serve MCP over Streamable HTTP at /mcp instead of stdio
  --host <address>       HTTP listen address (env CONNVO_MCP_HTTP_HOST, default 127.0.0.1)
  --port <port>          HTTP port, 0 for any free one (env CONNVO_MCP_HTTP_PORT, default 8787)
  --auth <mode>          HTTP auth: none (loopback only), secret (CONNVO_MCP_HTTP_TOKEN) or oauth
                         (every user signs in; env CONNVO_MCP_AUTH)
  -h, --help             Show this help
  -v, --version          Show the version

Environment (see the README for details):
  CONNVO_TOKEN           Your Connvo (WorkOS-issued) access token, sent as the bearer token
  CONNVO_TOKEN_FILE      Read the token from this file; re-read when it changes
  CONNVO_TOKEN_COMMAND   Run this command for a fresh token when it is missing or expiring
                         (precedence: COMMAND, then FILE, then CONNVO_TOKEN)
  CONNVO_MAX_RETRIES     Retries of a failed backend call within its deadline (default 4)
  CONNVO_MAX_CONCURRENCY Concurrent backend requests at most (default 8)
  CONNVO_CACHE_TTL_MS    Cache identical calls' results this long, per token (default 0: off)
  CONNVO_MAX_RESPONSE_BYTES  Largest backend answer accepted (default 16 MiB)
  CONNVO_LOG_LEVEL       debug | info | warn | error (default info)

HTTP only (--http):
  CONNVO_MCP_HTTP_TOKEN      Shared secret clients must send as "Authorization: Bearer <secret>";
                             required to listen on anything but a loopback address
  CONNVO_MCP_ALLOWED_HOSTS   Comma list of Host names accepted besides localhost/127.0.0.1/[::1]
  CONNVO_MCP_ALLOWED_ORIGINS Comma list of browser origins (https://app.example.com) or host names
                             accepted besides localhost ones; requests without Origin always pass
  With --auth oauth: CONNVO_MCP_PUBLIC_URL, CONNVO_AUTH_ISSUER, CONNVO_AUTH_CLIENT_ID,
  CONNVO_AUTH_CLIENT_SECRET, CONNVO_CONVEX_AUDIENCE (README: "Per-user sign-in")

Speaks MCP over stdio unless --http is given. Logs go to stderr.
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
      tools: { type: "string" },
      toolsets: { type: "string" },
      "enable-writes": { type: "boolean" },
      http: { type: "boolean" },
      host: { type: "string" },
      port: { type: "string" },
      auth: { type: "string" },
    },
  }).values;
}

async function configure(
  flags: ReturnType<typeof parseCli>,
  http?: HttpConfig,
): Promise<{ config: ServerConfig; stop?: () => Promise<void> }> {
  const overrides: ConfigOverrides = {
    deployment: flags.deployment,
    convexUrl: flags["convex-url"],
    timeoutMs: flags["timeout-ms"],
    ...toolOverrides(flags),
  };
  if (!flags.demo) return { config: loadConfig(process.env, overrides) };
  // Loaded only in demo mode, so normal starts don't pay for it.
  const { startDemoDeployment } = await import("./demo/deployment.js");
  // --demo --http --auth oauth: a local authorization server the demo deployment trusts (src/demo/oauth).
  const demoAuth = http?.auth === "oauth" ? await (await import("./demo/oauth/index.js")).startDemoOAuth() : undefined;
  const demo = await startDemoDeployment(demoAuth ? { jwtProviders: demoAuth.providers } : {});
  log("info", `demo deployment listening on ${demo.url}`);
  if (demoAuth && http) {
    http.oauth = demoAuth.settings;
    registerSecret(demoAuth.settings.clientSecret);
    log("info", `demo authorization server listening on ${demoAuth.authServer.issuer} (signs you in as Alex Morgan)`);
  }
  // Every other setting (timeouts, retries, cache, limits) applies to the demo as it would to Connvo;
  // only where to connect and with which token are the demo's.
  const {
    CONNVO_TOKEN: _token,
    CONNVO_TOKEN_FILE: _file,
    CONNVO_TOKEN_COMMAND: _command,
    CONNVO_DEPLOYMENT: _deployment,
    ...rest
  } = process.env;
  const config = loadConfig(
    { ...rest, CONNVO_TOKEN: demo.token, CONNVO_CONVEX_URL: demo.url },
    { ...overrides, deployment: undefined, convexUrl: undefined },
  );
  return { config, stop: () => demo.close().then(() => demoAuth?.close()) };
}

export async function main(argv: string[]): Promise<number> {
  // login | logout | whoami: the stored sign-in (src/commands/auth.ts), loaded only for them.
  if (argv[0] === "login" || argv[0] === "logout" || argv[0] === "whoami") {
    const { runAuthCommand } = await import("./commands/auth.js");
    return runAuthCommand(argv[0], argv.slice(1));
  }
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
  if (!flags.http && flags.auth !== undefined) {
    process.stderr.write("connvo-mcp: --auth only applies with --http.\nRun connvo-mcp --help for usage.\n");
    return 2;
  }
  if (!flags.http && (flags.host !== undefined || flags.port !== undefined)) {
    process.stderr.write("connvo-mcp: --host and --port only apply with --http.\nRun connvo-mcp --help for usage.\n");
    return 2;
  }
  // HTTP settings are checked before anything starts (the demo deployment included): a server
  // that would listen unsafely must not start at all.
  let http: HttpConfig | undefined;
  if (flags.http) {
    http = await httpConfig(flags);
    if (!http) return 2;
  }
  // Which tools to offer is checked before anything starts, too: a misspelt name is a settings error.
  const selected = selectTools(parseToolSettings(process.env, toolOverrides(flags)));
  if (selected.problems.length > 0) {
    const lines = selected.problems.map((problem) => `  - ${problem.message}`).join("\n");
    process.stderr.write(`connvo-mcp: refusing to start:\n${lines}\n`);
    return 2;
  }
  const configured = await configure(flags, http);
  const { stop } = configured;
  // No token configured: OAuth needs none of its own; otherwise the `connvo-mcp login` sign-in, if any.
  const { config, tokens } = configured.config.tokenSetting
    ? { config: configured.config, tokens: undefined }
    : await (await import("./auth/serverTokens.js")).serverTokens(configured.config, { oauth: http?.auth === "oauth" });
  registerSecret(config.token);
  for (const problem of config.problems) log("warn", `configuration: ${problem.message}`);
  const backendFor = createBackendProvider(config, { tokens });
  const tools = selected.tools;
  try {
    if (http) {
      // Loaded only for --http, so stdio starts don't load the HTTP stack.
      const { runHttp, identifyHttpCaller } = await import("./transports/http.js");
      const factory = createServerFactory({ backendFor, identify: identifyHttpCaller, tools });
      // A call in flight makes one backend request bounded by timeoutMs; give it that plus a margin.
      await runHttp(factory, http, { shutdownGraceMs: config.timeoutMs + 2000 });
    } else {
      // After stdin ends, calls in flight still finish: each within its deadline, plus a margin.
      await runStdio(createServerFactory({ backendFor, tools }), { drainTimeoutMs: config.timeoutMs + 2000 });
    }
  } finally {
    // Also when listening fails: a demo deployment left open would keep the process alive.
    await stop?.();
  }
  return 0;
}

const toolOverrides = (flags: ReturnType<typeof parseCli>): ConfigOverrides => ({
  tools: flags.tools,
  toolsets: flags.toolsets,
  enableWrites: flags["enable-writes"],
});

async function httpConfig(flags: ReturnType<typeof parseCli>): Promise<HttpConfig | undefined> {
  const { parseHttpConfig, listenProblem } = await import("./config/http.js");
  // In demo mode the Connvo token is the demo's, not a secret worth comparing against.
  const connvoToken = flags.demo ? undefined : normalizeToken(process.env.CONNVO_TOKEN);
  const result = parseHttpConfig(
    process.env,
    { host: flags.host, port: flags.port, auth: flags.auth, demo: flags.demo },
    connvoToken,
  );
  if (!result.ok) {
    const lines = result.errors.map((error) => `  - ${error}`).join("\n");
    process.stderr.write(`connvo-mcp: refusing to start the HTTP server:\n${lines}\n`);
    return undefined;
  }
  // A busy port is a settings problem too: said with its remedy before anything starts.
  const busy = await listenProblem(result.config);
  if (busy) {
    process.stderr.write(`connvo-mcp: refusing to start the HTTP server:\n  - ${busy}\n`);
    return undefined;
  }
  registerSecret(result.config.token);
  registerSecret(result.config.oauth?.clientSecret);
  for (const warning of result.warnings) log("warn", warning);
  return result.config;
}

/** Runs the command line and sets the exit code; the startup snapshot's start calls it too. */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      log("error", `fatal: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}

// In the startup snapshot (scripts/snapshot-entry.ts) this module is loaded at build time and run
// after deserialization instead.
if (!startupSnapshot.isBuildingSnapshot()) run(process.argv.slice(2));
