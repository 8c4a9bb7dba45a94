/**
 * The request listener: routing and every check that runs before the MCP SDK sees a request.
 * Order matters: Host/Origin first (a rebinding page gets 403 whatever it sends), then the bearer
 * check (an unauthenticated client never gets its body parsed), then the body size, counted while
 * the body is read here. After that, the common simple request (a 2025-era sessionless tools/call,
 * tools/list or ping) is served by ./fastPath.ts from one long-lived server; everything else is the
 * SDK's: both protocol eras, per request, from the same factory.
 *
 * A refusal is written only after the rest of the request body has been read and thrown away (up
 * to MAX_DRAIN_BYTES): closing a connection while the client is still sending makes the kernel
 * answer with a reset, and the client then sees EPIPE or ECONNRESET instead of the 413 or 401.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { toNodeHandler } from "@modelcontextprotocol/node";
import {
  type AuthInfo,
  createMcpHandler,
  type McpHttpHandler,
  type McpServerFactory,
} from "@modelcontextprotocol/server";
import { type HttpConfig, MAX_BODY_BYTES, MAX_DRAIN_BYTES } from "../../config/http.js";
import { log } from "../../core/log.js";
import { type AuthOutcome, createAuthenticator } from "./auth.js";
import { createFastPath } from "./fastPath.js";
import { createRequestGuard } from "./guards.js";
import { createOAuthResourceServer } from "./oauth.js";

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
  /** Requests ./fastPath.ts answered so far, instead of the SDK (tests; diagnostics). */
  readonly fastPathServed: number;
  close(): Promise<void>;
}

/**
 * Reads and discards what is left of the request body, at most `limit` bytes. Resolves true when
 * the request ended within the limit (the client has sent everything and will read the answer).
 */
function drain(req: IncomingMessage, limit: number): Promise<boolean> {
  if (req.readableEnded || req.complete) return Promise.resolve(true);
  return new Promise((resolve) => {
    let seen = 0;
    const done = (complete: boolean) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      req.off("error", onError);
      resolve(complete);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > limit) done(false);
    };
    const onEnd = () => done(true);
    const onClose = () => done(req.complete);
    const onError = () => done(false);
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("close", onClose);
    req.once("error", onError);
    req.resume();
  });
}

/**
 * A JSON-RPC-shaped error body, as the SDK's own HTTP rejections use, so clients parse both alike.
 * The connection is closed afterwards; the unread request body is drained first (see above).
 */
async function reject(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Promise<void> {
  await drain(req, MAX_DRAIN_BYTES);
  if (res.headersSent || res.destroyed) return;
  const body = JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null });
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(body)),
    connection: "close",
    ...headers,
  });
  res.end(body);
}

const TOO_LARGE = Symbol("too large");

/** The whole request body, or TOO_LARGE as soon as it passes `limit` (the rest is left unread). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(new Error("the client closed the connection before sending the whole request"));
    };
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onError);
    req.once("close", onClose);
  });
}

/**
 * The request again, with its body already read: what the SDK's adapter reads (headers, method,
 * url, auth, and the body as a stream), so the size limit is enforced here, where a refusal can
 * drain the connection properly, and the SDK still does all the parsing and answering.
 */
function replay(req: IncomingMessage & { auth?: AuthInfo }, body: Buffer): IncomingMessage {
  const stream = Readable.from(body.length > 0 ? [body] : []);
  return Object.assign(stream, {
    headers: req.headers,
    method: req.method,
    url: req.url,
    ...(req.auth !== undefined ? { auth: req.auth } : {}),
  }) as unknown as IncomingMessage;
}

/** Node accepts absolute-form targets (`GET http://x/ HTTP/1.1`); one that is not a URL must not throw. */
function pathOf(target: string | undefined): string | undefined {
  // The usual targets, without parsing a URL on every request (that is their pathname as is).
  if (target === MCP_PATH || target === HEALTH_PATH) return target;
  try {
    return new URL(target ?? "/", "http://localhost").pathname;
  } catch {
    return undefined;
  }
}

