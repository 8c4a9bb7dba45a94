/**
 * list_action_items: the signed-in user's action items and follow-ups across meetings, newest
 * first, grouped by meeting. Connvo keeps one insight per user and meeting and lists them newest
 * first with `limit` and `offset`; this tool reads one page of them and pages on with `offset`.
 */
import { z } from "zod";
import { ToolFailure } from "../core/failures.js";
import { countSchema, iso, isoTimeSchema, limitOption, plural } from "../present/fields.js";
import { clip, DEFAULT_DATA_BYTES, fitToBudget, MAX_DATA_BYTES } from "../present/size.js";
import { defineTool } from "./define.js";

const LIST = "insights/queries:getUserInsights";
/** How many insights to read per call (Connvo's default is 20). */
export const FETCH_LIMIT = 100;
/** Most items listed per meeting; the meeting's own summary has them all. */
export const ITEMS_PER_MEETING = 20;
export const ACTION_DEFAULTS = { limit: 10 } as const;
const MAX_LIMIT = 50;

export interface InsightRow {
  _id: string;
  meetingId: string;
  summary: string;
  actionItems: string[];
  recommendations: { type: string; content: string; confidence: number }[];
  createdAt: number;
  meetingTitle: string;
  meetingDate: number;
}

interface Input {
  since?: string;
  limit: number;
  offset: number;
}

const meetingSchema = z.object({
  meetingId: z.string(),
  title: z.string(),
  date: isoTimeSchema,
  generatedAt: isoTimeSchema,
  actionItems: z.array(z.string()),
  /** Recommendations Connvo types as follow-ups. */
  followUps: z.array(z.string()),
  /** This meeting's items not listed here (per-meeting cap or answer size). */
  omittedItems: countSchema.optional(),
});

const outputSchema = z.object({
  asOf: isoTimeSchema,
  since: isoTimeSchema.optional(),
  meetings: z.array(meetingSchema),
  /** In the insights read: meetings with items, and their items. */
  counts: z.object({ meetings: countSchema, actionItems: countSchema, followUps: countSchema }),
  /** Meetings with items that are not listed (limit or answer size). */
  omitted: countSchema,
  /** Pass as offset to continue; absent when there is nothing more. */
  nextOffset: countSchema.optional(),
  /** Meetings read whose insights have no action items or follow-ups. */
  withoutItems: countSchema,
  /** Meetings read that are older than `since`. */
  olderThanSince: countSchema.optional(),
  unreadable: countSchema.optional(),
});

export type ActionItemsData = z.infer<typeof outputSchema>;

const FOLLOW_UP = /^follow[-_ ]?ups?$/i;

function parseSince(since: string | undefined): number | undefined {
  if (since === undefined) return undefined;
  const ms = Date.parse(since);
  if (Number.isNaN(ms)) {
    throw new ToolFailure({
      kind: "invalid_argument",
      argument: "since",
      problem: "is not an ISO 8601 date or time (for example 2026-12-01 or 2026-12-01T15:00:00Z).",
    });
  }
  return ms;
}

export function shapeActionItems(
  rows: readonly InsightRow[],
  input: Input,
  now: number,
  fetched = { unreadable: 0, full: false },
): ActionItemsData {
  const since = parseSince(input.since);
  let olderThanSince = 0;
  let withoutItems = 0;
  const groups: { row: InsightRow; index: number; items: string[]; followUps: string[] }[] = [];
  rows.forEach((row, index) => {
    if (since !== undefined && row.meetingDate < since) {
      olderThanSince += 1;
      return;
    }
    const followUps = row.recommendations.filter((r) => FOLLOW_UP.test(r.type.trim())).map((r) => r.content);
    if (row.actionItems.length + followUps.length === 0) {
      withoutItems += 1;
      return;
    }
    groups.push({ row, index, items: row.actionItems, followUps });
  });
  const counts = {
    meetings: groups.length,
    actionItems: groups.reduce((n, g) => n + g.items.length, 0),
    followUps: groups.reduce((n, g) => n + g.followUps.length, 0),
  };
  // Only the first `limit` meetings can be shown: sanitise just their first items, whatever the size.
  const candidates = groups.slice(0, input.limit).map((g) => {
    const items = g.items
      .slice(0, ITEMS_PER_MEETING)
      .map((item) => clip(item, 300, 600).text)
      .filter(Boolean);
    const followUps = g.followUps
      .slice(0, ITEMS_PER_MEETING - Math.min(ITEMS_PER_MEETING, g.items.length))
      .map((item) => clip(item, 300, 600).text)
      .filter(Boolean);
    return { ...g, title: clip(g.row.meetingTitle, 120, 300).text, shownItems: items, shownFollowUps: followUps };
  });
  const budget = input.limit === ACTION_DEFAULTS.limit ? DEFAULT_DATA_BYTES : MAX_DATA_BYTES;
  // One knob for the size: the number of items in the answer, taken meeting by meeting.
  const totalItems = candidates.reduce((n, g) => n + g.shownItems.length + g.shownFollowUps.length, 0);
  // Rows older than `since` come last (newest first), so then nothing more is left to read.
  const moreToRead = fetched.full && olderThanSince === 0;
  const make = (k: number): ActionItemsData => {
    let left = k;
    const meetings: z.infer<typeof meetingSchema>[] = [];
    let lastIndex = -1;
    for (const g of candidates) {
      if (left <= 0) break;
      const actionItems = g.shownItems.slice(0, left);
      const followUps = g.shownFollowUps.slice(0, left - actionItems.length);
      left -= actionItems.length + followUps.length;
      const omittedItems = g.items.length + g.followUps.length - actionItems.length - followUps.length;
      meetings.push({
        meetingId: g.row.meetingId,
        title: g.title,
        date: iso(g.row.meetingDate),
        generatedAt: iso(g.row.createdAt),
        actionItems,
        followUps,
        ...(omittedItems > 0 ? { omittedItems } : {}),
      });
      lastIndex = g.index;
    }
    const omitted = groups.length - meetings.length;
    const more = omitted > 0 || moreToRead;
    return {
      asOf: iso(now),
      ...(since !== undefined ? { since: iso(since) } : {}),
      meetings,
      counts,
      omitted,
      // Past the last meeting shown, or past every row read when all of them are shown.
      ...(more ? { nextOffset: input.offset + (omitted > 0 ? lastIndex + 1 : rows.length) } : {}),
      withoutItems,
      ...(since !== undefined ? { olderThanSince } : {}),
      ...(fetched.unreadable > 0 ? { unreadable: fetched.unreadable } : {}),
    };
  };
  return fitToBudget(totalItems, make, budget);
}

