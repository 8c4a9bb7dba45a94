/**
 * The lead sentence of a sessions summary, built ONLY from numbers and fixed words (names and
 * other user-controlled strings stay in the JSON that src/present/render.ts appends).
 */
import type { ActiveSessionsSummary, StateCounts } from "./schema.js";

/** Words used for each status in the prose (the JSON keeps Connvo's state names). */
const STATE_WORDS: ReadonlyArray<[keyof StateCounts, string]> = [
  ["connected", "connected"],
  ["connecting", "connecting"],
  ["disconnected", "dropped"],
  ["failed", "failed"],
  ["closed", "left"],
];

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * The meeting id goes into the prose bare only when it looks like an id (Convex ids are
 * alphanumeric); anything else is quoted as a JSON string so it stays data.
 */
function meetingRef(id: string): string {
  return /^[A-Za-z0-9_-]{1,128}$/.test(id) ? id : JSON.stringify(id);
}

export function summaryLead(s: ActiveSessionsSummary): string {
  const c = s.counts;
  const unreadable =
    c.unreadableSessions > 0
      ? ` ${plural(c.unreadableSessions, "session row", "session rows")} could not be read.`
      : "";

  if (s.empty) return `No one is in meeting ${meetingRef(s.meetingId)} right now.${unreadable}`;

  const states = STATE_WORDS.filter(([k]) => c.byState[k] > 0)
    .map(([k, word]) => `${c.byState[k]} ${word}`)
    .join(", ");
  const attention =
    c.needAttention === 0
      ? "No one needs attention."
      : `${c.needAttention} ${c.needAttention === 1 ? "needs" : "need"} attention.`;
  // Sessions are only worth a mention when someone has more than one.
  const sessions = c.sessions !== c.participants ? ` (${plural(c.sessions, "session", "sessions")})` : "";
  const shown = s.participants.length;
  const hiddenAttention =
    s.omittedNeedingAttention > 0 ? ` (${s.omittedNeedingAttention} needing attention not shown; raise limit)` : "";

  return (
    `Meeting ${meetingRef(s.meetingId)} as of ${s.asOf}: ` +
    `${plural(c.participants, "participant", "participants")}${sessions} — ${states}. ` +
    `${attention} Showing ${shown} of ${c.participants}${hiddenAttention}.${unreadable}`
  );
}