export interface HttpAppOptions {
  /** false: every request takes the SDK path (tests compare the two paths' answers). */
  fastPath?: boolean;
}

export function createHttpApp(factory: McpServerFactory, config: HttpConfig, options: HttpAppOptions = {}): HttpApp {
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
  const fast = options.fastPath === false ? undefined : createFastPath(factory);
  const guard = createRequestGuard(config.allowedHosts, config.allowedOrigins);
  // CONNVO_MCP_AUTH=oauth: every user signs in (./oauth.ts); otherwise the shared secret or none.
  const oauth = config.oauth ? createOAuthResourceServer(config.oauth) : undefined;
  const secretCheck = createAuthenticator(config.token);
  const authenticate: (req: IncomingMessage) => AuthOutcome | Promise<AuthOutcome> = oauth
    ? (req) => oauth.authenticate(req.headers, req)
    : (req) => secretCheck(req.headers);

  const active = new Set<ServerResponse>();
  let draining = false;
  let onIdle: (() => void) | undefined;

  async function handleMcp(req: IncomingMessage & { auth?: AuthInfo }, res: ServerResponse): Promise<void> {
    const guarded = guard(req.headers);
    if (!guarded.ok) {
      log("debug", `refused ${req.method} ${MCP_PATH}: ${guarded.message}`);
      return reject(req, res, guarded.status, guarded.message);
    }
    const auth = await authenticate(req);
    if (!auth.ok) {
      log("debug", `refused ${req.method} ${MCP_PATH}: ${auth.message}`);
      return reject(req, res, auth.status, auth.message, {
        ...(auth.wwwAuthenticate ? { "www-authenticate": auth.wwwAuthenticate } : {}),
        ...auth.headers,
      });
    }
    const tooLarge = `Request body is larger than ${MAX_BODY_BYTES} bytes.`;
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > MAX_BODY_BYTES) return reject(req, res, 413, tooLarge);
    const body =
      req.method === "GET" || req.method === "HEAD"
        ? Buffer.alloc(0)
        : await readBody(req, MAX_BODY_BYTES).catch((error: Error) => {
            log("debug", `${req.method} ${MCP_PATH}: ${error.message}`);
            return undefined;
          });
    if (body === undefined) return void res.destroy();
    if (body === TOO_LARGE) return reject(req, res, 413, tooLarge);
    // A verified OAuth token without the scope this request needs (a write tool's call): 403.
    const refused = oauth?.authorize(auth.authInfo, body);
    if (refused) {
      return reject(req, res, refused.status, refused.message, { "www-authenticate": refused.wwwAuthenticate });
    }
    // Checked, sized and authorized like any other: from here on it is only about who answers.
    if (fast?.serve(req, res, body, auth.authInfo)) return;
    // Set only from what `authenticate` verified; toNodeHandler passes it through as authInfo.
    if (auth.authInfo) req.auth = auth.authInfo;
    else delete req.auth;
    await serveMcp(replay(req, body), res);
  }

  function serveHealth(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== "GET" && req.method !== "HEAD") {
      void reject(req, res, 405, "Method not allowed.", { allow: "GET, HEAD" });
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
    if (path === undefined) void reject(req, res, 400, "Bad request target.");
    else if (path === HEALTH_PATH) serveHealth(req, res);
    else if (oauth?.isMetadataPath(path)) oauth.serveMetadata(req, res);
    else if (path !== MCP_PATH) void reject(req, res, 404, `Not found. The MCP endpoint is ${MCP_PATH}.`);
    else if (draining) void reject(req, res, 503, "The server is shutting down.", { "retry-after": "1" });
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
      if (!res.headersSent) void reject(req, res, 500, "Internal server error.");
      else res.destroy();
    });
  }

  return {
    listener,
    get inFlight() {
      return active.size;
    },
    get fastPathServed() {
      return fast?.served ?? 0;
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
    close: async () => {
      await Promise.all([handler.close(), fast?.close()]);
    },
  };
}
