import { CONNECTION_QUALITIES, SESSION_STATES, type SessionRow } from "../../convex/types.js";
import { ToolFailure } from "../../core/failures.js";
import { MAX_LIMIT, summarizeSessions } from "../../summary/summarize.js";

export const SESSIONS = "meetings/webrtc/index:getActiveSessions";

export const WAIT_DEFAULT_SEC = 25;
export const WAIT_MAX_SEC = 50;
/** The most changes one answer lists; the rest are counted. */
export const MAX_CHANGES = 50;
/** Meetings up to this many people carry each person's state in the cursor. */
export const CURSOR_MAX_PEOPLE = 64;
const MAX_CURSOR_CHARS = 2048;
/** A cursor older than this (or this far in the future) is answered with a fresh snapshot. */
const CURSOR_MAX_AGE_MS = 24 * 60 * 60 * 1000;
const CURSOR_MAX_FUTURE_MS = 10 * 60 * 1000;
/** Time-derived attention (stuck connecting, stale metrics) is re-checked this often while waiting. */
export const RECHECK_MS = 5_000;
export const PROGRESS_EVERY_MS = 10_000;
/** The first answer of a subscription may take this long (a WebSocket that never opens falls back to HTTP). */
export const FIRST_ANSWER_MS = 15_000;

// ---- the material state of a meeting ------------------------------------------------------------

export const ATTENTION_KINDS = [
  ["poor", "poor connection"],
  ["fair", "fair connection"],
  ["failed", "connection failed"],
  ["stuck", "stuck connecting"],
  ["dropped", "dropped"],
  ["stale", "metrics stale"],
] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number][0];
const QUALITY_CODES = [...CONNECTION_QUALITIES, "unknown"] as const;
export type QualityCode = (typeof QUALITY_CODES)[number];
export type Status = (typeof SESSION_STATES)[number];

/** One person as far as changes are concerned. */
export interface PersonState {
  /** 8 characters: a hash of the user ID (what the cursor carries). */
  hash: string;
  userId?: string;
  name?: string;
  nameIsId?: boolean;
  status: Status;
  quality: QualityCode;
  /** Bit i set: ATTENTION_KINDS[i]. */
  attention: number;
  sessions: number;
}

export interface MeetingState {
  people: Map<string, PersonState>;
  digest: string;
}

/** FNV-1a, 32 bits, with a chosen offset basis. */
function fnv(text: string, basis = 0x811c9dc5): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** `chars` base64url characters of two independent 32-bit hashes (up to 10 characters). */
export function hashChars(text: string, chars: number): string {
  let a = fnv(text);
  let b = fnv(text, 0x9e3779b9);
  let out = "";
  for (let i = 0; i < chars; i++) {
    const source = i % 2 === 0 ? a : b;
    out += B64[source & 63];
    if (i % 2 === 0) a >>>= 6;
    else b >>>= 6;
  }
  return out;
}

function attentionBits(reasons: readonly string[] | undefined): number {
  let bits = 0;
  for (const reason of reasons ?? []) {
    const index = ATTENTION_KINDS.findIndex(([, prefix]) => reason.startsWith(prefix));
    if (index >= 0) bits |= 1 << index;
  }
  return bits;
}

const packedState = (p: PersonState) =>
  `${B64[SESSION_STATES.indexOf(p.status) * QUALITY_CODES.length + QUALITY_CODES.indexOf(p.quality)]}${B64[p.attention & 63]}${B64[Math.min(63, p.sessions)]}`;

function digestOf(people: Iterable<PersonState>): string {
  const parts = [...people].map((p) => `${p.hash}${packedState(p)}`).sort();
  return hashChars(parts.join(""), 10);
}

/**
 * Every person's material state, from the summary's own rules (the same status, quality and
 * attention a summary shows), over all of them: the summary lists at most MAX_LIMIT people, so
 * people are summarised in groups of that size.
 */
