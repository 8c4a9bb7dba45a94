/**
 * Streamable HTTP: what teams, hosted agents and meeting assistants connect to by URL. Loaded by
 * the CLI only for `--http` (dynamic import), so stdio starts never pay for it.
 *
 * Lifecycle: listen, log the real URL (port 0 picks one), serve until SIGTERM/SIGINT, then stop
 * accepting, let calls in flight finish within a deadline, and resolve so the CLI exits 0.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { McpServerFactory } from "@modelcontextprotocol/server";
import {
  HEADERS_TIMEOUT_MS,
  type HttpConfig,
  hostForUrl,
  REQUEST_TIMEOUT_MS,
  TIMEOUT_CHECK_INTERVAL_MS,
} from "../config/http.js";
import { log } from "../core/log.js";
import { createHttpApp, MCP_PATH } from "./http/app.js";

export { identifyHttpCaller } from "./http/auth.js";

export interface RunHttpOptions {
  /** How long calls in flight get to finish after SIGTERM/SIGINT before their connections are cut. */
  shutdownGraceMs: number;
}

function listen(server: Server, config: HttpConfig): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason = error.code === "EADDRINUSE" ? "the address is already in use" : error.message;
      reject(new Error(`could not listen on ${hostForUrl(config.host)}:${config.port}: ${reason}`));
    };
    server.once("error", onError);
    server.listen(config.port, config.host, () => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : config.port);
    });
  });
}

/** Resolves on the first SIGTERM/SIGINT; a second one calls `force`. */
function nextSignal(force: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (received) {
        log("warn", `${signal} again: closing open connections now`);
        force();
        return;
      }
      received = true;
      resolve(signal);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

export interface HttpServerTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  checkIntervalMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpServerTimeouts = {
  headersTimeoutMs: HEADERS_TIMEOUT_MS,
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
  checkIntervalMs: TIMEOUT_CHECK_INTERVAL_MS,
};

/**
 * The node:http server for a request listener. Slow clients: headers within 10 s, the whole
 * request within 30 s (408 otherwise), checked every second so those deadlines hold. Responses
 * are not limited: a tool call's own deadline is the backend timeout.
 */
export function createHttpServer(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  timeouts: HttpServerTimeouts = DEFAULT_HTTP_TIMEOUTS,
): Server {
  return createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
    },
    listener,
  );
}

export async function runHttp(factory: McpServerFactory, config: HttpConfig, options: RunHttpOptions): Promise<void> {
  const app = createHttpApp(factory, config);
  const server = createHttpServer(app.listener);
  const port = await listen(server, config);
  const auth = config.oauth
    ? `oauth (issuer ${config.oauth.issuer}, resource ${config.oauth.publicUrl ?? `http://${hostForUrl(config.host)}:${port}${MCP_PATH}`})`
    : config.token
      ? "bearer token (CONNVO_MCP_HTTP_TOKEN)"
      : "none (loopback only)";
  log("info", `listening on http://${hostForUrl(config.host)}:${port}${MCP_PATH} (auth: ${auth})`);

  const signal = await nextSignal(() => server.closeAllConnections());
  log("info", `${signal}: no longer accepting connections; waiting for ${app.inFlight} request(s) in flight`);
  app.startDraining();
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Since Node 19 close() already drops idle keep-alive connections; this covers Node 18-style
  // behaviour and connections that went idle in between.
  server.closeIdleConnections();

  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), options.shutdownGraceMs);
  });
  const outcome = await Promise.race([app.idle().then(() => "idle" as const), deadline]);
  clearTimeout(timer);
  if (outcome === "deadline") {
    log(
      "warn",
      `${app.inFlight} request(s) still in flight after ${options.shutdownGraceMs} ms; closing their connections`,
    );
    server.closeAllConnections();
  } else {
    // Connections whose last response went out before draining began may still be open and idle.
    server.closeIdleConnections();
  }
  await app.close();
  await closed;
  log("info", "HTTP server stopped");
}
