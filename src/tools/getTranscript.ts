/**
 * get_transcript: what was said in a Connvo meeting, as lines of named speakers with times from
 * the meeting's start, a range at a time (the last N minutes, fromSec/toSec, or the whole meeting),
 * continued with a cursor.
 *
 * Connvo's transcript reads are mutations that only read: they are declared idempotent so they
 * are retried like reads. Every chunk read names its 5-minute bucket (see transcript/scan.ts), so a
 * meeting that ended yesterday reads as well as a live one.
 */
import { z } from "zod";
import { ToolFailure } from "../core/failures.js";
import { countSchema, iso, isoTimeSchema, label, limitOption, plural } from "../present/fields.js";
import { defineTool, type ToolBackend } from "./define.js";
import type { ParticipantRow } from "./getMeeting.js";
import { bucketOf, decodeCursor, encodeCursor, MAX_CURSOR_CHARS, type TranscriptCursor } from "./transcript/cursor.js";
import { buildPage, sinceStart, speakerNames } from "./transcript/page.js";
import { CHUNKS_PER_CALL, type ScanResult, scanRange, type TranscriptChunkRow } from "./transcript/scan.js";

const CHUNKS = "transcripts/ingestion:getTranscriptChunks";
const STATS = "transcripts/ingestion:getTranscriptStats";
const MEETING = "meetings/queries:getMeeting";
const ROSTER = "meetings/queries:listMeetingParticipants";

const MIN = 60_000;
/** A live meeting's range ends a minute after now (clock skew between us and the ingesters). */
const LIVE_SLACK_MS = MIN;
/** A past meeting is read this far past its last known moment. */
const TAIL_MS = 5 * MIN;
/** People joining this long before the scheduled start still count as the meeting. */
const EARLY_JOIN_MS = 60 * MIN;
/** The longest span read as "the whole meeting". */
const MAX_SPAN_MS = 12 * 60 * MIN;
const MAX_SEC = 86_400;

export interface TranscriptMeeting {
  _id: string;
  title: string;
  state: "scheduled" | "active" | "concluded" | "cancelled";
  scheduledAt?: number;
  duration?: number;
  createdAt: number;
  updatedAt: number;
}

export interface TranscriptStats {
  totalChunks: number;
  totalWords: number;
  averageConfidence: number;
  duration: number;
  speakers: string[];
  languages: string[];
  bucketCount?: number;
}

export interface TranscriptInput {
  meetingId: string;
  lastMinutes?: number;
  fromSec?: number;
  toSec?: number;
  cursor?: string;
  maxLines: number;
}

/** The range an answer reads: chunks whose startMs is in [fromMs, toMs). */
export interface TranscriptPlan {
  fromMs: number;
  toMs: number;
  /** The meeting's start (scheduled, else created): times are given from here. */
  startMs: number;
  /** The range is the whole meeting (Connvo's total then says what is left). */
  whole: boolean;
  /** Chunks of the range earlier pages went through. */
  before: number;
  bucketMs: number;
  afterSequence: number;
}

export interface TranscriptLoaded {
  meeting: TranscriptMeeting;
  roster: ParticipantRow[];
  stats: TranscriptStats;
  plan: TranscriptPlan;
  scan: ScanResult;
}

const STATE_WORDS = { scheduled: "scheduled", active: "live", concluded: "ended", cancelled: "cancelled" } as const;

const outputSchema = z.object({
  asOf: isoTimeSchema,
  meeting: z.object({
    meetingId: z.string(),
    title: z.string(),
    state: z.enum(["scheduled", "live", "ended", "cancelled"]),
    start: isoTimeSchema,
  }),
  range: z.object({
    from: z.string(),
    to: z.string(),
    fromSec: z.number(),
    toSec: z.number(),
  }),
  speakers: z.array(z.object({ speakerId: z.string(), name: z.string() })),
  lines: z.array(z.object({ at: z.string(), speaker: z.string(), text: z.string() })),
  counts: z.object({ lines: countSchema, chunks: countSchema, shortened: countSchema }),
  totals: z.object({ chunks: countSchema, words: countSchema, minutes: countSchema, speakers: countSchema }),
  truncated: z.boolean(),
  /** Chunks of the range after this page (at least this many when omittedExact is false). */
  omittedChunks: countSchema,
  omittedExact: z.boolean(),
  nextCursor: z.string().optional(),
  unreadable: countSchema.optional(),
});

export type TranscriptAnswer = z.infer<typeof outputSchema>;

