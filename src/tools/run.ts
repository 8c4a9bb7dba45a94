/**
 * The one place a tool runs: the input is normalised (IDs as users paste them), ID arguments are
 * checked before any request, backend calls go out with their function's kind and are checked
 * against the document, the pure `shape` makes the answer, and src/present/render.ts turns it (or
 * the failure) into the CallToolResult. Anything unexpected is logged (redacted) and reported as an
 * internal error; the server keeps serving.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { ConvexBackend } from "../convex/client.js";
import { explainInvalidConvexId } from "../convex/ids.js";
import type { CancelSignal } from "../core/cancel.js";
import { type Failure, type ResourceRef, ToolFailure } from "../core/failures.js";
import { log } from "../core/log.js";
import type { LiveAccess } from "../live/hub.js";
import { type OperationPath, operation, parseList, valueMatches } from "../openapi/registry.js";
import { failureResult, renderAnswer } from "../present/render.js";
import type { AnyTool, ToolBackend } from "./define.js";
import { normalizeIdArgument } from "./normalize.js";

export interface RunContext {
  /** The backend client for whoever is calling (throws a ToolFailure when not configured). */
  backend(): ConvexBackend;
  /** Aborted when the MCP client cancels the call. */
  signal: CancelSignal;
  now(): number;
  /** Live subscriptions for whoever is calling (watch tools). */
  live?(): LiveAccess;
  /** Present when the client sent a progress token. */
  progress?(progress: number, total?: number, message?: string): void;
}

/** IDs as users paste them (spaces, upper case, a meeting URL) → the ID; then the pre-check. */
function prepareInput(
  tool: AnyTool,
  args: Record<string, unknown>,
): { input: Record<string, unknown>; notes: string[] } {
  const input = { ...args };
  const notes: string[] = [];
  for (const [argument, table] of Object.entries(tool.idArgs)) {
    const raw = input[argument];
    if (raw === undefined) continue;
    const { id, note } = normalizeIdArgument(argument, raw);
    const reason = explainInvalidConvexId(id);
    if (reason) throw new ToolFailure({ kind: "invalid_id", argument, table, reason });
    input[argument] = id;
    if (note) notes.push(note);
  }
  return { input, notes };
}

/** The document a failure should name: the tool's first ID argument that was given. */
function primaryResource(tool: AnyTool, input: Record<string, unknown>): ResourceRef | undefined {
  for (const [argument, table] of Object.entries(tool.idArgs)) {
    const id = input[argument];
    if (typeof id === "string") return { table, id };
  }
  return undefined;
}

function toolBackend(tool: AnyTool, input: Record<string, unknown>, ctx: RunContext): ToolBackend {
  let backend: ConvexBackend | undefined;
  const client = () => {
    backend ??= ctx.backend();
    return backend;
  };
  const resource = primaryResource(tool, input);
  const send = (path: OperationPath, args: Record<string, unknown>, options: Parameters<ToolBackend["call"]>[2]) => {
    if (!tool.operations.includes(path)) throw new Error(`${tool.name} called ${path}, which it does not declare`);
    return client().call(operation(path).kind, path, args, {
      signal: ctx.signal,
      resource: options?.resource ?? resource,
      idempotent: options?.idempotent,
    });
  };
  const badResponse = (path: OperationPath, what: string): ToolFailure =>
    new ToolFailure({ kind: "bad_response", url: client().url, what: `${path}: ${what}` });
  return {
    get url() {
      return client().url;
    },
    signal: ctx.signal,
    now: ctx.now,
    get live(): LiveAccess | undefined {
      const live = ctx.live?.();
      if (!live) return undefined;
      return {
        get closing() {
          return live.closing;
        },
        watch(path, args, options) {
          if (!tool.operations.includes(path as OperationPath)) {
            throw new Error(`${tool.name} watched ${path}, which it does not declare`);
          }
          return live.watch(path, args, { resource: options?.resource ?? resource });
        },
      };
    },
    ...(ctx.progress ? { progress: ctx.progress } : {}),
    async call(path, args, options) {
      const value = await send(path, args, options);
      if (!valueMatches(path, value)) throw badResponse(path, "the value does not have the documented shape");
      return value;
    },
    async list(path, args, options) {
      const parsed = parseList<never>(path, await send(path, args, options));
      if (!parsed) throw badResponse(path, "the value is not a list");
      return parsed;
    },
  };
}

/** Failures of the caller's own input: answered, not logged (they say nothing about the server). */
const QUIET: ReadonlySet<Failure["kind"]> = new Set(["invalid_id", "invalid_argument"]);

export async function runTool(tool: AnyTool, args: unknown, ctx: RunContext): Promise<CallToolResult> {
  try {
    const { input, notes } = prepareInput(tool, (args ?? {}) as Record<string, unknown>);
    const loaded = await tool.load(input, toolBackend(tool, input, ctx));
    return renderAnswer(tool.shape(loaded, input, { now: ctx.now(), notes }));
  } catch (error) {
    if (error instanceof ToolFailure) {
      if (!QUIET.has(error.failure.kind)) log("warn", `${tool.name} failed: ${error.failure.kind}`);
      return failureResult(error.failure);
    }
    log("error", `${tool.name} crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return failureResult({ kind: "internal" });
  }
}
