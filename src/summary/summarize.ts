/**
 * Turns raw `getActiveSessions` rows into a people-centric summary for an LLM agent.
 *
 * Pure: no I/O, no clock (`now` is a parameter), deterministic output for the same input.
 * Cost: one O(n) pass to group rows by userId, one O(p log p) sort of people, and in detailed
 * mode an O(k log k) sort of each shown person's sessions; nothing quadratic, so 50,000 rows
 * are fine.
 */
import type { ConnectionQuality, SessionRow, SessionState } from "../convex/types.js";
import { sanitizeHttpsUrl, sanitizeText, shortUserId } from "../core/sanitize.js";
import type { ActiveSessionsSummary, ParticipantSummary, SessionRowSummary, StateCounts } from "./schema.js";

export type SummaryFormat = "concise" | "detailed";

export interface SummarizeOptions {
  meetingId: string;
  /** Epoch milliseconds the summary is "as of"; every duration is relative to it. */
  now: number;
  /** Max people listed (clamped to 1..200). Default 25. */
  limit?: number;
  format?: SummaryFormat;
  /** A quality older than this no longer counts. Default 120 000 ms. */
  staleAfterMs?: number;
  /** Connecting for at least this long counts as stuck. Default 30 000 ms. */
  stuckConnectingAfterMs?: number;
  /** Rows the response validator dropped before we got here; reported, not guessed at. */
  unreadableRows?: number;
}

export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 200;
export const DEFAULT_STALE_AFTER_MS = 120_000;
export const DEFAULT_STUCK_CONNECTING_AFTER_MS = 30_000;
/** Detailed format lists at most this many sessions per person (one user could have thousands). */
export const MAX_SESSION_ROWS_PER_PERSON = 10;

const NAME_MAX = 64;
const ID_MAX = 128;

// Lower rank = better. Used both for "best status" and for ordering session rows.
const STATE_RANK: Record<SessionState, number> = {
  connected: 0,
  connecting: 1,
  disconnected: 2,
  failed: 3,
  closed: 4,
};
// Higher rank = worse.
const QUALITY_RANK: Record<ConnectionQuality, number> = { excellent: 0, good: 1, fair: 2, poor: 3 };
const QUALITY_BY_RANK: ConnectionQuality[] = ["excellent", "good", "fair", "poor"];

/**
 * Display groups, in output order. The first six are "needs attention" groups (the order the
 * brief asks for: the worst experience first); a person is placed in the group of their most
 * important reason.
 */
const Group = {
  Poor: 0,
  Fair: 1,
  Failed: 2,
  Stuck: 3,
  Dropped: 4,
  Stale: 5,
  Connected: 6,
  Connecting: 7,
  Other: 8,
} as const;
type Group = (typeof Group)[keyof typeof Group];
const FIRST_FINE_GROUP = Group.Connected;

/** Everything we need to know about one person, gathered in a single pass over their rows. */
interface Person {
  userId: string;
  rows: SessionRow[];
  bestStateRank: number;
  /** Worst quality rank among connected sessions whose metrics are fresh; -1 = none. */
  worstFreshQuality: number;
  /** Newest lastMetricsAt among connected sessions that have a quality but stale metrics. */
  newestStaleMetricsAt: number | undefined;
  earliestConnectedAt: number | undefined;
  earliestConnectingAt: number | undefined;
  latestUpdatedAt: number | undefined;
  /** The row whose displayName we use: the most recently updated one that has a name. */
  nameRow: SessionRow | undefined;
}

interface Ranked {
  person: Person;
  name: string;
  nameIsId: boolean;
  group: Group;
  attention: string[];
}

const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Largest epoch ms that still renders as a 4-digit-year ISO string (9999-12-31T23:59:59.999Z). */
const MAX_ISO_MS = 253_402_300_799_999;

/** ISO string, or undefined for timestamps that cannot be shown as a normal ISO date. */
function iso(ms: number | undefined): string | undefined {
  return isFiniteNumber(ms) && ms >= 0 && ms <= MAX_ISO_MS ? new Date(ms).toISOString() : undefined;
}

/** Whole seconds from `t` to `now`, never negative (clock skew must not produce "-3s"). */
function secondsSince(now: number, t: number | undefined): number | undefined {
  return isFiniteNumber(t) ? Math.max(0, Math.floor((now - t) / 1000)) : undefined;
}