const invalid = (argument: string, problem: string): never => {
  throw new ToolFailure({ kind: "invalid_argument", argument, problem });
};

/** Options that cannot go together; checked before any request. */
function checkOptions(input: TranscriptInput): void {
  const range = [
    input.lastMinutes !== undefined && "lastMinutes",
    input.fromSec !== undefined && "fromSec",
    input.toSec !== undefined && "toSec",
  ].filter(Boolean);
  if (input.cursor !== undefined && range.length > 0) {
    invalid(
      "cursor",
      `continues the range of the answer that gave it, so it cannot be combined with ${range.join(" or ")}. Send cursor alone (with meetingId and maxLines), or leave it out to start a new range.`,
    );
  }
  if (input.lastMinutes !== undefined && (input.fromSec !== undefined || input.toSec !== undefined)) {
    invalid("lastMinutes", "cannot be combined with fromSec/toSec: give either the last N minutes or a range.");
  }
  if (input.fromSec !== undefined && input.toSec !== undefined && input.toSec <= input.fromSec) {
    invalid("toSec", "must be greater than fromSec.");
  }
}

/**
 * The meeting's span: from its start (or the first join, if earlier) to now for a live meeting,
 * and for any other to the last moment known (planned end, last leave, transcript length).
 */
export function meetingSpan(
  meeting: TranscriptMeeting,
  roster: readonly ParticipantRow[],
  stats: TranscriptStats,
  now: number,
): { startMs: number; spanStart: number; contentEnd: number; spanEnd: number } {
  const startMs = meeting.scheduledAt ?? meeting.createdAt;
  const joins = roster.map((p) => p.joinedAt).filter((t): t is number => typeof t === "number");
  const spanStart = Math.max(startMs - EARLY_JOIN_MS, Math.min(startMs, ...joins));
  const liveEnd = now + LIVE_SLACK_MS;
  if (meeting.state === "active" || meeting.state === "scheduled") {
    const end = Math.min(liveEnd, spanStart + MAX_SPAN_MS);
    return { startMs, spanStart, contentEnd: Math.min(now, end), spanEnd: Math.max(end, spanStart + 1) };
  }
  const lefts = roster.map((p) => p.leftAt).filter((t): t is number => typeof t === "number");
  const known = [
    startMs + (meeting.duration ?? 0) * 1000,
    spanStart + Math.max(0, stats.duration),
    ...lefts,
    ...(meeting.state === "concluded" ? [Math.min(meeting.updatedAt, spanStart + MAX_SPAN_MS / 2)] : []),
  ];
  const contentEnd = Math.min(liveEnd, spanStart + MAX_SPAN_MS, Math.max(...known));
  const spanEnd = Math.min(liveEnd, spanStart + MAX_SPAN_MS, contentEnd + TAIL_MS);
  return { startMs, spanStart, contentEnd, spanEnd: Math.max(spanEnd, spanStart + 1) };
}

/** The range of a first page, from the options. */
export function planRange(
  input: TranscriptInput,
  span: ReturnType<typeof meetingSpan>,
): Omit<TranscriptPlan, "bucketMs" | "afterSequence" | "before"> {
  const { startMs, spanStart, contentEnd, spanEnd } = span;
  let fromMs = spanStart;
  let toMs = spanEnd;
  if (input.lastMinutes !== undefined) fromMs = Math.max(spanStart, contentEnd - input.lastMinutes * MIN);
  if (input.fromSec !== undefined) fromMs = startMs + input.fromSec * 1000;
  if (input.toSec !== undefined) toMs = startMs + input.toSec * 1000;
  toMs = Math.max(toMs, fromMs);
  return { fromMs, toMs, startMs, whole: fromMs <= spanStart && toMs >= spanEnd };
}

