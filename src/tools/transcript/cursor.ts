/**
 * get_transcript's cursor: an opaque, bounded, self-contained string that says where the next page
 * starts. It is base64url JSON (meeting ID, the range being read, the 5-minute bucket and the
 * last sequence read in it, how many chunks earlier pages went through, when it was issued) plus
 * a checksum, so an edited or made-up cursor is refused instead of silently reading elsewhere.
 *
 * The checksum is integrity, not secrecy: a cursor grants nothing (Connvo still checks that the
 * caller is a participant of the meeting on every read), so no server secret is needed and a
 * cursor keeps working across server restarts and replicas.
 */
import { isConvexId } from "../../convex/ids.js";
import { ToolFailure } from "../../core/failures.js";

/** Connvo's transcript buckets: floor(startMs / 5 min) * 5 min. */
export const BUCKET_MS = 5 * 60 * 1000;
export const bucketOf = (ms: number) => Math.floor(ms / BUCKET_MS) * BUCKET_MS;

const VERSION = 1;
/** A cursor older than this is refused as stale: start again from a range. */
export const CURSOR_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** The longest range a cursor may describe (a meeting span is capped below this). */
export const MAX_CURSOR_RANGE_MS = 3 * 24 * 60 * 60 * 1000;
/** Longer input is not one of our cursors (ours are ~220 characters). */
export const MAX_CURSOR_CHARS = 600;

export interface TranscriptCursor {
  meetingId: string;
  /** The range being read: chunks whose startMs is in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** Where the next page starts: this bucket, sequences above `afterSequence`. */
  bucketMs: number;
  afterSequence: number;
  /** The range is the whole meeting, so Connvo's chunk total says how many are left. */
  whole: boolean;
  /** Chunks of the range earlier pages went through. */
  before: number;
  issuedAt: number;
}

/** FNV-1a over UTF-16 code units from `basis`, as 7 base-36 digits. */
function fnv(text: string, basis: number): string {
  let hash = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36).padStart(7, "0");
}
/** The checksum a cursor's payload carries (exported for tests). */
export const cursorChecksum = (payload: string) =>
  fnv(`connvo-mcp transcript cursor|${payload}`, 0x811c9dc5) + fnv(payload, 0x1b873593);

export function encodeCursor(cursor: TranscriptCursor): string {
  const payload = Buffer.from(
    JSON.stringify({
      v: VERSION,
      m: cursor.meetingId,
      f: cursor.fromMs,
      t: cursor.toMs,
      b: cursor.bucketMs,
      s: cursor.afterSequence,
      w: cursor.whole ? 1 : 0,
      n: cursor.before,
      i: cursor.issuedAt,
    }),
  ).toString("base64url");
  return `${payload}.${cursorChecksum(payload)}`;
}

const refuse = (problem: string): never => {
  throw new ToolFailure({ kind: "invalid_argument", argument: "cursor", problem });
};

const FORGED =
  "is not a cursor connvo-mcp gave out (it was changed, cut short or made up). Pass nextCursor exactly as an earlier get_transcript answer gave it, or start again with lastMinutes or fromSec/toSec.";

const isInt = (value: unknown, min: number, max: number): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;

/** The cursor in `text`, checked against the meeting it is used with; throws invalid_argument. */
export function decodeCursor(text: string, meetingId: string, now: number): TranscriptCursor {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_CURSOR_CHARS) return refuse(FORGED);
  const match = /^([A-Za-z0-9_-]+)\.([0-9a-z]{14})$/.exec(trimmed);
  if (!match) return refuse(FORGED);
  const [, payload = "", sum] = match;
  if (cursorChecksum(payload) !== sum) return refuse(FORGED);
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return refuse(FORGED);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return refuse(FORGED);
  const c = raw as Record<string, unknown>;
  if (c.v !== VERSION) {
    return refuse(
      "comes from another version of connvo-mcp and cannot be continued. Start again with lastMinutes or fromSec/toSec.",
    );
  }
  const { m, f, t, b, s, w, n, i } = c;
  const valid =
    typeof m === "string" &&
    isConvexId(m) &&
    isInt(f, 0, 8.64e15) &&
    isInt(t, 1, 8.64e15) &&
    isInt(b, 0, 8.64e15) &&
    isInt(s, 0, 1e12) &&
    (w === 0 || w === 1) &&
    isInt(n, 0, 1e9) &&
    isInt(i, 0, 8.64e15) &&
    f < t &&
    t - f <= MAX_CURSOR_RANGE_MS &&
    b % BUCKET_MS === 0 &&
    b >= bucketOf(f) &&
    b <= bucketOf(t - 1) + BUCKET_MS;
  if (!valid) return refuse(FORGED);
  if (m !== meetingId) {
    return refuse(
      "belongs to another meeting. Use it with the meetingId of the answer that gave it, or leave cursor out to read this meeting.",
    );
  }
  if ((i as number) > now + 5 * 60_000) return refuse(FORGED);
  if (now - (i as number) > CURSOR_MAX_AGE_MS) {
    return refuse(
      "is more than 24 hours old. Start again with lastMinutes or fromSec/toSec (a meeting's transcript can be read from its start at any time).",
    );
  }
  return {
    meetingId: m as string,
    fromMs: f as number,
    toMs: t as number,
    bucketMs: b as number,
    afterSequence: s as number,
    whole: w === 1,
    before: n as number,
    issuedAt: i as number,
  };
}
