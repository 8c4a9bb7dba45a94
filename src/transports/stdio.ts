/**
 * stdio: what desktop clients spawn, and what scripts pipe into. stdout carries only protocol
 * messages; everything else goes to stderr.
 *
 * The SDK's own stdio transport is replaced by `LineTransport` (the SDK's `serveStdio` still
 * decides the protocol era and runs the server), because three of its behaviours end sessions or
 * lose answers:
 * - one line over 10 MiB threw in its read buffer and closed the transport, so the server exited
 *   (or, with --demo, stopped reading and never exited). Here such a line is discarded, with an
 *   error reply when its `id` can be recovered and a warning on stderr, and serving goes on;
 * - on stdin end-of-file it aborted the calls in flight, so `printf '<initialize>\n<call>\n' |
 *   connvo-mcp` printed only the initialize result. Here the calls in flight finish (within the
 *   drain deadline), their answers are written, and only then does the session end (exit code 0);
 * - batches and schema-invalid messages were dropped without a reply. Here a request that has an
 *   `id` gets JSON-RPC's -32600 "Invalid Request", and a line that is not JSON gets -32700.
 * Writes use one callback each instead of a listener per message on stdout, so a burst of
 * answers does not trip Node's MaxListenersExceededWarning.
 */
import type { Readable, Writable } from "node:stream";
import {
  type CallToolResult,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type McpServer,
  type Transport,
} from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { DEFAULT_TIMEOUT_MS } from "../config/config.js";
import { log } from "../core/log.js";
import { toolAnswerJson } from "../present/render.js";
import type { ServerFactory } from "../server.js";
import { DirectCalls } from "./directCalls.js";

/** The longest line (one JSON-RPC message) read; the SDK's limit too. */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;

const INVALID_REQUEST = -32600;
const PARSE_ERROR = -32700;

type RequestId = string | number;