export function shapeTranscript(loaded: TranscriptLoaded, input: TranscriptInput, now: number): TranscriptAnswer {
  const { meeting, roster, stats, plan, scan } = loaded;
  const names = speakerNames(roster);
  const page = buildPage(scan.chunks, { maxLines: input.maxLines, startMs: plan.startMs, names });
  const inHand = scan.chunks.length - page.consumed;
  const truncated = inHand > 0 || !scan.finished;
  let omittedChunks = 0;
  let omittedExact = true;
  if (truncated) {
    if (plan.whole) {
      omittedChunks = Math.max(inHand + scan.counted, stats.totalChunks - plan.before - page.consumed);
    } else {
      omittedChunks = inHand + scan.counted;
      omittedExact = scan.finished;
    }
  }
  let nextCursor: string | undefined;
  if (truncated) {
    const last = scan.chunks[page.consumed - 1];
    const position =
      inHand > 0 && last
        ? { bucketMs: bucketOf(last.startMs), afterSequence: last.sequence }
        : inHand > 0
          ? { bucketMs: bucketOf((scan.chunks[0] as TranscriptChunkRow).startMs), afterSequence: 0 }
          : scan.next;
    const cursor: TranscriptCursor = {
      meetingId: meeting._id,
      fromMs: plan.fromMs,
      toMs: plan.toMs,
      ...position,
      whole: plan.whole,
      before: plan.before + page.consumed,
      issuedAt: now,
    };
    nextCursor = encodeCursor(cursor);
  }
  const shownTo = Math.min(plan.toMs, Math.max(plan.fromMs, now));
  return {
    asOf: iso(now),
    meeting: {
      meetingId: meeting._id,
      title: label(meeting.title),
      state: STATE_WORDS[meeting.state],
      start: iso(plan.startMs),
    },
    range: {
      from: sinceStart(plan.fromMs, plan.startMs),
      to: sinceStart(shownTo, plan.startMs),
      fromSec: Math.floor((plan.fromMs - plan.startMs) / 1000),
      toSec: Math.floor((shownTo - plan.startMs) / 1000),
    },
    speakers: page.speakers,
    lines: page.lines,
    counts: { lines: page.lines.length, chunks: page.consumed, shortened: page.shortened },
    totals: {
      chunks: stats.totalChunks,
      words: stats.totalWords,
      minutes: Math.round(Math.max(0, stats.duration) / MIN),
      speakers: stats.speakers.length,
    },
    truncated,
    omittedChunks,
    omittedExact,
    ...(nextCursor ? { nextCursor } : {}),
    ...(scan.unreadable > 0 ? { unreadable: scan.unreadable } : {}),
  };
}

/** Sentences of numbers and fixed words about the answer. */
export function transcriptLead(data: TranscriptAnswer, continued: boolean): string[] {
  const { meeting, range, counts, totals } = data;
  const lead: string[] = [];
  if (totals.chunks === 0) {
    lead.push(
      `Meeting ${meeting.meetingId} (${meeting.state}) has no transcript yet: Connvo holds no transcript lines for it.`,
    );
    return lead;
  }
  const where = `from ${range.from} to ${range.to} after the meeting's start`;
  lead.push(
    counts.lines === 0
      ? `No transcript lines ${where}${continued ? " in this page" : ""}; the meeting's transcript has ${plural(totals.chunks, "chunk")} in all (leave out lastMinutes, fromSec and toSec to read it from the start).`
      : `Transcript of meeting ${meeting.meetingId} (${meeting.state}) ${where}${continued ? ", continued" : ""}: ${plural(counts.lines, "line")} (${plural(counts.chunks, "chunk")}, consecutive chunks of one speaker merged) by ${plural(new Set(data.lines.map((l) => l.speaker)).size, "speaker")}. Times are mm:ss from the start.`,
  );
  if (data.truncated) {
    lead.push(
      data.omittedChunks > 0
        ? `${data.omittedExact ? "" : "At least "}${plural(data.omittedChunks, "more chunk")} in this range ${data.omittedExact ? "follow" : "follow (counting stopped)"}: call get_transcript again with the same meetingId and cursor set to nextCursor.`
        : "Reading stopped before the end of the range: call get_transcript again with the same meetingId and cursor set to nextCursor.",
    );
  }
  if (counts.shortened > 0)
    lead.push(
      `${plural(counts.shortened, "very long line")} ${counts.shortened === 1 ? "was" : "were"} shortened (ending in …).`,
    );
  if (data.unreadable)
    lead.push(`${plural(data.unreadable, "transcript row")} from Connvo could not be read and were left out.`);
  return lead;
}

