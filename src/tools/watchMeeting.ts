import { z } from "zod";
import type { SessionRow } from "../convex/types.js";
import { Cancel, type CancelSignal } from "../core/cancel.js";
import { ToolFailure } from "../core/failures.js";
import type { LiveState, LiveVia } from "../live/hub.js";
import { parseList } from "../openapi/registry.js";
import { fitToBudget } from "../present/size.js";
import { summaryLead } from "../summary/render.js";
import { type ActiveSessionsSummary, activeSessionsSummarySchema } from "../summary/schema.js";
import { DEFAULT_LIMIT, MAX_LIMIT, type SummaryFormat, summarizeSessions } from "../summary/summarize.js";
import { defineTool, type ToolBackend } from "./define.js";
import { type ChangeKind, changeSchema, diffStates, TALLY_WORDS } from "./watch/changes.js";
import {
  FIRST_ANSWER_MS,
  hashChars,
  MAX_CHANGES,
  meetingState,
  PROGRESS_EVERY_MS,
  RECHECK_MS,
  type ReadCursor,
  readCursor,
  recall,
  remember,
  SESSIONS,
  WAIT_DEFAULT_SEC,
  WAIT_MAX_SEC,
  writeCursor,
} from "./watch/state.js";

// ---- the tool -----------------------------------------------------------------------------------

const isoTime = z
  .string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
  .meta({ format: "date-time" });

const watchMeetingOutputSchema = z.object({
  meetingId: z.string(),
  cursor: z.string().describe("Pass as since to wait for what changes next."),
  changed: z.boolean().describe("Something material changed since `since` (false for a snapshot or at the deadline)."),
  snapshot: z.literal(true).optional().describe("No usable since: this is the state now, with a cursor to follow it."),
  since: isoTime.optional().describe("The time of the cursor that was passed."),
  changes: z.array(changeSchema).describe("Most important first; empty when nothing changed."),
  omittedChanges: z.number().min(0),
  changesUnknown: z
    .literal(true)
    .optional()
    .describe("Something changed, but this server does not know the earlier state in detail (see summary)."),
  via: z.enum(["subscription", "polling"]).describe("subscription: Convex's live query; polling: its HTTP fallback."),
  summary: activeSessionsSummarySchema,
});
export type WatchMeetingOutput = z.infer<typeof watchMeetingOutputSchema>;

interface Input {
  meetingId: string;
  since?: string;
  waitSec: number;
  limit: number;
  format: SummaryFormat;
}

interface Loaded {
  rows: SessionRow[];
  unreadable: number;
  at: number;
  via: LiveVia;
  since: ReadCursor | undefined;
  waitedMs: number;
}

const TRANSIENT: ReadonlySet<string> = new Set([
  "unreachable",
  "unavailable",
  "timeout",
  "rate_limited",
  "backend_error",
]);

function rowsOf(state: LiveState, backend: ToolBackend): { rows: SessionRow[]; unreadable: number } {
  if (state.kind === "failure") throw new ToolFailure(state.failure);
  const parsed = parseList<SessionRow>(SESSIONS, state.value);
  if (!parsed)
    throw new ToolFailure({ kind: "bad_response", url: backend.url, what: `${SESSIONS}: the value is not a list` });
  return parsed;
}

/** A signal that aborts at `at` (or with `parent`). */
function until(at: number, now: number, parent: CancelSignal): { signal: CancelSignal; done: () => void } {
  const controller = new Cancel();
  const timer = setTimeout(() => controller.abort(), Math.max(0, at - now));
  const onParent = () => controller.abort();
  if (parent.aborted) controller.abort();
  else parent.addEventListener("abort", onParent, { once: true });
  return {
    signal: controller,
    done: () => {
      clearTimeout(timer);
      parent.removeEventListener("abort", onParent);
    },
  };
}

