/**
 * The lean path for the common request: a 2025-era, sessionless POST of ONE `tools/call`,
 * `tools/list` or `ping`. Served by one long-lived server from the same factory, connected to a
 * transport that multiplexes HTTP requests over it, and answered as `application/json`, instead of
 * converting the request to a web Request, building a McpServer for it, streaming the answer as
 * an SSE event and converting the web Response back: that was most of the server's CPU per call
 * (get_active_sessions at 16 clients: ~1.5 ms a call before, ~0.4 ms with this path).
 *
 * Everything else goes to the SDK path unchanged: `eligible` says no unless the SDK's stateless
 * legacy path would dispatch the very same message (its Accept, Content-Type and protocol-version
 * checks pass, its classifier would call it legacy with no modern claim) and nothing about it needs
 * a stream (no progress token) or a per-request instance. So every refusal, every error status and
 * every SSE answer stays the SDK's, and the answers that come from here are the ones the shared
 * server's handlers produce: the same code as a per-request instance's (tests compare the two).
 *
 * Stateless as before: nothing here outlives a request but the server itself (no session, no
 * per-client state), so any replica can answer any request.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import {
  type AuthInfo,
  isJSONRPCRequest,
  isJsonContentType,
  type JSONRPCMessage,
  type McpServerFactory,
  type MessageExtraInfo,
  SUPPORTED_PROTOCOL_VERSIONS,
  type Transport,
} from "@modelcontextprotocol/server";
import { Cancel } from "../../core/cancel.js";
import { log } from "../../core/log.js";
import { toolAnswerJson } from "../../present/render.js";
import type { ServerFactory } from "../../server.js";

/** The first revision of the modern era (per-request envelope): never served from here. */
const FIRST_MODERN_VERSION = "2026-07-28";
/** The MCP-Protocol-Version values the SDK's legacy transport accepts (it answers 400 to others). */
const LEGACY_VERSIONS: ReadonlySet<string> = new Set(
  SUPPORTED_PROTOCOL_VERSIONS.filter((v) => v < FIRST_MODERN_VERSION),
);

/** `_meta` keys the protocol reserves (the 2026-07-28 envelope, tasks): the SDK's to interpret. */
const RESERVED_META_PREFIX = "io.modelcontextprotocol/";

/**
 * Methods served here, and the params each may carry. Anything else in params (a task request,
 * fields of a later revision) goes to the SDK, which knows what to do with it.
 */
const METHODS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["tools/call", new Set(["name", "arguments", "_meta"])],
  ["tools/list", new Set(["cursor", "_meta"])],
  ["ping", new Set(["_meta"])],
]);

