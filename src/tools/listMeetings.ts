/**
 * list_meetings: the caller's meetings, live first, then upcoming (soonest first), then recent.
 * The entry point of most conversations: it is how an agent finds a meeting's ID.
 */
import { z } from "zod";
import { ToolFailure } from "../core/failures.js";
import {
  assertTimeZone,
  bounded,
  countSchema,
  iso,
  isoTimeSchema,
  label,
  limitOption,
  localDay,
  localTime,
  plural,
  timeZoneOption,
} from "../present/fields.js";
import { defineTool } from "./define.js";

const LIST = "meetings/queries:listUserMeetings";
/** How many meetings to ask Connvo for; it sorts by creation, so ask for enough to sort by time. */
export const FETCH_LIMIT = 500;
const WHEN = ["all", "live", "upcoming", "today", "past"] as const;
type When = (typeof WHEN)[number];

export interface MeetingRow {
  _id: string;
  title: string;
  description?: string;
  state: "scheduled" | "active" | "concluded" | "cancelled";
  scheduledAt?: number;
  duration?: number;
  participantCount?: number;
  createdAt: number;
  organizerId: string;
  userRole: "host" | "participant" | "observer";
  userPresence: "invited" | "joined" | "left";
}

interface Input {
  when: When;
  from?: string;
  to?: string;
  timeZone?: string;
  query?: string;
  limit: number;
}

const meetingSchema = z.object({
  meetingId: z.string(),
  title: z.string(),
  state: z.enum(["live", "upcoming", "past", "cancelled"]),
  start: isoTimeSchema.optional(),
  startLocal: z.string().optional(),
  durationMin: countSchema.optional(),
  role: z.enum(["host", "participant", "observer"]),
  presence: z.enum(["invited", "joined", "left"]),
  headcount: countSchema.optional(),
});

const outputSchema = z.object({
  asOf: isoTimeSchema,
  timeZone: z.string(),
  when: z.enum(WHEN),
  counts: z.object({ live: countSchema, upcoming: countSchema, past: countSchema, cancelled: countSchema }),
  meetings: z.array(meetingSchema),
  /** Matching meetings not listed because of `limit`. */
  omitted: countSchema,
  unreadable: countSchema.optional(),
  /** Connvo returned its maximum: older meetings may exist beyond it. */
  mayHaveMore: z.boolean().optional(),
});

type Listed = z.infer<typeof meetingSchema>;

/** live / upcoming / past / cancelled, from Connvo's state and the clock. */
function group(row: MeetingRow, now: number): Listed["state"] {
  if (row.state === "active") return "live";
  if (row.state === "cancelled") return "cancelled";
  if (row.state === "concluded") return "past";
  const end = (row.scheduledAt ?? now) + (row.duration ?? 0) * 1000;
  return end < now ? "past" : "upcoming";
}

const ORDER: Record<Listed["state"], number> = { live: 0, upcoming: 1, past: 2, cancelled: 3 };

function parseTime(argument: "from" | "to", value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new ToolFailure({
      kind: "invalid_argument",
      argument,
      problem: "is not an ISO 8601 date or time (for example 2026-12-01 or 2026-12-01T15:00:00Z).",
    });
  }
  return ms;
}