async function waitForChange(input: Input, backend: ToolBackend, since: ReadCursor | undefined): Promise<Loaded> {
  const started = backend.now();
  const args = { meetingId: input.meetingId };
  const live = backend.live;
  if (!live) {
    // A server without live subscriptions answers from one read.
    const { rows, unreadable } = await backend.list<SessionRow>(SESSIONS, args);
    return { rows, unreadable, at: backend.now(), via: "polling", since, waitedMs: 0 };
  }
  const lease = live.watch(SESSIONS, args);
  const waiting = since?.kind === "ok";
  const deadlineAt = started + (waiting ? input.waitSec * 1000 : 0);
  let progressTimer: NodeJS.Timeout | undefined;
  if (waiting && backend.progress) {
    const progress = backend.progress;
    const report = () => {
      const elapsed = Math.min(input.waitSec, Math.round((backend.now() - started) / 1000));
      progress(elapsed, input.waitSec, `watching meeting for changes (${elapsed} of ${input.waitSec} s)`);
    };
    // At once, so a client knows the wait has begun (and can show it) before the first interval.
    report();
    progressTimer = setInterval(report, PROGRESS_EVERY_MS);
    progressTimer.unref();
  }
  try {
    const first = until(started + Math.max(FIRST_ANSWER_MS, deadlineAt - started), started, backend.signal);
    let state = await lease.next(0, first.signal);
    first.done();
    if (backend.signal.aborted) throw new ToolFailure({ kind: "cancelled" });
    if (!state) {
      if (live.closing) throw new ToolFailure({ kind: "cancelled" });
      throw new ToolFailure({ kind: "timeout", url: backend.url, timeoutMs: FIRST_ANSWER_MS });
    }
    let last = rowsOf(state, backend);
    for (;;) {
      const at = backend.now();
      const done = (): Loaded => ({ ...last, at, via: state?.via ?? "subscription", since, waitedMs: at - started });
      if (!waiting || since?.kind !== "ok") return done();
      const current = meetingState(last.rows, input.meetingId, at);
      if (current.digest !== since.cursor.digest) return done();
      if (at >= deadlineAt || live.closing) return done();
      const wait = until(Math.min(deadlineAt, at + RECHECK_MS), at, backend.signal);
      const next: LiveState | undefined = await lease.next(state.version, wait.signal);
      wait.done();
      if (backend.signal.aborted) throw new ToolFailure({ kind: "cancelled" });
      if (next && next.version !== state.version) {
        state = next;
        // A passing failure (the fallback's HTTP read, a restart) does not end a wait that has an answer.
        if (state.kind === "failure" && TRANSIENT.has(state.failure.kind) && backend.now() < deadlineAt) continue;
        last = rowsOf(state, backend);
      }
    }
  } finally {
    clearInterval(progressTimer);
    lease.release({ cancelled: backend.signal.aborted });
  }
}