type Id = string | number;
interface Request {
  jsonrpc: "2.0";
  id: Id;
  method: string;
  params?: Record<string, unknown>;
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** One header's value as the SDK reads it (web Headers join repeated headers with ", "). */
function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/**
 * The JSON-RPC request to serve here, or undefined when the SDK path must answer.
 *
 * The era is decided as the SDK's `classifyInboundRequest` decides it, without calling it: its
 * failing schema checks (is this a posted response?) cost ~13 us a call in a profile, 3% of a whole
 * call, plus their garbage. For what passes the checks below it can only answer legacy, no claim:
 * `isJSONRPCRequest` (the SDK's own strict check) passes, so the body is no response; the method
 * is not `initialize`; `_meta` carries no `io.modelcontextprotocol/` key (so no envelope claim,
 * stricter than the classifier); the MCP-Protocol-Version header names a legacy revision.
 * test/http.fastpath.units.test.ts holds this against the classifier itself, on generated requests.
 */
export function eligible(method: string | undefined, headers: IncomingHttpHeaders, body: Buffer): Request | undefined {
  if (method !== "POST" || headers["mcp-session-id"] !== undefined) return undefined;
  const version = header(headers, "mcp-protocol-version");
  if (version === undefined || !LEGACY_VERSIONS.has(version)) return undefined;
  // The SDK transport's own rule (406 otherwise): both media types named somewhere in Accept.
  const accept = header(headers, "accept");
  if (!accept?.includes("application/json") || !accept.includes("text/event-stream")) return undefined;
  if (!isJsonContentType(headers["content-type"] ?? null)) return undefined;
  // A batch (`[`) or anything but an object, without decoding it.
  if (body[0] !== 0x7b) return undefined;
  const text = body.toString("utf8");
  // The SDK decodes with TextDecoder; invalid UTF-8 might be replaced differently: leave it to the SDK.
  if (text.includes("\ufffd")) return undefined;
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(message) || typeof message.method !== "string") return undefined;
  const allowed = METHODS.get(message.method);
  if (!allowed) return undefined;
  const { params } = message;
  if (params !== undefined) {
    if (!isPlainObject(params)) return undefined;
    for (const key in params) if (!allowed.has(key)) return undefined;
    const meta = params._meta;
    if (meta !== undefined) {
      if (!isPlainObject(meta)) return undefined;
      // A progress token asks for notifications while the call runs: only an SSE stream carries them.
      if (meta.progressToken !== undefined) return undefined;
      for (const key in meta) if (key.startsWith(RESERVED_META_PREFIX)) return undefined;
    }
  }
  // Ids, `jsonrpc`, unknown top-level keys: what the SDK transport would refuse (400) stays its own.
  if (!isJSONRPCRequest(message)) return undefined;
  return message as unknown as Request;
}

function writeJson(res: ServerResponse, status: number, message: unknown): void {
  writeBody(res, status, JSON.stringify(message));
}