/** Reads the range's chunks, bucket by bucket, until the page is full. */
async function readChunks(
  backend: ToolBackend,
  meetingId: string,
  plan: TranscriptPlan,
  stats: TranscriptStats,
  input: TranscriptInput,
  names: ReadonlyMap<string, string>,
): Promise<ScanResult> {
  const empty: ScanResult = {
    chunks: [],
    counted: 0,
    finished: true,
    next: { bucketMs: plan.bucketMs, afterSequence: plan.afterSequence },
    calls: 0,
    unreadable: 0,
  };
  if (stats.totalChunks === 0 || plan.toMs <= plan.fromMs) return empty;
  return scanRange(
    {
      fromMs: plan.fromMs,
      toMs: plan.toMs,
      bucketMs: plan.bucketMs,
      afterSequence: plan.afterSequence,
      ...(plan.whole ? { remaining: Math.max(0, stats.totalChunks - plan.before) } : {}),
    },
    (bucketMs, afterSequence) =>
      backend.list<TranscriptChunkRow>(
        CHUNKS,
        { meetingId, bucketMs, fromSequence: afterSequence, limit: CHUNKS_PER_CALL },
        { idempotent: true },
      ),
    (chunks) => buildPage(chunks, { maxLines: input.maxLines, startMs: plan.startMs, names }).consumed < chunks.length,
  );
}

export const getTranscript = defineTool({
  name: "get_transcript",
  title: "What was said in a Connvo meeting",
  toolset: "transcripts",
  description: [
    "What was said in a Connvo meeting, live or past: transcript lines with the speaker's name and the time as mm:ss from the meeting's start; consecutive lines of one speaker are merged.",
    "Use it when asked what was said or decided, who said something, or what happened in the last few minutes of a call; get the meeting's ID from list_meetings.",
    "Choose the range with lastMinutes (the last N minutes; of a past meeting, before it ended) or fromSec/toSec (seconds from the start); without them it reads the whole meeting from the start.",
    "Returns the lines, the speakers, the range, the meeting's transcript totals, and when more follows truncated: true, how many chunks are left and nextCursor (pass it back as cursor to continue).",
    "Limits: at most maxLines lines (default 100) and a size cap per answer; only a participant of the meeting may read it.",
    "Read-only.",
  ].join(" "),
  operations: [CHUNKS, STATS, MEETING, ROSTER],
  args: { from: CHUNKS, pick: ["meetingId"] },
  options: {
    lastMinutes: z
      .number()
      .int()
      .min(1)
      .max(720)
      .optional()
      .describe("Only the last N minutes (1-720): up to now for a live meeting, up to its end for a past one."),
    fromSec: z
      .number()
      .int()
      .min(0)
      .max(MAX_SEC)
      .optional()
      .describe("Start of the range, in seconds from the meeting's start (default: the start)."),
    toSec: z
      .number()
      .int()
      .min(1)
      .max(MAX_SEC)
      .optional()
      .describe("End of the range, in seconds from the meeting's start (default: the end, or now if live)."),
    cursor: z
      .string()
      .max(MAX_CURSOR_CHARS)
      .optional()
      .describe(
        "nextCursor from an earlier answer for the same meeting, to continue where it stopped (alone: no lastMinutes/fromSec/toSec).",
      ),
    maxLines: limitOption(100, 500, "transcript lines"),
  },
  output: outputSchema,
  annotations: {
    title: "What was said in a Connvo meeting",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async load(input: TranscriptInput, backend): Promise<TranscriptLoaded> {
    checkOptions(input);
    const cursor = input.cursor !== undefined ? decodeCursor(input.cursor, input.meetingId, backend.now()) : undefined;
    const meetingId = input.meetingId;
    const [meeting, roster, stats] = await Promise.all([
      backend.call(MEETING, { meetingId }),
      backend.list<ParticipantRow>(ROSTER, { meetingId }),
      backend.call(STATS, { meetingId }, { idempotent: true }),
    ]);
    if (meeting === null) throw new ToolFailure({ kind: "not_found", resource: { table: "meetings", id: meetingId } });
    const doc = meeting as TranscriptMeeting;
    const totals = stats as TranscriptStats;
    const span = meetingSpan(doc, roster.rows, totals, backend.now());
    const plan: TranscriptPlan = cursor
      ? {
          fromMs: cursor.fromMs,
          toMs: cursor.toMs,
          startMs: span.startMs,
          whole: cursor.whole,
          before: cursor.before,
          bucketMs: cursor.bucketMs,
          afterSequence: cursor.afterSequence,
        }
      : (() => {
          const range = planRange(input, span);
          return { ...range, before: 0, bucketMs: bucketOf(range.fromMs), afterSequence: 0 };
        })();
    const scan = await readChunks(backend, meetingId, plan, totals, input, speakerNames(roster.rows));
    return { meeting: doc, roster: roster.rows, stats: totals, plan, scan };
  },
  shape(loaded, input, view) {
    const data = shapeTranscript(loaded, input, view.now);
    return { lead: [...transcriptLead(data, input.cursor !== undefined), ...view.notes], data };
  },
});