export function meetingState(rows: SessionRow[], meetingId: string, now: number): MeetingState {
  const byUser = new Map<unknown, SessionRow[]>();
  for (const row of rows) {
    const key = row && typeof row === "object" ? row.userId : undefined;
    const list = byUser.get(key);
    if (list) list.push(row);
    else byUser.set(key, [row]);
  }
  const groups = [...byUser.values()];
  const people = new Map<string, PersonState>();
  for (let i = 0; i < groups.length; i += MAX_LIMIT) {
    const chunk = groups.slice(i, i + MAX_LIMIT).flat();
    const summary = summarizeSessions(chunk, { meetingId, now, limit: MAX_LIMIT, format: "concise" });
    for (const p of summary.participants) {
      const hash = hashChars(p.userId, 8);
      people.set(hash, {
        hash,
        userId: p.userId,
        name: p.name,
        ...(p.nameIsId ? { nameIsId: true } : {}),
        status: p.status,
        quality: p.quality ?? "unknown",
        attention: attentionBits(p.attention),
        sessions: p.sessions ?? 1,
      });
    }
  }
  return { people, digest: digestOf(people.values()) };
}

// ---- the cursor ---------------------------------------------------------------------------------

interface Cursor {
  at: number;
  digest: string;
  /** Each person's state when the meeting was small enough; else undefined. */
  people: Map<string, PersonState> | undefined;
}

export function writeCursor(meetingId: string, at: number, state: MeetingState): string {
  const packed =
    state.people.size <= CURSOR_MAX_PEOPLE
      ? [...state.people.values()].map((p) => `${p.hash}${packedState(p)}`).join("")
      : "";
  const body = `w1.${hashChars(meetingId, 8)}.${at.toString(36)}.${state.digest}.${packed}`;
  return `${body}.${hashChars(body, 6)}`;
}

export type ReadCursor = { kind: "ok"; cursor: Cursor } | { kind: "stale"; at: number };

const badCursor = (problem: string) => new ToolFailure({ kind: "invalid_argument", argument: "since", problem });

/** Checks an untrusted cursor. Throws a ToolFailure for one that is damaged or for another meeting. */
export function readCursor(text: string, meetingId: string, now: number): ReadCursor {
  const notOurs =
    "is not a cursor from watch_meeting (it may have been cut short or changed). Call watch_meeting without since for a fresh summary and cursor.";
  if (text.length > MAX_CURSOR_CHARS) throw badCursor(notOurs);
  const parts = text.split(".");
  if (parts.length !== 6 || parts[0] !== "w1") throw badCursor(notOurs);
  const [, meeting = "", atText = "", digest = "", packed = "", check = ""] = parts;
  if (hashChars(parts.slice(0, 5).join("."), 6) !== check) throw badCursor(notOurs);
  if (meeting !== hashChars(meetingId, 8)) {
    throw badCursor(
      "is a cursor for another meeting. Use the cursor of an earlier watch_meeting answer for this meetingId, or call without since.",
    );
  }
  const at = /^[0-9a-z]{1,12}$/.test(atText) ? Number.parseInt(atText, 36) : Number.NaN;
  if (!Number.isFinite(at) || !/^[A-Za-z0-9_-]{10}$/.test(digest) || packed.length % 11 !== 0) throw badCursor(notOurs);
  if (at < now - CURSOR_MAX_AGE_MS || at > now + CURSOR_MAX_FUTURE_MS) return { kind: "stale", at };
  let people: Map<string, PersonState> | undefined;
  if (packed.length > 0) {
    people = new Map();
    for (let i = 0; i < packed.length; i += 11) {
      const hash = packed.slice(i, i + 8);
      const [s, a, n] = [...packed.slice(i + 8, i + 11)].map((c) => B64.indexOf(c)) as [number, number, number];
      const status = SESSION_STATES[Math.floor(s / QUALITY_CODES.length)];
      const quality = QUALITY_CODES[s % QUALITY_CODES.length];
      if (status === undefined || quality === undefined || s < 0 || a < 0 || n < 0) throw badCursor(notOurs);
      people.set(hash, { hash, status, quality, attention: a, sessions: n });
    }
    if (digestOf(people.values()) !== digest) throw badCursor(notOurs);
  }
  return { kind: "ok", cursor: { at, digest, people } };
}

/** What this process answered recently, so a big meeting's cursor (digest only) still gets details and names. */
const recent = new Map<string, MeetingState>();
export function remember(meetingId: string, state: MeetingState): void {
  const key = `${hashChars(meetingId, 8)}.${state.digest}`;
  recent.delete(key);
  recent.set(key, state);
  while (recent.size > 128) recent.delete(recent.keys().next().value as string);
}
export const recall = (meetingId: string, digest: string) => recent.get(`${hashChars(meetingId, 8)}.${digest}`);
