/**
 * get_meeting: one meeting and its roster per person, the people who need a look first (the host
 * is not there, invited but not joined, left early).
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
  localTime,
  personName,
  plural,
  prose,
  timeZoneOption,
} from "../present/fields.js";
import { defineTool } from "./define.js";

const MEETING = "meetings/queries:getMeeting";
const ROSTER = "meetings/queries:listMeetingParticipants";
/** Leaving this long before a meeting's planned end (or while it is still live) is "left early". */
const EARLY_MS = 5 * 60_000;

export interface MeetingDoc {
  _id: string;
  title: string;
  description?: string;
  state: "scheduled" | "active" | "concluded" | "cancelled";
  scheduledAt?: number;
  duration?: number;
  organizerId: string;
  participantCount?: number;
  activeWebRTCSessions: number;
  userRole: "host" | "participant" | "observer";
  userPresence: "invited" | "joined" | "left";
}

export interface ParticipantRow {
  userId: string;
  role: "host" | "participant" | "observer";
  presence: "invited" | "joined" | "left";
  joinedAt?: number;
  leftAt?: number;
  user: { _id: string; displayName?: string };
  webrtcConnected: boolean;
  webrtcSessionCount: number;
}

interface Input {
  meetingId: string;
  timeZone?: string;
  limit: number;
}

const FLAGS = ["host_not_here", "invited_not_joined", "left_early"] as const;
type Flag = (typeof FLAGS)[number];

const personSchema = z.object({
  userId: z.string(),
  name: z.string(),
  role: z.enum(["host", "participant", "observer"]),
  presence: z.enum(["invited", "joined", "left"]),
  connected: z.boolean(),
  devices: countSchema,
  joinedAt: isoTimeSchema.optional(),
  leftAt: isoTimeSchema.optional(),
  flags: z.array(z.enum(FLAGS)).optional(),
});

const outputSchema = z.object({
  asOf: isoTimeSchema,
  meeting: z.object({
    meetingId: z.string(),
    title: z.string(),
    description: z.string().optional(),
    state: z.enum(["scheduled", "live", "ended", "cancelled"]),
    start: isoTimeSchema.optional(),
    startLocal: z.string().optional(),
    durationMin: countSchema.optional(),
    organizer: z.object({ userId: z.string(), name: z.string() }),
    yourRole: z.enum(["host", "participant", "observer"]),
    yourPresence: z.enum(["invited", "joined", "left"]),
    activeSessions: countSchema,
  }),
  counts: z.object({
    people: countSchema,
    joined: countSchema,
    invited: countSchema,
    left: countSchema,
    connected: countSchema,
    flagged: countSchema,
  }),
  people: z.array(personSchema),
  omitted: countSchema,
  unreadable: countSchema.optional(),
});

type Person = z.infer<typeof personSchema>;
const STATE_WORDS = { scheduled: "scheduled", active: "live", concluded: "ended", cancelled: "cancelled" } as const;

function flagsOf(p: ParticipantRow, meeting: MeetingDoc, now: number): Flag[] {
  const flags: Flag[] = [];
  const started = meeting.state === "active" || (meeting.scheduledAt !== undefined && meeting.scheduledAt <= now);
  const plannedEnd =
    meeting.scheduledAt !== undefined && meeting.duration !== undefined
      ? meeting.scheduledAt + meeting.duration * 1000
      : undefined;
  if (meeting.state === "active" && p.role === "host" && p.presence !== "joined") flags.push("host_not_here");
  if (started && meeting.state !== "cancelled" && p.presence === "invited") flags.push("invited_not_joined");
  if (p.presence === "left" && p.leftAt !== undefined) {
    const early = meeting.state === "active" || (plannedEnd !== undefined && p.leftAt < plannedEnd - EARLY_MS);
    if (early) flags.push("left_early");
  }
  return flags;
}

