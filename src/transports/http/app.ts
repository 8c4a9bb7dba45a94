/**
 * The request listener: routing and every check that runs before the MCP SDK sees a request.
 * Order matters: Host/Origin first (a rebinding page gets 403 whatever it sends), then the bearer
 * check (an unauthenticated client never gets its body read), then the declared body size.
 * Everything after that is the SDK's: both protocol eras, per request, from one factory.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { toNodeHandler } from "@modelcontextprotocol/node";
import {
  type AuthInfo,
  createMcpHandler,
  type McpHttpHandler,
  type McpServerFactory,
} from "@modelcontextprotocol/server";
import { type HttpConfig, MAX_BODY_BYTES } from "../../config/http.js";
import { log } from "../../core/log.js";
import { createAuthenticator } from "./auth.js";
import { createRequestGuard } from "./guards.js";

export const MCP_PATH = "/mcp";
export const HEALTH_PATH = "/healthz";

export interface HttpApp {
  listener(req: IncomingMessage, res: ServerResponse): void;
  /** Requests still being answered (health checks excluded); shutdown waits for these. */
  readonly inFlight: number;
  /** From now on new requests get 503 and every response closes its connection. */
  startDraining(): void;
  /** Resolves once no request is in flight. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** A JSON-RPC-shaped error body, as the SDK's own HTTP rejections use, so clients parse both alike. */
function reject(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null });
  // The request body may be unread (we refuse before reading it); closing the connection
  // afterwards is cheaper than draining it.
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    connection: "close",
    ...headers,
  });
  res.end(body);
}

/** Node accepts absolute-form targets (`GET http://x/ HTTP/1.1`); one that is not a URL must not throw. */
function pathOf(target: string | undefined): string | undefined {
  try {
    return new URL(target ?? "/", "http://localhost").pathname;
  } catch {
    return undefined;
  }
}

export function createHttpApp(factory: McpServerFactory, config: HttpConfig): HttpApp {
  const handler: McpHttpHandler = createMcpHandler(factory, {
    // 2025-era clients get a fresh instance per request and no session: any replica can answer.
    legacy: "stateless",
    maxRequestBodySize: MAX_BODY_BYTES,
    // Reporting only (rejected requests, client disconnects); the response is already decided.
    onerror: (error) => log("debug", `mcp handler: ${error.message}`),
  });
  const serveMcp = toNodeHandler(handler, {
    maxRequestBodySize: MAX_BODY_BYTES,
    onerror: (error) => log("error", `mcp handler failed: ${error.message}`),
  });
  const guard = createRequestGuard(config.allowedHosts, config.allowedOrigins);
  const authenticate = createAuthenticator(config.token);

  const active = new Set<ServerResponse>();
  let draining = false;
  let onIdle: (() => void) | undefined;

  async function handleMcp(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse): Promise<void> {
    const guarded = guard(req.headers);
    if (!guarded.ok) {
      log("debug", `refused ${req.method} ${MCP_PATH}: ${guarded.message}`);
      return reject(res, guarded.status, guarded.message);
    }
    const auth = authenticate(req.headers);
    if (!auth.ok) {
      log("debug", `refused ${req.method} ${MCP_PATH}: ${auth.message}`);
      return reject(res, auth.status, auth.message, { "www-authenticate": auth.wwwAuthenticate });
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) {
      return reject(res, 413, `Request body is larger than ${MAX_BODY_BYTES} bytes.`);
    }
    // Set only from what `authenticate` verified; toNodeHandler passes it through as authInfo.
    if (auth.authInfo) req.auth = auth.authInfo;
    else delete req.auth;
    await serveMcp(req, res);
  }

  function serveHealth(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== "GET" && req.method !== "HEAD") {
      reject(res, 405, "Method not allowed.", { allow: "GET, HEAD" });
      return;
    }
    const body = JSON.stringify({ status: draining ? "draining" : "ok" });
    res.writeHead(200, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      "cache-control": "no-store",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }

  function listener(req: IncomingMessage, res: ServerResponse): void {
    const path = pathOf(req.url);
    // Liveness for load balancers: no backend call, no auth, no Host check (probes often use the
    // instance IP as Host), and it answers even while draining so the probe sees the process alive.
    if (path === undefined) reject(res, 400, "Bad request target.");
    else if (path === HEALTH_PATH) serveHealth(req, res);
    else if (path !== MCP_PATH) reject(res, 404, `Not found. The MCP endpoint is ${MCP_PATH}.`);
    else if (draining) reject(res, 503, "The server is shutting down.", { "retry-after": "1" });
    else trackMcp(req, res);
  }

  function trackMcp(req: IncomingMessage, res: ServerResponse): void {
    active.add(res);
    const started = performance.now();
    log("debug", `${req.method} ${MCP_PATH} started`);
    res.on("close", () => {
      active.delete(res);
      const ms = Math.round(performance.now() - started);
      log("debug", `${req.method} ${MCP_PATH} ${res.writableFinished ? res.statusCode : "aborted"} in ${ms} ms`);
      if (active.size === 0) onIdle?.();
    });
    handleMcp(req, res).catch((error: unknown) => {
      log("error", `http request failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) reject(res, 500, "Internal server error.");
      else res.destroy();
    });
  }

  return {
    listener,
    get inFlight() {
      return active.size;
    },
    startDraining() {
      draining = true;
      // Keep-alive connections of calls in flight end with their response instead of idling on.
      for (const res of active) if (!res.headersSent) res.setHeader("connection", "close");
    },
    idle() {
      if (active.size === 0) return Promise.resolve();
      return new Promise((resolve) => {
        onIdle = resolve;
      });
    },
    close: () => handler.close(),
  };
}
