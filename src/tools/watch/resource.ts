/** The resource template connvo://meetings/{meetingId}/sessions, subscribable on stdio. */
import {
  type CallToolResult,
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { explainInvalidConvexId } from "../../convex/ids.js";
import type { SessionRow } from "../../convex/types.js";
import { ToolFailure } from "../../core/failures.js";
import { endWatchesOnShutdown, type LiveHub, type LiveLease, type LiveState } from "../../live/hub.js";
import type { LiveSource } from "../../live/source.js";
import { parseList } from "../../openapi/registry.js";
import { failureResult } from "../../present/render.js";
import { meetingState, SESSIONS } from "./state.js";

// ---- connvo://meetings/{meetingId}/sessions ------------------------------------------------------

export const SESSIONS_TEMPLATE = "connvo://meetings/{meetingId}/sessions";
const SESSIONS_URI = /^connvo:\/\/meetings\/([^/?#]{1,128})\/sessions$/;
/** Resources one connection may follow at once. */
const MAX_FOLLOWED_RESOURCES = 8;
const RESOURCE_RECHECK_MS = 10_000;

interface SessionsResourceDeps {
  server: McpServer;
  hub: LiveHub;
  now: () => number;
  /** The sessions summary, as get_active_sessions answers it for this caller. */
  read(meetingId: string, ctx: ServerContext): Promise<CallToolResult>;
  source(ctx: ServerContext): LiveSource;
}

const textOf = (result: CallToolResult) =>
  result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n") || "The read failed.";

/** What counts as a change of the resource: the material state, or which failure. */
function stateKey(state: LiveState | undefined, meetingId: string, now: number): string | undefined {
  if (!state) return undefined;
  if (state.kind === "failure") return `failure:${state.failure.kind}`;
  const parsed = parseList<SessionRow>(SESSIONS, state.value);
  return parsed ? meetingState(parsed.rows, meetingId, now).digest : "unreadable";
}

/**
 * The sessions resource of one server instance (one connection): reads answer the summary;
 * `resources/subscribe` (stdio: one user, a long-lived connection) follows the meeting on the
 * same live subscription watch_meeting uses and sends `notifications/resources/updated` when its
 * material state changes. On the 2026-07-28 protocol revision the stdio entry serves
 * `subscriptions/listen` itself, so a resource that was read is followed for the connection (at
 * most a few), and the entry delivers the updates to the listeners that asked for them.
 */
export function followSessionsResource(deps: SessionsResourceDeps) {
  const follows = new Map<string, { lease: LiveLease; timer: NodeJS.Timeout; key: string | undefined }>();

  function meetingIdOf(uri: string): string {
    const match = SESSIONS_URI.exec(uri);
    let id: string | undefined;
    try {
      id = match?.[1] !== undefined ? decodeURIComponent(match[1]) : undefined;
    } catch {
      id = undefined;
    }
    const problem = id === undefined ? "it is not connvo://meetings/{meetingId}/sessions" : explainInvalidConvexId(id);
    if (id === undefined || problem) {
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown resource ${uri.slice(0, 200)}: ${problem}`);
    }
    return id;
  }

  function start(uri: string, meetingId: string, ctx: ServerContext): void {
    if (follows.has(uri)) return;
    if (follows.size >= MAX_FOLLOWED_RESOURCES) {
      throw new ProtocolError(
        ProtocolErrorCode.InvalidRequest,
        `This connection already follows ${MAX_FOLLOWED_RESOURCES} meetings, the most at once; unsubscribe from one first.`,
      );
    }
    let lease: LiveLease;
    try {
      endWatchesOnShutdown(deps.hub);
      lease = deps.hub.watch({
        source: deps.source(ctx),
        path: SESSIONS,
        args: { meetingId },
        resource: { table: "meetings", id: meetingId },
      });
    } catch (error) {
      if (error instanceof ToolFailure)
        throw new ProtocolError(ProtocolErrorCode.InvalidRequest, textOf(failureResult(error.failure)));
      throw error;
    }
    const follow = {
      lease,
      timer: undefined as unknown as NodeJS.Timeout,
      key: stateKey(lease.state, meetingId, deps.now()),
    };
    const check = (state: LiveState | undefined) => {
      const key = stateKey(state, meetingId, deps.now());
      if (key === undefined) return;
      if (follow.key !== undefined && key !== follow.key) {
        void deps.server.server.sendResourceUpdated({ uri }).catch(() => undefined);
      }
      follow.key = key;
    };
    lease.onState(check);
    // Time alone can make a new attention case (stuck connecting, stale metrics).
    follow.timer = setInterval(() => check(lease.state), RESOURCE_RECHECK_MS);
    follow.timer.unref();
    follows.set(uri, follow);
  }

  function stop(uri: string): void {
    const follow = follows.get(uri);
    if (!follow) return;
    follows.delete(uri);
    clearInterval(follow.timer);
    follow.lease.release();
  }

  const previous = deps.server.server.onclose;
  deps.server.server.onclose = () => {
    for (const uri of [...follows.keys()]) stop(uri);
    previous?.();
  };

  return {
    async read(
      uri: URL,
      variables: Record<string, string | string[]>,
      ctx: ServerContext,
    ): Promise<ReadResourceResult> {
      const raw = variables.meetingId;
      const meetingId = meetingIdOf(
        `connvo://meetings/${encodeURIComponent(Array.isArray(raw) ? (raw[0] ?? "") : (raw ?? ""))}/sessions`,
      );
      const result = await deps.read(meetingId, ctx);
      if (result.isError) throw new ProtocolError(ProtocolErrorCode.InvalidParams, textOf(result));
      // 2026-07-28 over stdio: subscriptions/listen is served by the entry, so follow what was read.
      if (ctx.http === undefined && ctx.mcpReq.envelope !== undefined && follows.size < MAX_FOLLOWED_RESOURCES) {
        try {
          start(uri.href, meetingId, ctx);
        } catch {
          // Following is a bonus here; the read itself succeeded.
        }
      }
      return {
        contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(result.structuredContent) }],
      };
    },
    subscribe(uri: string, ctx: ServerContext): Record<string, never> {
      if (ctx.http !== undefined) {
        throw new ProtocolError(
          ProtocolErrorCode.InvalidRequest,
          "Resource subscriptions need a long-lived connection (stdio); over HTTP, call watch_meeting instead.",
        );
      }
      start(uri, meetingIdOf(uri), ctx);
      return {};
    },
    unsubscribe(uri: string): Record<string, never> {
      stop(uri);
      return {};
    },
  };
}