export function shapeMeeting(meeting: MeetingDoc, roster: readonly ParticipantRow[], input: Input, now: number) {
  const timeZone = input.timeZone ?? "UTC";
  const people: Person[] = roster.map((p) => {
    const flags = flagsOf(p, meeting, now);
    return {
      userId: p.userId,
      name: personName(p.user.displayName, p.userId),
      role: p.role,
      presence: p.presence,
      connected: p.webrtcConnected,
      devices: p.webrtcSessionCount,
      ...(p.joinedAt !== undefined ? { joinedAt: iso(p.joinedAt) } : {}),
      ...(p.leftAt !== undefined ? { leftAt: iso(p.leftAt) } : {}),
      ...(flags.length > 0 ? { flags } : {}),
    };
  });
  // Flagged people first, then hosts, then everyone else in roster order.
  const rank = (p: Person) => (p.flags ? 0 : p.role === "host" ? 1 : 2);
  const ordered = people
    .map((p, i) => ({ p, i }))
    .sort((a, b) => rank(a.p) - rank(b.p) || a.i - b.i)
    .map(({ p }) => p);
  const { items, omitted } = bounded(ordered, input.limit);
  const organizer = roster.find((p) => p.userId === meeting.organizerId);
  return {
    asOf: iso(now),
    meeting: {
      meetingId: meeting._id,
      title: label(meeting.title),
      ...(meeting.description ? { description: prose(meeting.description, 500) } : {}),
      state: STATE_WORDS[meeting.state],
      ...(meeting.scheduledAt !== undefined
        ? { start: iso(meeting.scheduledAt), startLocal: localTime(meeting.scheduledAt, timeZone) }
        : {}),
      ...(meeting.duration !== undefined ? { durationMin: Math.round(meeting.duration / 60) } : {}),
      organizer: { userId: meeting.organizerId, name: personName(organizer?.user.displayName, meeting.organizerId) },
      yourRole: meeting.userRole,
      yourPresence: meeting.userPresence,
      activeSessions: meeting.activeWebRTCSessions,
    },
    counts: {
      people: people.length,
      joined: people.filter((p) => p.presence === "joined").length,
      invited: people.filter((p) => p.presence === "invited").length,
      left: people.filter((p) => p.presence === "left").length,
      connected: people.filter((p) => p.connected).length,
      flagged: people.filter((p) => p.flags).length,
    },
    people: items,
    omitted,
  };
}

export const getMeeting = defineTool({
  name: "get_meeting",
  title: "A Connvo meeting and its roster",
  toolset: "meetings",
  description: [
    "One Connvo meeting: title, state, start, planned duration, organizer, the user's role, and the roster per person (role, invited / joined / left, connected, device count).",
    "Use it when asked who is invited to or attending a meeting, who has not joined, who left early, or for the details of a meeting found with list_meetings.",
    "Returns people who need a look first, with flags: host_not_here (live meeting, host absent), invited_not_joined (the meeting has started), left_early.",
    "Limits: lists at most `limit` people (default 50) and counts the rest; only a participant of the meeting may read it. For connection quality use get_active_sessions.",
    "Read-only.",
  ].join(" "),
  operations: [MEETING, ROSTER],
  args: { from: MEETING },
  options: { timeZone: timeZoneOption, limit: limitOption(50, 200, "people") },
  output: outputSchema,
  annotations: {
    title: "A Connvo meeting and its roster",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async load(input: Input, backend) {
    assertTimeZone(input.timeZone);
    const [meeting, roster] = await Promise.all([
      backend.call(MEETING, { meetingId: input.meetingId }),
      backend.list<ParticipantRow>(ROSTER, { meetingId: input.meetingId }),
    ]);
    if (meeting === null)
      throw new ToolFailure({ kind: "not_found", resource: { table: "meetings", id: input.meetingId } });
    return { meeting: meeting as MeetingDoc, roster };
  },
  shape({ meeting, roster }, input, view) {
    const data = shapeMeeting(meeting, roster.rows, input, view.now);
    const c = data.counts;
    const lead = [
      `Meeting ${data.meeting.meetingId} is ${data.meeting.state} as of ${data.asOf}: ${plural(c.people, "person", "people")} — ${c.joined} joined, ${c.invited} invited, ${c.left} left; ${c.connected} connected. ${c.flagged === 0 ? "No one is flagged." : `${c.flagged} flagged (listed first).`}${data.omitted > 0 ? ` Showing ${data.people.length}; ${data.omitted} more: raise limit.` : ""}`,
      ...view.notes,
    ];
    if (roster.unreadable > 0)
      lead.push(`${plural(roster.unreadable, "roster row")} could not be read and were left out.`);
    return { lead, data: { ...data, ...(roster.unreadable > 0 ? { unreadable: roster.unreadable } : {}) } };
  },
});