export function actionItemsLead(data: ActionItemsData, input: Input, mayHaveMore: boolean): string[] {
  const c = data.counts;
  const read = data.meetings.length;
  const lead = [
    c.meetings === 0
      ? `No action items or follow-ups found${data.since ? ` since ${data.since}` : ""} (as of ${data.asOf}${input.offset > 0 ? `, from offset ${input.offset}` : ""}).`
      : `${plural(c.actionItems, "action item")} and ${plural(c.followUps, "follow-up")} in ${plural(c.meetings, "meeting")}${data.since ? ` since ${data.since}` : ""}, newest first (as of ${data.asOf}). Showing ${plural(read, "meeting")}${data.omitted > 0 ? `; ${data.omitted} more` : ""}.`,
  ];
  const cut = data.meetings.reduce((n, m) => n + (m.omittedItems ?? 0), 0);
  if (cut > 0)
    lead.push(
      `${plural(cut, "item")} of the listed meetings are not shown (at most ${ITEMS_PER_MEETING} per meeting, or the answer size); the meeting's own summary lists them all.`,
    );
  if (data.nextOffset !== undefined) {
    lead.push(
      mayHaveMore && data.omitted === 0
        ? `Connvo has more insights than the ${FETCH_LIMIT} read: pass offset ${data.nextOffset} for older meetings.`
        : `Pass offset ${data.nextOffset}${data.omitted > 0 && input.limit < MAX_LIMIT ? ` or raise limit (up to ${MAX_LIMIT})` : ""} for more.`,
    );
  }
  if (data.unreadable)
    lead.push(`${plural(data.unreadable, "insight")} from Connvo could not be read and were left out.`);
  return lead;
}

export const listActionItems = defineTool({
  name: "list_action_items",
  title: "My action items across Connvo meetings",
  toolset: "insights",
  description: [
    "The signed-in user's action items and follow-ups from their Connvo meetings, newest meeting first, grouped by meeting.",
    'Use it when asked "what do I owe people", "what are my open action items", or for follow-ups from this week\'s meetings; filter with since (an ISO date).',
    "Returns per meeting: meetingId, title, date, when the insights were generated, its action items and follow-up recommendations; counts of what was found.",
    `Limits: at most \`limit\` meetings (default ${ACTION_DEFAULTS.limit}) and ${ITEMS_PER_MEETING} items per meeting; reads ${FETCH_LIMIT} of Connvo's insights per call, and \`nextOffset\` continues; meetings appear only once Connvo has generated insights (after they end).`,
    "Read-only.",
  ].join(" "),
  operations: [LIST],
  options: {
    since: z
      .string()
      .max(40)
      .optional()
      .describe("Only meetings on or after this ISO date/time (for example 2026-12-01)."),
    limit: limitOption(ACTION_DEFAULTS.limit, MAX_LIMIT, "meetings"),
    offset: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .default(0)
      .describe(
        "Skip this many of Connvo's insights, newest first (default 0): pass nextOffset from an earlier answer.",
      ),
  },
  output: outputSchema,
  annotations: {
    title: "My action items across Connvo meetings",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async load(input: Input, backend) {
    parseSince(input.since);
    return backend.list<InsightRow>(LIST, { limit: FETCH_LIMIT, offset: input.offset });
  },
  shape({ rows, unreadable }, input, view) {
    const full = rows.length + unreadable >= FETCH_LIMIT;
    const data = shapeActionItems(rows, input, view.now, { unreadable, full });
    return { lead: [...actionItemsLead(data, input, full), ...view.notes], data };
  },
});
