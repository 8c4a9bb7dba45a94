/**
 * An independent re-derivation of who needs attention, from the raw session rows and the rules the
 * tool documents ("poor or fair connection, stuck connecting, dropped, failed, stale metrics"),
 * with the summarizer's documented thresholds (quality older than 120 s is stale; connecting for
 * 30 s or more is stuck). Used to check that the compact answer still names everyone it must.
 */

interface Row {
  userId?: unknown;
  state?: unknown;
  createdAt?: unknown;
  updatedAt?: unknown;
  connectionQuality?: unknown;
  lastMetricsAt?: unknown;
  user?: { displayName?: unknown };
}

const STALE_AFTER_MS = 120_000;
const STUCK_AFTER_MS = 30_000;
const STATE_ORDER = ["connected", "connecting", "disconnected", "failed", "closed"];
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

export interface AttentionPerson {
  userId: string;
  name?: string;
  reasons: string[];
}

export function peopleNeedingAttention(rows: readonly Row[], now: number): AttentionPerson[] {
  const byUser = new Map<string, Row[]>();
  for (const row of rows) {
    if (typeof row.userId !== "string" || !STATE_ORDER.includes(String(row.state))) continue;
    const list = byUser.get(row.userId) ?? [];
    list.push(row);
    byUser.set(row.userId, list);
  }
  const out: AttentionPerson[] = [];
  for (const [userId, list] of byUser) {
    const status = STATE_ORDER[Math.min(...list.map((r) => STATE_ORDER.indexOf(String(r.state))))];
    const reasons: string[] = [];
    if (status === "connected") {
      const connected = list.filter((r) => r.state === "connected");
      const withQuality = connected.filter(
        (r) => typeof r.connectionQuality === "string" && num(r.lastMetricsAt) !== undefined,
      );
      const fresh = withQuality.filter((r) => now - (num(r.lastMetricsAt) as number) <= STALE_AFTER_MS);
      if (fresh.some((r) => r.connectionQuality === "poor")) reasons.push("poor");
      else if (fresh.some((r) => r.connectionQuality === "fair")) reasons.push("fair");
      if (withQuality.some((r) => now - (num(r.lastMetricsAt) as number) > STALE_AFTER_MS)) reasons.push("stale");
    }
    if (status === "failed") reasons.push("failed");
    if (status === "disconnected") reasons.push("dropped");
    if (status === "connecting") {
      const started = list
        .filter((r) => r.state === "connecting")
        .map((r) => num(r.createdAt))
        .filter((v) => v !== undefined);
      if (started.length > 0 && now - Math.min(...(started as number[])) >= STUCK_AFTER_MS) reasons.push("stuck");
    }
    if (reasons.length > 0) {
      const named = list.find((r) => typeof r.user?.displayName === "string" && r.user.displayName.length > 0);
      out.push({ userId, name: named?.user?.displayName as string | undefined, reasons });
    }
  }
  return out;
}

export interface AttentionCheck {
  needAttention: number;
  limit: number;
  /** How many of them the answer must name: min(needAttention, limit). */
  mustName: number;
  /** How many of them the answer's text names (by userId). */
  named: number;
  /** What the answer says about the ones left out (structuredContent.omittedNeedingAttention). */
  saysOmitted: number | undefined;
  ok: boolean;
}

/** Does `text` name every person needing attention, up to `limit`, and count the rest? */
export function checkAttention(
  text: string,
  structured: Record<string, unknown> | undefined,
  people: readonly AttentionPerson[],
  limit: number,
): AttentionCheck {
  const mustName = Math.min(people.length, limit);
  const named = people.filter((p) => text.includes(p.userId)).length;
  const saysOmitted =
    typeof structured?.omittedNeedingAttention === "number" ? structured.omittedNeedingAttention : undefined;
  const ok = named >= mustName && (saysOmitted === undefined || saysOmitted === people.length - mustName);
  return { needAttention: people.length, limit, mustName, named, saysOmitted, ok };
}
