/**
 * A raw MCP Streamable HTTP client: JSON-RPC POSTs over node:http with a keep-alive agent, answers
 * read as JSON or as a text/event-stream. No SDK client, so the client side costs as little as
 * possible and the figures are the server's. Servers that accept a request with 202 and answer on
 * the session's GET stream (the peer does) are served by `openStream()`.
 */
import http from "node:http";
import { type JsonRpcResponse, PROTOCOL_VERSION } from "./stdio.js";

interface Posted {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A benchmark must end: any request still unanswered after this fails the figure. */
const REQUEST_TIMEOUT_MS = 30_000;

/** Ids are unique across clients: some servers route answers by request id alone. */
let nextId = 1;

/** JSON-RPC messages in an event-stream text ("data:" lines of each event). */
function eventData(events: string): unknown[] {
  const out: unknown[] = [];
  for (const event of events.replaceAll("\r\n", "\n").split("\n\n")) {
    const data = event
      .split("\n")
      .filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trim())
      .join("\n");
    if (!data) continue;
    try {
      out.push(JSON.parse(data));
    } catch {
      // not JSON
    }
  }
  return out;
}

export class McpHttpClient {
  private sessionId: string | undefined;
  private protocolVersion: string | undefined;
  private stream: http.ClientRequest | undefined;
  private readonly waiting = new Map<number, (message: JsonRpcResponse) => void>();

  constructor(
    private readonly url: URL,
    private readonly agent: http.Agent,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  private headers(extra: Record<string, string>): Record<string, string> {
    const headers: Record<string, string> = { ...extra, ...this.extraHeaders };
    if (this.sessionId) headers["mcp-session-id"] = this.sessionId;
    if (this.protocolVersion) headers["mcp-protocol-version"] = this.protocolVersion;
    return headers;
  }

  private post(payload: unknown): Promise<Posted> {
    const body = JSON.stringify(payload);
    const headers = this.headers({
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "content-length": String(Buffer.byteLength(body)),
    });
    return new Promise((resolve, reject) => {
      const req = http.request(this.url, { method: "POST", agent: this.agent, headers }, (res) => {
        res.setEncoding("utf8");
        let text = "";
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)));
      req.end(body);
    });
  }

  /** Waits for the answer to `id` on the event stream. */
  private awaitStreamed(id: number, timeoutMs: number): { promise: Promise<JsonRpcResponse>; cancel(): void } {
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<JsonRpcResponse>((resolve, reject) => {
      timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no answer for id ${id} on the event stream in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
    return {
      promise,
      cancel: () => {
        clearTimeout(timer);
        this.waiting.delete(id);
      },
    };
  }

  async request(
    method: string,
    params: Record<string, unknown> = {},
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<JsonRpcResponse> {
    const id = nextId++;
    // Registered before the POST: a stream answer can arrive before the 202 does.
    const streamed = this.stream ? this.awaitStreamed(id, timeoutMs) : undefined;
    let posted: Posted;
    try {
      posted = await this.post({ jsonrpc: "2.0", id, method, params });
    } catch (error) {
      streamed?.cancel();
      throw error;
    }
    const sessionId = posted.headers["mcp-session-id"];
    if (typeof sessionId === "string") this.sessionId = sessionId;
    if (posted.status === 202 && streamed) return streamed.promise;
    streamed?.cancel();
    const type = String(posted.headers["content-type"] ?? "");
    const candidates = type.includes("text/event-stream") ? eventData(posted.body) : [safeJson(posted.body)];
    const answer = candidates.find((m) => (m as JsonRpcResponse | undefined)?.id === id) as JsonRpcResponse | undefined;
    if (!answer)
      throw new Error(`HTTP ${posted.status}: no JSON-RPC answer for id ${id}: ${posted.body.slice(0, 300)}`);
    return answer;
  }

  async initialize(): Promise<void> {
    const init = await this.request("initialize", {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "connvo-mcp-bench", version: "0.0.0" },
    });
    if (init.error) throw new Error(`initialize failed: ${init.error.message}`);
    this.protocolVersion = String(init.result?.protocolVersion ?? PROTOCOL_VERSION);
    await this.post({ jsonrpc: "2.0", method: "notifications/initialized" });
  }

  /**
   * Opens the session's GET event stream; answers that a POST did not carry arrive on it. Does not
   * wait for the response headers: some servers send them only with the first event.
   */
  openStream(): void {
    const req = http.request(
      this.url,
      { method: "GET", agent: false, headers: this.headers({ accept: "text/event-stream" }) },
      (res) => {
        res.setEncoding("utf8");
        let buffer = "";
        res.on("data", (chunk: string) => {
          buffer += chunk.replaceAll("\r\n", "\n");
          const end = buffer.lastIndexOf("\n\n");
          if (end < 0) return;
          const complete = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          for (const message of eventData(complete) as JsonRpcResponse[]) {
            const waiter = this.waiting.get(message.id);
            this.waiting.delete(message.id);
            waiter?.(message);
          }
        });
        res.on("error", () => {});
      },
    );
    req.on("error", () => {});
    req.end();
    this.stream = req;
  }

  /**
   * Opens the event stream and waits until it carries answers: a server that has not registered
   * the stream yet drops answers meant for it, so ping until one comes back.
   */
  async openStreamAndWait(): Promise<void> {
    this.openStream();
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await this.request("ping", {}, 200);
        return;
      } catch {
        // not registered yet
      }
    }
    throw new Error("the event stream never delivered an answer");
  }

  close(): void {
    this.stream?.destroy();
    this.stream = undefined;
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const response = await this.request("tools/call", { name, arguments: args });
    if (response.error) throw new Error(`tools/call failed: ${response.error.message}`);
    const result = response.result as Record<string, unknown>;
    if (result.isError)
      throw new Error(`tools/call returned an error: ${JSON.stringify(result.content).slice(0, 300)}`);
    return result;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