function writeBody(res: ServerResponse, status: number, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** The internal id of the call a response is answering, kept on the response (no closure per request). */
const CALL_ID = Symbol("fast path call id");
type Tracked = ServerResponse & { [CALL_ID]?: number };

/**
 * The Transport the shared server is connected to: each HTTP request is injected under an internal
 * id unique in this process (clients' ids collide with each other), and the server's response to
 * that id is written to that request's HTTP response with the client's id put back.
 */
class MultiplexTransport implements Transport {
  onmessage?: Transport["onmessage"];
  onclose?: () => void;
  onerror?: (error: Error) => void;
  private readonly pending = new Map<number, { res: ServerResponse; clientId: Id }>();
  private lastId = 0;
  private closed = false;
  /** Shared by every response: `this` is the response that closed. */
  private readonly onResponseClose: (this: Tracked) => void;

  constructor() {
    const transport = this;
    this.onResponseClose = function (this: Tracked) {
      const id = this[CALL_ID];
      if (id !== undefined) transport.abandon(id, this);
    };
  }

  get inFlight(): number {
    return this.pending.size;
  }

  async start(): Promise<void> {}

  dispatch(message: Request, res: ServerResponse, authInfo: AuthInfo | undefined): void {
    const id = ++this.lastId;
    const clientId = message.id;
    this.pending.set(id, { res, clientId });
    message.id = id;
    (res as Tracked)[CALL_ID] = id;
    res.on("close", this.onResponseClose);
    // What the SDK's transport passes (`ctx.http.authInfo` is how the tools identify the caller).
    // It also passes the web Request (`ctx.http.req`); nothing reads it for these methods.
    const extra: MessageExtraInfo | undefined = authInfo !== undefined ? { authInfo } : undefined;
    try {
      this.onmessage?.(message, extra);
    } catch (error) {
      this.pending.delete(id);
      log("error", `fast path dispatch failed: ${error instanceof Error ? error.message : String(error)}`);
      writeJson(res, 500, { jsonrpc: "2.0", error: { code: -32603, message: "Internal server error" }, id: clientId });
    }
  }

  async send(message: JSONRPCMessage, options?: { relatedRequestId?: Id }): Promise<void> {
    if ("result" in message || "error" in message) {
      const id = message.id as number;
      const call = this.pending.get(id);
      if (!call) return; // abandoned: the client is gone
      this.pending.delete(id);
      // The server built this object for this send alone: restoring the id in place keeps its key
      // order, so the JSON is byte for byte what the SDK path would have written in its SSE event.
      message.id = call.clientId;
      writeJson(call.res, 200, message);
      return;
    }
    // Nothing needs these for the methods served here (no progress token, no logging capability);
    // a JSON answer cannot carry them anyway. A request to the client would never be answered (a
    // stateless POST has nowhere to receive it): answered at once so the handler does not wait.
    log("debug", `fast path: dropped a server-to-client ${message.method} (request ${options?.relatedRequestId})`);
    if ("id" in message) {
      this.onmessage?.({
        jsonrpc: "2.0",
        id: message.id,
        error: { code: -32601, message: "Requests to the client are not available on this request" },
      });
    }
  }

  /** The client hung up before its answer: cancel the call, as closing an SSE stream would. */
  private abandon(id: number, res: ServerResponse): void {
    if (this.pending.get(id)?.res !== res) return;
    this.pending.delete(id);
    if (this.closed) return;
    this.onmessage?.({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: id, reason: "The client closed the connection." },
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending.clear();
    this.onclose?.();
  }
}

export interface FastPath {
  /** Serves the request and returns true, or returns false and leaves it untouched for the SDK path. */
  serve(req: IncomingMessage, res: ServerResponse, body: Buffer, authInfo: AuthInfo | undefined): boolean;
  /** Calls dispatched here and not yet answered or abandoned (tests). */
  readonly inFlight: number;
  /** Requests served here so far (tests; diagnostics). */
  readonly served: number;
  close(): Promise<void>;
}

/**
 * Builds the shared server from `factory` right away. Until it is connected (or if building it
 * failed) every request goes to the SDK path.
 */
export function createFastPath(factory: McpServerFactory & Partial<Pick<ServerFactory, "direct">>): FastPath {
  const transport = new MultiplexTransport();
  const direct = factory.direct;
  let directInFlight = 0;
  /**
   * A tools/call the factory answers itself (src/server.ts: what the shared server's handler would
   * answer, without the SDK's dispatch). A client hanging up cancels it, as it cancels a dispatched call.
   */
  const serveDirect = (message: Request, res: ServerResponse, authInfo: AuthInfo | undefined): boolean => {
    const controller = new Cancel();
    const answer = direct?.(message.params, { signal: controller, authInfo });
    if (!answer) return false;
    const clientId = message.id;
    const onClose = () => controller.abort(new Error("The client closed the connection."));
    res.once("close", onClose);
    directInFlight++;
    answer
      .then(
        (result) => {
          res.off("close", onClose);
          if (!controller.aborted) writeBody(res, 200, toolAnswerJson(clientId, result));
        },
        (error: unknown) => {
          log("error", `fast path call failed: ${error instanceof Error ? error.message : String(error)}`);
          writeJson(res, 500, {
            jsonrpc: "2.0",
            error: { code: -32603, message: "Internal server error" },
            id: clientId,
          });
        },
      )
      .finally(() => directInFlight--);
    return true;
  };
  transport.onerror = (error) => log("debug", `fast path: ${error.message}`);
  let ready = false;
  let served = 0;
  const server = Promise.resolve()
    .then(() => factory({ era: "legacy" }))
    .then(async (instance) => {
      await instance.connect(transport);
      ready = true;
      return instance;
    })
    .catch((error: unknown) => {
      log("warn", `fast path off: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    });
  return {
    serve(req, res, body, authInfo) {
      if (!ready) return false;
      const message = eligible(req.method, req.headers, body);
      if (!message) return false;
      served++;
      if (message.method === "tools/call" && serveDirect(message, res, authInfo)) return true;
      transport.dispatch(message, res, authInfo);
      return true;
    },
    get inFlight() {
      return transport.inFlight + directInFlight;
    },
    get served() {
      return served;
    },
    async close() {
      ready = false;
      await (await server)?.close();
    },
  };
}