export const watchMeeting = defineTool({
  name: "watch_meeting",
  title: "Follow a live Connvo meeting",
  toolset: "meetings",
  description: [
    "Follows a live Connvo meeting as it happens: who joins, leaves, drops, starts or stops connecting, and whose connection quality changes.",
    "Use it when asked to keep an eye on a meeting or to say when something changes; call it first without since, then again with since set to the cursor of the last answer.",
    "Returns the per-person sessions summary (as get_active_sessions) and a cursor; with since, it waits until something material changes and returns the changes in words and data, or changed false at the end of waitSec.",
    `Limits: waits at most waitSec seconds (1-${WAIT_MAX_SEC}, default ${WAIT_DEFAULT_SEC}); lists at most ${MAX_CHANGES} changes and \`limit\` people; durations alone are not changes;`,
    "only a participant of the meeting may follow it.",
    "Read-only.",
  ].join(" "),
  operations: [SESSIONS],
  args: { from: SESSIONS },
  options: {
    since: z
      .string()
      .max(4096)
      .optional()
      .describe("The cursor of an earlier watch_meeting answer: wait for changes after it. Absent: the summary now."),
    waitSec: z
      .number()
      .int()
      .min(1)
      .max(WAIT_MAX_SEC)
      .default(WAIT_DEFAULT_SEC)
      .describe(
        `With since: the longest wait for a change, in seconds (1-${WAIT_MAX_SEC}, default ${WAIT_DEFAULT_SEC}).`,
      ),
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_LIMIT)
      .default(DEFAULT_LIMIT)
      .describe(`Most people in the summary (1-${MAX_LIMIT}, default ${DEFAULT_LIMIT}); attention cases first.`),
    format: z
      .enum(["concise", "detailed"])
      .default("concise")
      .describe("concise (default) or detailed (adds session rows and avatar URLs), as get_active_sessions."),
  },
  output: watchMeetingOutputSchema,
  annotations: {
    title: "Follow a live Connvo meeting",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async load(input: Input, backend) {
    const since = input.since !== undefined ? readCursor(input.since, input.meetingId, backend.now()) : undefined;
    return waitForChange(input, backend, since);
  },
  shape(loaded: Loaded, input, view) {
    const at = loaded.at;
    const summary: ActiveSessionsSummary = fitToBudget(input.limit, (limit) =>
      summarizeSessions(loaded.rows, {
        meetingId: input.meetingId,
        now: at,
        limit,
        format: input.format,
        unreadableRows: loaded.unreadable,
      }),
    );
    const state = meetingState(loaded.rows, input.meetingId, at);
    remember(input.meetingId, state);
    const cursor = writeCursor(input.meetingId, at, state);
    const since = loaded.since;
    const base = { meetingId: summary.meetingId, cursor, via: loaded.via, summary };
    const lead = summaryLead(summary);
    const follow = "Call watch_meeting again with since set to this cursor to wait for the next change.";

    if (since === undefined || since.kind === "stale") {
      const why =
        since === undefined
          ? "The meeting now."
          : "The cursor passed as since is from more than a day ago (or not yet valid), so this is the meeting now.";
      return {
        lead: [why, lead, follow, ...view.notes],
        data: { ...base, changed: false, snapshot: true as const, changes: [], omittedChanges: 0 },
      };
    }
    const sinceIso = new Date(since.cursor.at).toISOString();
    if (state.digest === since.cursor.digest) {
      const waited = Math.round(loaded.waitedMs / 1000);
      return {
        lead: [`No material change since ${sinceIso} (waited ${waited} s).`, lead, follow, ...view.notes],
        data: { ...base, changed: false, since: sinceIso, changes: [], omittedChanges: 0 },
      };
    }
    const remembered = recall(input.meetingId, since.cursor.digest);
    const before = since.cursor.people ?? remembered?.people;
    if (!before) {
      return {
        lead: [
          `The meeting changed since ${sinceIso}; this server does not know the earlier state in detail, so here is the meeting now.`,
          lead,
          follow,
          ...view.notes,
        ],
        data: {
          ...base,
          changed: true,
          since: sinceIso,
          changesUnknown: true as const,
          changes: [],
          omittedChanges: 0,
        },
      };
    }
    const reasons = new Map<string, string[]>();
    for (const p of summary.participants) if (p.attention) reasons.set(hashChars(p.userId, 8), p.attention);
    const all = diffStates(before, state, (hash) => reasons.get(hash), remembered?.people);
    const changes = all.slice(0, MAX_CHANGES);
    const counts = new Map<ChangeKind, number>();
    for (const c of all) counts.set(c.kind, (counts.get(c.kind) ?? 0) + 1);
    const tally = [...counts].map(([kind, n]) => `${n} ${TALLY_WORDS[kind]}`).join(", ");
    const omitted = all.length - changes.length;
    return {
      lead: [
        `${all.length} ${all.length === 1 ? "change" : "changes"} since ${sinceIso}: ${tally}${omitted > 0 ? ` (${omitted} not listed)` : ""}.`,
        lead,
        follow,
        ...view.notes,
      ],
      data: { ...base, changed: true, since: sinceIso, changes, omittedChanges: omitted },
    };
  },
});