/** Human duration: "40s", "12m", "1h05m", "2d03h". Floors, so "59s" never shows as "1m". */
export function formatDuration(totalSec: number): string {
  const s = Math.max(0, Math.floor(totalSec));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

function clampLimit(limit: number | undefined): number {
  if (!isFiniteNumber(limit)) return DEFAULT_LIMIT;
  return Math.min(MAX_LIMIT, Math.max(1, Math.floor(limit)));
}

function nonNegative(v: number | undefined, fallback: number): number {
  return isFiniteNumber(v) && v >= 0 ? v : fallback;
}

function zeroStates(): StateCounts {
  return { connected: 0, connecting: 0, disconnected: 0, failed: 0, closed: 0 };
}

/** A row we can reason about: known state and a string userId. Others count as unreadable. */
function isUsable(row: SessionRow): boolean {
  return (
    row !== null && typeof row === "object" && typeof row.userId === "string" && Object.hasOwn(STATE_RANK, row.state)
  );
}

function knownQuality(q: unknown): ConnectionQuality | undefined {
  return typeof q === "string" && Object.hasOwn(QUALITY_RANK, q) ? (q as ConnectionQuality) : undefined;
}

const minDefined = (a: number | undefined, b: number) => (a === undefined || b < a ? b : a);
const maxDefined = (a: number | undefined, b: number) => (a === undefined || b > a ? b : a);

function groupByPerson(rows: SessionRow[], now: number, staleAfterMs: number) {
  const people = new Map<string, Person>();
  let skipped = 0;
  for (const row of rows) {
    if (!isUsable(row)) {
      skipped++;
      continue;
    }
    let p = people.get(row.userId);
    if (p === undefined) {
      p = {
        userId: row.userId,
        rows: [],
        bestStateRank: Number.POSITIVE_INFINITY,
        worstFreshQuality: -1,
        newestStaleMetricsAt: undefined,
        earliestConnectedAt: undefined,
        earliestConnectingAt: undefined,
        latestUpdatedAt: undefined,
        nameRow: undefined,
      };
      people.set(row.userId, p);
    }
    p.rows.push(row);
    p.bestStateRank = Math.min(p.bestStateRank, STATE_RANK[row.state]);

    const updatedAt = isFiniteNumber(row.updatedAt) ? row.updatedAt : undefined;
    if (updatedAt !== undefined) p.latestUpdatedAt = maxDefined(p.latestUpdatedAt, updatedAt);
    const createdAt = isFiniteNumber(row.createdAt) ? row.createdAt : undefined;

    const rawName = row.user?.displayName;
    if (typeof rawName === "string" && rawName.length > 0) {
      const cur = p.nameRow;
      if (cur === undefined || (updatedAt ?? -Infinity) > (isFiniteNumber(cur.updatedAt) ? cur.updatedAt : -Infinity)) {
        p.nameRow = row;
      }
    }

    if (row.state === "connecting" && createdAt !== undefined) {
      p.earliestConnectingAt = minDefined(p.earliestConnectingAt, createdAt);
    }
    if (row.state === "connected") {
      if (createdAt !== undefined) p.earliestConnectedAt = minDefined(p.earliestConnectedAt, createdAt);
      const q = knownQuality(row.connectionQuality);
      if (q !== undefined && isFiniteNumber(row.lastMetricsAt)) {
        // Exactly staleAfterMs old is still fresh; strictly older is stale.
        if (now - row.lastMetricsAt <= staleAfterMs) {
          p.worstFreshQuality = Math.max(p.worstFreshQuality, QUALITY_RANK[q]);
        } else {
          p.newestStaleMetricsAt = maxDefined(p.newestStaleMetricsAt, row.lastMetricsAt);
        }
      }
      // A quality without lastMetricsAt cannot be dated: it stays 'unknown' and is not flagged,
      // since Connvo's backend does not fill lastMetricsAt today.
    }
  }
  return { people, skipped };
}

const STATE_BY_RANK: SessionState[] = ["connected", "connecting", "disconnected", "failed", "closed"];

function statusOf(p: Person): SessionState {
  return STATE_BY_RANK[p.bestStateRank] ?? "closed";
}

/** The person's quality; 'unknown' is only a bucket in counts.byQuality (absent in entries). */
function qualityOf(p: Person): ConnectionQuality | "unknown" {
  return p.worstFreshQuality >= 0 ? (QUALITY_BY_RANK[p.worstFreshQuality] ?? "unknown") : "unknown";
}

/** Attention reasons in priority order, and the display group they put the person in. */
function assess(p: Person, now: number, stuckAfterMs: number): { group: Group; attention: string[] } {
  const status = statusOf(p);
  const attention: string[] = [];
  let group: Group | undefined;
  const flag = (g: Group, reason: string) => {
    attention.push(reason);
    group ??= g;
  };

  if (status === "connected") {
    const q = qualityOf(p);
    if (q === "poor") flag(Group.Poor, "poor connection");
    else if (q === "fair") flag(Group.Fair, "fair connection");
  }
  if (status === "failed") {
    const ago = secondsSince(now, p.latestUpdatedAt);
    flag(Group.Failed, ago === undefined ? "connection failed" : `connection failed ${formatDuration(ago)} ago`);
  }
  if (status === "connecting" && p.earliestConnectingAt !== undefined) {
    const waitedMs = now - p.earliestConnectingAt;
    if (waitedMs >= stuckAfterMs) {
      flag(Group.Stuck, `stuck connecting for ${formatDuration(waitedMs / 1000)}`);
    }
  }
  if (status === "disconnected") {
    const ago = secondsSince(now, p.latestUpdatedAt);
    flag(Group.Dropped, ago === undefined ? "dropped" : `dropped ${formatDuration(ago)} ago`);
  }
  if (status === "connected" && p.newestStaleMetricsAt !== undefined) {
    const ago = secondsSince(now, p.newestStaleMetricsAt) ?? 0;
    flag(Group.Stale, `metrics stale (last ${formatDuration(ago)} ago)`);
  }

  if (group === undefined) {
    group = status === "connected" ? Group.Connected : status === "connecting" ? Group.Connecting : Group.Other;
  }
  return { group, attention };
}

function nameOf(p: Person): { name: string; nameIsId: boolean } {
  let name = sanitizeText(p.nameRow?.user?.displayName, NAME_MAX);
  // Rare: the newest name is all invisible characters. Any other visible name beats an id stub;
  // this scan only happens in that case, so the common path sanitises one name per person.
  for (let i = 0; name.length === 0 && p.nameRow !== undefined && i < p.rows.length; i++) {
    name = sanitizeText(p.rows[i]?.user?.displayName, NAME_MAX);
  }
  return name.length > 0 ? { name, nameIsId: false } : { name: shortUserId(p.userId), nameIsId: true };
}

/** Code-unit comparison: deterministic across locales/ICU versions, unlike localeCompare. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function toSessionRow(row: SessionRow): SessionRowSummary {
  const out: SessionRowSummary = { sessionId: sanitizeText(row.sessionId, ID_MAX), state: row.state };
  const q = knownQuality(row.connectionQuality);
  if (q !== undefined) out.quality = q;
  const createdAt = iso(row.createdAt);
  if (createdAt !== undefined) out.createdAt = createdAt;
  const updatedAt = iso(row.updatedAt);
  if (updatedAt !== undefined) out.updatedAt = updatedAt;
  const lastMetricsAt = iso(row.lastMetricsAt);
  if (lastMetricsAt !== undefined) out.lastMetricsAt = lastMetricsAt;
  // `metadata` is deliberately never copied: it is backend-internal (user agent, region, SDP
  // settings) and partly client-supplied, so it is both noise and an injection surface.
  return out;
}

function toParticipant(r: Ranked, now: number, format: SummaryFormat): ParticipantSummary {
  const p = r.person;
  const status = statusOf(p);
  // Defaults are omitted to keep the text small (the size targets are per byte): no `quality`
  // means unknown/not connected, no `sessions` means exactly one.
  const out: ParticipantSummary = {
    name: r.name,
    ...(r.nameIsId ? { nameIsId: true as const } : {}),
    userId: sanitizeText(p.userId, ID_MAX),
    status,
  };
  if (p.rows.length > 1) out.sessions = p.rows.length;
  const quality = status === "connected" ? qualityOf(p) : "unknown";
  if (quality !== "unknown") out.quality = quality;
  if (r.attention.length > 0) out.attention = r.attention;

  let sec: number | undefined;
  switch (status) {
    case "connected":
      sec = secondsSince(now, p.earliestConnectedAt);
      if (sec !== undefined) out.connectedForSec = sec;
      break;
    case "connecting":
      sec = secondsSince(now, p.earliestConnectingAt);
      if (sec !== undefined) out.waitingForSec = sec;
      break;
    case "disconnected":
    case "failed":
      sec = secondsSince(now, p.latestUpdatedAt);
      if (sec !== undefined) out.droppedAgoSec = sec;
      break;
    case "closed":
      sec = secondsSince(now, p.latestUpdatedAt);
      if (sec !== undefined) out.leftAgoSec = sec;
      break;
  }

  if (format === "detailed") {
    const avatar = sanitizeHttpsUrl(p.nameRow?.user?.avatarUrl ?? p.rows[0]?.user?.avatarUrl);
    if (avatar !== undefined) out.avatarUrl = avatar;
    // Live sessions first, then most recently updated; capped so one user with thousands of
    // zombie sessions cannot blow up the output.
    const sorted = [...p.rows].sort(
      (a, b) =>
        STATE_RANK[a.state] - STATE_RANK[b.state] ||
        (isFiniteNumber(b.updatedAt) ? b.updatedAt : -Infinity) -
          (isFiniteNumber(a.updatedAt) ? a.updatedAt : -Infinity) ||
        cmp(String(a.sessionId), String(b.sessionId)),
    );
    out.sessionRows = sorted.slice(0, MAX_SESSION_ROWS_PER_PERSON).map(toSessionRow);
    if (sorted.length > MAX_SESSION_ROWS_PER_PERSON)
      out.omittedSessionRows = sorted.length - MAX_SESSION_ROWS_PER_PERSON;
  }
  return out;
}

/**
 * Summarises one meeting's session rows.
 *
 * Counting choices: `counts.byState` counts PEOPLE by their status (sums to `participants`);
 * the per-session breakdown `counts.sessionsByState` is only included in detailed format, to keep
 * the default output small. `byQuality` counts connected people only (sums to `byState.connected`).
 * Rows with an unknown state or a non-string userId are skipped and added to `unreadableSessions`.
 *
 * @throws RangeError if `now` is not a finite epoch-ms timestamp (a caller bug, not bad data).
 */
export function summarizeSessions(rows: SessionRow[], opts: SummarizeOptions): ActiveSessionsSummary {
  const { now } = opts;
  const asOf = iso(now);
  if (asOf === undefined) throw new RangeError(`summarizeSessions: invalid now (${String(now)})`);

  const limit = clampLimit(opts.limit);
  const format: SummaryFormat = opts.format === "detailed" ? "detailed" : "concise";
  const staleAfterMs = nonNegative(opts.staleAfterMs, DEFAULT_STALE_AFTER_MS);
  const stuckAfterMs = nonNegative(opts.stuckConnectingAfterMs, DEFAULT_STUCK_CONNECTING_AFTER_MS);
  const unreadableFromValidator = isFiniteNumber(opts.unreadableRows)
    ? Math.max(0, Math.floor(opts.unreadableRows))
    : 0;

  const { people, skipped } = groupByPerson(rows, now, staleAfterMs);

  const byState = zeroStates();
  const sessionsByState = zeroStates();
  const byQuality = { excellent: 0, good: 0, fair: 0, poor: 0, unknown: 0 };
  let sessions = 0;
  let needAttention = 0;
  const ranked: Ranked[] = [];

  for (const p of people.values()) {
    const status = statusOf(p);
    byState[status]++;
    sessions += p.rows.length;
    for (const row of p.rows) sessionsByState[row.state]++;
    if (status === "connected") byQuality[qualityOf(p)]++;
    const { group, attention } = assess(p, now, stuckAfterMs);
    if (attention.length > 0) needAttention++;
    ranked.push({ person: p, ...nameOf(p), group, attention });
  }

  ranked.sort((a, b) => a.group - b.group || cmp(a.name, b.name) || cmp(a.person.userId, b.person.userId));
  const shown = ranked.slice(0, limit);
  const shownNeedingAttention = shown.filter((r) => r.group < FIRST_FINE_GROUP).length;

  return {
    meetingId: sanitizeText(opts.meetingId, ID_MAX),
    asOf,
    empty: people.size === 0,
    counts: {
      participants: people.size,
      sessions,
      byState,
      ...(format === "detailed" ? { sessionsByState } : {}),
      byQuality,
      needAttention,
      unreadableSessions: unreadableFromValidator + skipped,
    },
    omittedParticipants: ranked.length - shown.length,
    omittedNeedingAttention: needAttention - shownNeedingAttention,
    participants: shown.map((r) => toParticipant(r, now, format)),
  };
}
