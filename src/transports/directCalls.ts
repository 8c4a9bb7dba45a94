/**
 * The tools/calls of one stdio session that connvo-mcp answers itself (`ServerFactory.direct`,
 * src/server.ts) instead of handing them to the SDK's request dispatch: only once the session's
 * initialize was answered with a 2025 protocol revision (the era whose answers those are), one
 * call per request id, each with its own AbortSignal, cancelled by `notifications/cancelled` and
 * by the session closing, as the SDK cancels its handlers. A cancelled call is not answered.
 */
import type { CallToolResult, JSONRPCMessage } from "@modelcontextprotocol/server";
import { Cancel } from "../core/cancel.js";
import type { DirectCall } from "../server.js";

/** The first revision of the modern era (per-request envelope): never answered here. */
const FIRST_MODERN_VERSION = "2026-07-28";

type RequestId = string | number;

export class DirectCalls {
  private initializeId: RequestId | undefined;
  private legacy = false;
  private readonly inFlight = new Map<string, Cancel>();

  constructor(private readonly direct: DirectCall) {}

  /** Every incoming request: the session's initialize is remembered, to read the revision from its answer. */
  noteRequest(id: RequestId, method: string): void {
    if (method === "initialize") this.initializeId = id;
  }

  /** Every outgoing message: the answer to initialize says which revision the session speaks. */
  noteOutgoing(message: JSONRPCMessage): void {
    if (this.initializeId === undefined) return;
    const answer = message as { id?: RequestId; result?: { protocolVersion?: unknown } };
    if (answer.id !== this.initializeId || answer.result === undefined) return;
    this.initializeId = undefined;
    const version = answer.result.protocolVersion;
    this.legacy = typeof version === "string" && version < FIRST_MODERN_VERSION;
  }

  /**
   * The call's answer (undefined once cancelled), or undefined when the SDK must answer it: before
   * a 2025-era initialize, for a request id already in flight, or a call `direct` does not take.
   */
  start(key: string, params: unknown): Promise<CallToolResult | undefined> | undefined {
    if (!this.legacy || this.inFlight.has(key)) return undefined;
    const controller = new Cancel();
    const answer = this.direct(params, { signal: controller });
    if (!answer) return undefined;
    this.inFlight.set(key, controller);
    return answer.then((result) => {
      if (this.inFlight.get(key) !== controller) return undefined;
      this.inFlight.delete(key);
      return result;
    });
  }

  /** Cancels the call with this key; false when it is not one of these (then it is the SDK's). */
  cancel(key: string, reason: unknown): boolean {
    const controller = this.inFlight.get(key);
    if (!controller) return false;
    this.inFlight.delete(key);
    controller.abort(reason);
    return true;
  }

  /** The session is over: every call in flight is cancelled. */
  cancelAll(reason: unknown): void {
    for (const controller of this.inFlight.values()) controller.abort(reason);
    this.inFlight.clear();
  }
}