/** The `id` of an oversized request, from the ends of its line (the middle is never kept). */
const ID_VALUE = String.raw`(-?\d+|"(?:[^"\\]|\\.)*")`;
const ID_AT_START = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID_VALUE}\s*[,}]`);
const ID_AT_END = new RegExp(String.raw`[,{]\s*"id"\s*:\s*${ID_VALUE}\s*(?:,\s*"jsonrpc"\s*:\s*"2\.0"\s*)?\}\s*$`);
const EDGE_BYTES = 512;

function parseId(text: string | undefined): RequestId | undefined {
  if (text === undefined) return undefined;
  try {
    const id: unknown = JSON.parse(text);
    return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : undefined;
  } catch {
    return undefined;
  }
}

const idKey = (id: RequestId) => `${typeof id}:${id}`;

type MessageKind = "request" | "notification" | "response";

/**
 * What a parsed line is, by the SDK's own schemas (so what passes here is what its protocol layer
 * accepts), each checked once: every check is a schema parse of the whole message.
 */
function messageKind(value: unknown): MessageKind | undefined {
  if (isJSONRPCRequest(value)) return "request";
  if (isJSONRPCNotification(value)) return "notification";
  if (isJSONRPCResultResponse(value) || isJSONRPCErrorResponse(value)) return "response";
  return undefined;
}

/**
 * The id an outgoing message answers. Outgoing messages come from the SDK's protocol layer, so
 * their shape is known: a response is the one with an id and a result or an error.
 */
function answeredId(message: JSONRPCMessage): RequestId | undefined {
  const m = message as { id?: RequestId; result?: unknown; error?: unknown };
  return m.id !== undefined && (m.result !== undefined || m.error !== undefined) ? m.id : undefined;
}

/** The id a malformed message carries, when it has a usable one. */
function idOf(value: unknown): RequestId | undefined {
  if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : undefined;
}

export interface LineTransportOptions {
  stdin?: Readable;
  stdout?: Writable;
  /** After stdin ends, how long calls in flight get to answer before the session closes anyway. */
  drainTimeoutMs?: number;
  maxLineBytes?: number;
  /** Answers plain tools/calls without the SDK's dispatch (src/server.ts); absent: all go to the SDK. */
  direct?: ServerFactory["direct"];
}

/**
 * Newline-delimited JSON-RPC over a pair of streams, as the MCP stdio binding defines it. It tracks
 * the requests it delivered until they are answered, so end-of-file can wait for them.
 */
export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly stdin: Readable;
  private readonly stdout: Writable;
  private readonly drainTimeoutMs: number;
  private readonly maxLineBytes: number;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Inside a line that is being thrown away: its first bytes (for the id) and its length so far. */
  private discarding: { head: string; tail: Buffer; bytes: number } | undefined;
  /** Requests delivered and not answered yet. */
  private readonly pending = new Set<string>();
  private readonly directCalls: DirectCalls | undefined;
  private inputEnded = false;
  private closed = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private resolveClosed!: () => void;
  /** Resolves once the transport has closed (stdin ended and the calls in flight answered, or close()). */
  readonly whenClosed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  constructor(options: LineTransportOptions = {}) {
    this.stdin = options.stdin ?? process.stdin;
    this.stdout = options.stdout ?? process.stdout;
    this.drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_TIMEOUT_MS + 2000;
    this.maxLineBytes = options.maxLineBytes ?? MAX_LINE_BYTES;
    this.directCalls = options.direct ? new DirectCalls(options.direct) : undefined;
  }

  async start(): Promise<void> {
    this.stdin.on("data", this.onData);
    this.stdin.on("end", this.onInputEnd);
    this.stdin.on("close", this.onInputEnd);
    this.stdin.on("error", this.onInputError);
    this.stdout.on("error", this.onOutputError);
    if (this.stdin.readableEnded || this.stdin.destroyed) setImmediate(this.onInputEnd);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) throw new Error("the stdio transport is closed");
    this.directCalls?.noteOutgoing(message);
    await this.writeMessage(JSON.stringify(message), answeredId(message));
  }

  /** A direct call's answer: the line the SDK would write for it. */
  private sendAnswer(id: RequestId, result: CallToolResult): Promise<void> {
    if (this.closed) return Promise.reject(new Error("the stdio transport is closed"));
    return this.writeMessage(toolAnswerJson(id, result), id);
  }

  /** One message as one line; once an answer is written, end-of-file may close the session. */
  private async writeMessage(json: string, answers: RequestId | undefined): Promise<void> {
    try {
      await this.write(`${json}\n`);
    } finally {
      if (answers !== undefined) this.settle(answers);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.drainTimer);
    this.stdin.off("data", this.onData);
    this.stdin.off("end", this.onInputEnd);
    this.stdin.off("close", this.onInputEnd);
    this.stdin.off("error", this.onInputError);
    // stdout keeps a listener that swallows late write errors (a client gone mid-answer).
    this.stdout.off("error", this.onOutputError);
    this.stdout.on("error", () => {});
    this.stdin.pause();
    this.chunks = [];
    this.buffered = 0;
    this.pending.clear();
    this.directCalls?.cancelAll(new Error("the stdio session closed"));
    this.onclose?.();
    this.resolveClosed();
  }

  /** One write, one callback: no listener is added to stdout per message. */
  private write(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stdout.write(line, (error) => (error ? reject(error) : resolve()));
    });
  }

  private readonly onData = (chunk: Buffer | string) => {
    let data = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk;
    while (data.length > 0 && !this.closed) {
      const newline = data.indexOf(0x0a);
      if (this.discarding) {
        const part = newline === -1 ? data : data.subarray(0, newline);
        this.discarding.bytes += part.length;
        this.discarding.tail = Buffer.concat([this.discarding.tail, part]).subarray(-EDGE_BYTES);
        if (newline === -1) return;
        this.finishDiscard();
        data = data.subarray(newline + 1);
        continue;
      }
      if (newline === -1) {
        this.chunks.push(data);
        this.buffered += data.length;
        if (this.buffered > this.maxLineBytes) this.startDiscard();
        return;
      }
      const rest = data.subarray(0, newline);
      if (this.buffered + rest.length > this.maxLineBytes) {
        this.chunks.push(rest);
        this.buffered += rest.length;
        this.startDiscard();
        this.finishDiscard();
      } else {
        const line = this.chunks.length === 0 ? rest : Buffer.concat([...this.chunks, rest]);
        this.chunks = [];
        this.buffered = 0;
        this.handleLine(line.toString("utf8"));
      }
      data = data.subarray(newline + 1);
    }
  };

  private startDiscard(): void {
    const whole = Buffer.concat(this.chunks);
    this.discarding = {
      head: whole.subarray(0, EDGE_BYTES).toString("utf8"),
      tail: whole.subarray(-EDGE_BYTES),
      bytes: whole.length,
    };
    this.chunks = [];
    this.buffered = 0;
  }

  private finishDiscard(): void {
    const discarded = this.discarding;
    this.discarding = undefined;
    if (!discarded) return;
    const id =
      parseId(ID_AT_START.exec(discarded.head)?.[1]) ?? parseId(ID_AT_END.exec(discarded.tail.toString("utf8"))?.[1]);
    const mib = Math.round((this.maxLineBytes / (1024 * 1024)) * 10) / 10;
    log(
      "error",
      `stdio: discarded a message of ${discarded.bytes} bytes, over the ${mib} MiB limit for one message${id !== undefined ? ` (request id ${JSON.stringify(id)})` : ""}; still serving`,
    );
    this.replyError(id, INVALID_REQUEST, `Invalid Request: the message is larger than ${mib} MiB and was discarded.`);
  }

  private handleLine(raw: string): void {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      log("warn", "stdio: discarded a line that is not JSON");
      this.replyError(undefined, PARSE_ERROR, "Parse error: the line is not valid JSON.");
      return;
    }
    if (Array.isArray(value)) {
      // MCP does not use JSON-RPC batches: each request in one is answered with an error.
      log("warn", `stdio: refused a JSON-RPC batch of ${value.length} message(s)`);
      const ids = value.map(idOf).filter((id) => id !== undefined);
      for (const id of ids) this.replyError(id, INVALID_REQUEST, "Invalid Request: batches are not supported.");
      if (ids.length === 0) this.replyError(undefined, INVALID_REQUEST, "Invalid Request: batches are not supported.");
      return;
    }
    const kind = messageKind(value);
    if (kind === undefined) {
      const id = idOf(value);
      log(
        "warn",
        `stdio: discarded a message that is not valid JSON-RPC${id !== undefined ? " (answered -32600)" : ""}`,
      );
      if (id !== undefined) this.replyError(id, INVALID_REQUEST, "Invalid Request: not a valid JSON-RPC 2.0 message.");
      return;
    }
    // A subscription stream stays open until cancelled: it is not a call to wait for at end-of-file.
    const message = value as JSONRPCMessage & { id?: RequestId; method?: string; params?: unknown };
    if (kind === "request") {
      const id = message.id as RequestId;
      if (message.method !== "subscriptions/listen") this.pending.add(idKey(id));
      this.directCalls?.noteRequest(id, message.method as string);
      const answer = message.method === "tools/call" ? this.directCalls?.start(idKey(id), message.params) : undefined;
      if (answer) {
        answer
          .then((result) => (result === undefined ? undefined : this.sendAnswer(id, result)))
          .catch((error: unknown) => this.onerror?.(error instanceof Error ? error : new Error(String(error))));
        return;
      }
    } else if (kind === "notification" && message.method === "notifications/cancelled") {
      // A cancelled request is not answered.
      const params = message.params as { requestId?: unknown; reason?: unknown } | undefined;
      const requestId = params?.requestId;
      if (typeof requestId === "string" || typeof requestId === "number") {
        this.settle(requestId);
        if (this.directCalls?.cancel(idKey(requestId), params?.reason)) return;
      }
    }
    try {
      this.onmessage?.(message);
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** An error reply written by the transport itself (no request reached the server). */
  private replyError(id: RequestId | undefined, code: number, message: string): void {
    if (this.closed) return;
    const reply = { jsonrpc: "2.0", ...(id !== undefined ? { id } : {}), error: { code, message } };
    this.write(`${JSON.stringify(reply)}\n`).catch((error: unknown) =>
      this.onerror?.(error instanceof Error ? error : new Error(String(error))),
    );
  }

  private settle(id: RequestId): void {
    this.pending.delete(idKey(id));
    if (this.inputEnded && this.pending.size === 0) void this.close();
  }

  private readonly onInputEnd = () => {
    if (this.inputEnded || this.closed) return;
    this.inputEnded = true;
    // A last line without its newline is still a message.
    if (this.discarding) this.finishDiscard();
    else if (this.buffered > 0) {
      const line = Buffer.concat(this.chunks).toString("utf8");
      this.chunks = [];
      this.buffered = 0;
      this.handleLine(line);
    }
    if (this.pending.size === 0) {
      void this.close();
      return;
    }
    log("debug", `stdin ended; answering ${this.pending.size} call(s) in flight before exiting`);
    this.drainTimer = setTimeout(() => {
      log("warn", `stdin ended and ${this.pending.size} call(s) were still unanswered after ${this.drainTimeoutMs} ms`);
      void this.close();
    }, this.drainTimeoutMs);
  };

  private readonly onInputError = (error: Error) => {
    this.onerror?.(error);
    this.onInputEnd();
  };

  /** The client is gone (EPIPE): nothing can be answered any more. */
  private readonly onOutputError = (error: Error) => {
    this.onerror?.(error);
    void this.close();
  };
}

export interface RunStdioOptions {
  /** After stdin ends, how long calls in flight get to finish; default the default call deadline + 2 s. */
  drainTimeoutMs?: number;
}

/** Serves one stdio session; resolves when it is over (stdin ended and every call answered). */
export function runStdio(
  factory: (() => McpServer) & Partial<Pick<ServerFactory, "direct">>,
  options: RunStdioOptions = {},
): Promise<void> {
  const transport = new LineTransport({ drainTimeoutMs: options.drainTimeoutMs, direct: factory.direct });
  const handle = serveStdio(factory, {
    transport,
    onerror: (error) => log("warn", `stdio transport: ${error.message}`),
  });
  return transport.whenClosed.then(() => handle.close());
}