export function shapeMeetings(rows: readonly MeetingRow[], input: Input, now: number) {
  const timeZone = input.timeZone ?? "UTC";
  const from = parseTime("from", input.from);
  const to = parseTime("to", input.to);
  const words = (input.query ?? "").toLowerCase().split(/\s+/).filter(Boolean);
  const today = localDay(now, timeZone);
  const matching = rows
    .map((row) => ({ row, state: group(row, now), start: row.scheduledAt ?? row.createdAt }))
    .filter(({ row, state, start }) => {
      if (input.when === "live" && state !== "live") return false;
      if (input.when === "upcoming" && state !== "upcoming") return false;
      if (input.when === "past" && state !== "past") return false;
      if (input.when === "today" && state !== "live" && localDay(start, timeZone) !== today) return false;
      if (from !== undefined && start < from) return false;
      if (to !== undefined && start > to) return false;
      const title = row.title.toLowerCase();
      return words.every((word) => title.includes(word));
    })
    .sort((a, b) => {
      if (a.state !== b.state) return ORDER[a.state] - ORDER[b.state];
      // Upcoming: soonest first. Live: the ones the caller hosts first, then the latest start.
      if (a.state === "upcoming") return a.start - b.start;
      if (a.state === "live" && a.row.userRole !== b.row.userRole) return a.row.userRole === "host" ? -1 : 1;
      return b.start - a.start;
    });
  const counts = { live: 0, upcoming: 0, past: 0, cancelled: 0 };
  for (const m of matching) counts[m.state] += 1;
  const { items, omitted } = bounded(matching, input.limit);
  const meetings: Listed[] = items.map(({ row, state }) => ({
    meetingId: row._id,
    title: label(row.title),
    state,
    ...(row.scheduledAt !== undefined
      ? { start: iso(row.scheduledAt), startLocal: localTime(row.scheduledAt, timeZone) }
      : {}),
    ...(row.duration !== undefined ? { durationMin: Math.round(row.duration / 60) } : {}),
    role: row.userRole,
    presence: row.userPresence,
    ...(row.participantCount !== undefined ? { headcount: row.participantCount } : {}),
  }));
  return { asOf: iso(now), timeZone, when: input.when, counts, meetings, omitted };
}

export const listMeetings = defineTool({
  name: "list_meetings",
  title: "List my Connvo meetings",
  toolset: "meetings",
  description: [
    "The signed-in user's Connvo meetings: live first, then upcoming (soonest first), then past (most recent first), cancelled last.",
    "Use it when asked what is on the calendar, about today's or the next meeting, or whenever you need a meeting's ID for another tool (\"who is in my standup?\").",
    "Filter with when (live, upcoming, today, past, all), from/to (ISO dates), query (words in the title) and timeZone (local times in the answer).",
    "Returns per meeting: meetingId, title, state, start (ISO and local), planned duration, the user's role and presence, headcount; and counts per state.",
    "Limits: lists at most `limit` meetings (default 20) and says how many matched beyond it; Connvo returns at most 500 meetings per user, newest first.",
    "Read-only.",
  ].join(" "),
  operations: [LIST],
  options: {
    when: z
      .enum(WHEN)
      .default("all")
      .describe(
        "live: in progress now; upcoming: scheduled and not over; today: starting today (in timeZone) or live; past: over; all (default).",
      ),
    from: z.string().max(40).optional().describe("Only meetings starting at or after this ISO date/time."),
    to: z.string().max(40).optional().describe("Only meetings starting at or before this ISO date/time."),
    timeZone: timeZoneOption,
    query: z.string().max(200).optional().describe("Only meetings whose title contains all these words (any case)."),
    limit: limitOption(20, 100, "meetings"),
  },
  output: outputSchema,
  annotations: {
    title: "List my Connvo meetings",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async load(input: Input, backend) {
    assertTimeZone(input.timeZone);
    parseTime("from", input.from);
    parseTime("to", input.to);
    const state = input.when === "live" ? "active" : undefined;
    return backend.list<MeetingRow>(LIST, { limit: FETCH_LIMIT, ...(state ? { state } : {}) });
  },
  shape({ rows, unreadable }, input, view) {
    const data = shapeMeetings(rows, input, view.now);
    const c = data.counts;
    const total = c.live + c.upcoming + c.past + c.cancelled;
    const lead = [
      total === 0
        ? `No meetings match (as of ${data.asOf}).`
        : `${plural(total, "meeting")} match as of ${data.asOf}: ${c.live} live, ${c.upcoming} upcoming, ${c.past} past, ${c.cancelled} cancelled. Showing ${data.meetings.length}${data.omitted > 0 ? ` (${data.omitted} more: raise limit or narrow with when/from/to/query)` : ""}.`,
      ...view.notes,
    ];
    if (unreadable > 0)
      lead.push(`${plural(unreadable, "meeting row")} from Connvo could not be read and were left out.`);
    const mayHaveMore = rows.length + unreadable >= FETCH_LIMIT;
    if (mayHaveMore) lead.push(`Connvo returned its maximum of ${FETCH_LIMIT} meetings; older ones are not included.`);
    return {
      lead,
      data: { ...data, ...(unreadable > 0 ? { unreadable } : {}), ...(mayHaveMore ? { mayHaveMore } : {}) },
    };
  },
});
