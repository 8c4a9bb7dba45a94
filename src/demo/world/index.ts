/**
 * The demo world: one consistent, seeded set of people, meetings, rosters, sessions, transcripts,
 * notes, insights and prompts that every demo function reads (and the write functions change).
 * Times are offsets from the `now` the world is built at, so the demo never goes stale: the live
 * meeting started 15 minutes ago, two meetings are later today (in UTC), one is tomorrow, the
 * retrospective ended yesterday.
 *
 * The story, from the demo user's side (Alex Morgan, Head of Product):
 * - live now: "Weekly product sync" (Alex hosts; Jonas was invited and has not joined; Lena left early),
 * - later today: "Design critique: mobile onboarding" and "Acme Corp renewal call",
 * - tomorrow: "Q1 roadmap planning"; cancelled: "Vendor demo: TranscribeCo",
 * - yesterday: "Sprint 41 retrospective" (full transcript, notes, summary, action items),
 * - three days ago: "Customer interview: Globex" (summary and action items),
 * - "Board meeting (private)": Alex is not a participant (FORBIDDEN),
 * - the session fixtures of seed.ts (poor connections, two devices, stuck, dropped, the 400-person
 *   all-hands, hostile names, sizes) are live meetings too, for get_active_sessions.
 */

import { deterministicConvexId } from "../../convex/ids.js";
import type { SessionRow } from "../../convex/types.js";
import { DEMO_MEETINGS, type DemoMeeting, meetingIdFor, TABLE_NUMBERS } from "../seed.js";
import { type DemoPerson, genericPerson, PEOPLE } from "./people.js";
import { boardPrompt, buildStory } from "./story.js";
import { buildChunks, type DemoChunk, generatedLines } from "./transcripts.js";

export type MeetingState = "scheduled" | "active" | "concluded" | "cancelled";
export type Role = "host" | "participant" | "observer";
export type Presence = "invited" | "joined" | "left";

export interface DemoParticipant {
  userId: string;
  role: Role;
  presence: Presence;
  joinedAt?: number;
  leftAt?: number;
  createdAt: number;
}

export interface DemoPrompt {
  _id: string;
  phase: "precall" | "incall";
  content: string;
  createdAt: number;
  relevance: number;
  tags: string[];
  feedback?: "used" | "dismissed" | "upvoted";
  usedAt?: number;
}

export interface DemoInsight {
  _id: string;
  userId: string;
  summary: string;
  actionItems: string[];
  recommendations: { type: string; content: string; confidence: number }[];
  links: { type: string; title: string; url: string }[];
  createdAt: number;
}

export interface DemoNotes {
  content: string;
  version: number;
  lastUpdated: number;
}

export interface WorldMeeting {
  key: string;
  id: string;
  title: string;
  description?: string;
  state: MeetingState;
  scheduledAt?: number;
  /** Planned length in seconds. */
  duration?: number;
  organizerId: string;
  createdAt: number;
  updatedAt: number;
  participants: DemoParticipant[];
  /** getActiveSessions rows at a given time (fixtures re-stamp them on every read). */
  sessions?: (now: number) => SessionRow[];
  transcript: DemoChunk[];
  notes?: DemoNotes;
  prompts: DemoPrompt[];
  /** The caller's own insights, by user ID (getMeetingInsights answers only the caller's). */
  insights: Map<string, DemoInsight>;
}

export interface DemoWorld {
  /** When the world was built; every time in it is relative to this. */
  builtAt: number;
  people: Map<string, DemoPerson>;
  meetings: Map<string, WorldMeeting>;
  /** Meeting name → meeting (story names and seed.ts fixture names). */
  byName: Record<string, WorldMeeting>;
  prompts: Map<string, { meeting: WorldMeeting; prompt: DemoPrompt }>;
}

export interface WorldOptions {
  /** More session fixtures by name (benchmarks, tests); they override built-ins of the same name. */
  extraMeetings?: Record<string, DemoMeeting>;
  /** That many more concluded meetings for the demo user, for bounds tests (500 meetings). */
  bulkMeetings?: number;
  /** A notes document of this many characters on the all-hands, for bounds tests. */
  largeNotesChars?: number;
  /** A transcript of this many lines on the all-hands, for bounds tests. */
  largeTranscriptLines?: number;
  /**
   * The demo user's summary of the all-hands with this many action items and recommendations
   * (a long summary too): the large data of get_meeting_summary and list_action_items (benchmarks).
   */
  largeSummaryItems?: number;
  /** This many prompts on the all-hands, both phases: the large data of get_prompts (benchmarks). */
  largePrompts?: number;
  /** Each of the `bulkMeetings` gets the demo user's summary with a few action items (benchmarks). */
  bulkInsights?: boolean;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/** A session fixture as a live meeting: its roster is the people in its sessions, plus Alex. */
function fixtureMeeting(
  name: string,
  fixture: DemoMeeting,
  now: number,
  people: Map<string, DemoPerson>,
): WorldMeeting {
  const rows = fixture.sessions(now);
  const started = rows.length > 0 ? Math.min(...rows.map((r) => r.createdAt)) : now - MIN;
  const participants = new Map<string, DemoParticipant>();
  for (const row of rows) {
    if (!people.has(row.userId)) {
      const person = genericPerson(`fixture-${row.userId}`, row.user.displayName);
      people.set(row.userId, { ...person, id: row.userId, avatarUrl: row.user.avatarUrl });
    }
    if (participants.has(row.userId)) continue;
    participants.set(row.userId, {
      userId: row.userId,
      role: "participant",
      presence: "joined",
      joinedAt: row.createdAt,
      createdAt: started - 24 * 60 * MIN,
    });
  }
  const alex = PEOPLE.alex.id;
  if (fixture.access === "allowed" && !participants.has(alex)) {
    participants.set(alex, {
      userId: alex,
      role: "participant",
      presence: "joined",
      joinedAt: started,
      createdAt: started,
    });
  }
  if (fixture.access === "forbidden") participants.delete(alex);
  // Someone else hosts the fixtures: the story's live meeting is the one Alex hosts.
  if (![...participants.keys()].some((id) => id !== alex)) {
    participants.set(PEOPLE.priya.id, {
      userId: PEOPLE.priya.id,
      role: "host",
      presence: "invited",
      createdAt: started,
    });
  }
  const list = [...participants.values()];
  const host = list.find((p) => p.userId !== alex);
  if (host) host.role = "host";
  return {
    key: name,
    id: fixture.id,
    title: fixture.title,
    description: fixture.description,
    state: "active",
    scheduledAt: started,
    duration: 3600,
    organizerId: host?.userId ?? alex,
    createdAt: started - 24 * 60 * MIN,
    updatedAt: started,
    participants: list,
    sessions: (at) => fixture.sessions(at),
    transcript: [],
    prompts: [],
    insights: new Map(),
  };
}

export function createWorld(now: number, options: WorldOptions = {}): DemoWorld {
  const people = new Map<string, DemoPerson>(Object.values(PEOPLE).map((p) => [p.id, p]));
  const byName: Record<string, WorldMeeting> = {};
  const fixtures: Record<string, DemoMeeting> = { ...DEMO_MEETINGS, ...options.extraMeetings };
  for (const [name, fixture] of Object.entries(fixtures)) byName[name] = fixtureMeeting(name, fixture, now, people);
  // The story's meetings: the live one reuses the `healthy` fixture's sessions.
  for (const meeting of buildStory(now, byName.healthy as WorldMeeting)) byName[meeting.key] = meeting;
  byName.weeklySync = byName.healthy as WorldMeeting;
  addBoundsContent(byName.large, options, now);
  byName.forbidden?.prompts.push(boardPrompt(now));
  for (let i = 0; i < (options.bulkMeetings ?? 0); i++) {
    const at = now - (i + 4) * 24 * 60 * MIN;
    byName[`bulk${i}`] = {
      key: `bulk${i}`,
      id: meetingIdFor(`bulk-${i}`),
      title: `Archived sync #${i + 1}`,
      state: "concluded",
      scheduledAt: at,
      duration: 1800,
      organizerId: PEOPLE.alex.id,
      createdAt: at - 7 * 24 * 60 * MIN,
      updatedAt: at + 30 * MIN,
      participants: [
        { userId: PEOPLE.alex.id, role: "host", presence: "left", joinedAt: at, leftAt: at + 30 * MIN, createdAt: at },
      ],
      transcript: [],
      prompts: [],
      insights: options.bulkInsights ? new Map([[PEOPLE.alex.id, bulkInsight(i, at)]]) : new Map(),
    };
  }
  const meetings = new Map(Object.values(byName).map((m) => [m.id, m]));
  const prompts = new Map<string, { meeting: WorldMeeting; prompt: DemoPrompt }>();
  for (const meeting of meetings.values())
    for (const prompt of meeting.prompts) prompts.set(prompt._id, { meeting, prompt });
  return { builtAt: now, people, meetings, byName, prompts };
}

/** The demo user's summary of archived sync #i+1. */
function bulkInsight(i: number, at: number): DemoInsight {
  return {
    _id: deterministicConvexId(TABLE_NUMBERS.insights, `insight:bulk-${i}:${PEOPLE.alex.id}`),
    userId: PEOPLE.alex.id,
    createdAt: at + 45 * MIN,
    summary: `Archived sync #${i + 1}: status updates, one blocker, next steps agreed.`,
    actionItems: [`Alex: send the notes of sync #${i + 1}`, `Priya: unblock item ${i + 1}`, "Marcus: update the board"],
    recommendations: [],
    links: [],
  };
}

/** Bounds tests: a very long transcript and very long notes on the all-hands, on request. */
function addBoundsContent(large: WorldMeeting | undefined, options: WorldOptions, now: number): void {
  if (!large) return;
  const lines = options.largeTranscriptLines ?? 0;
  if (lines > 0) {
    const start = large.scheduledAt ?? now - HOUR;
    const speakers = large.participants.slice(0, 40).map((p) => p.userId);
    const spacing = Math.max(0.05, (now - start) / 1000 / (lines + 1));
    large.transcript = buildChunks("large", start, generatedLines(speakers, lines, 1, spacing));
  }
  const items = options.largeSummaryItems ?? 0;
  if (items > 0) {
    const at = (large.scheduledAt ?? now - HOUR) + 30 * MIN;
    large.insights.set(PEOPLE.alex.id, {
      _id: deterministicConvexId(TABLE_NUMBERS.insights, `insight:large:${PEOPLE.alex.id}`),
      userId: PEOPLE.alex.id,
      createdAt: at,
      summary: "The all-hands walked through the quarter's roadmap, team by team. ".repeat(40).trim(),
      actionItems: Array.from({ length: items }, (_, i) => `Owner ${(i % 40) + 1}: follow up on roadmap item ${i + 1}`),
      recommendations: Array.from({ length: items }, (_, i) => ({
        type: ["process", "product", "sales"][i % 3] as string,
        content: `Recommendation ${i + 1}: review the roadmap item with its team before the next all-hands.`,
        confidence: 0.5 + (i % 50) / 100,
      })),
      links: [],
    });
  }
  const promptCount = options.largePrompts ?? 0;
  for (let i = 0; i < promptCount; i++) {
    const phase = i % 2 === 0 ? "precall" : "incall";
    large.prompts.push({
      _id: deterministicConvexId(TABLE_NUMBERS.prompts, `prompt:large:${i}`),
      phase,
      content: `Prompt ${i + 1}: ask the team about roadmap item ${i + 1} and what blocks it.`,
      createdAt: now - (promptCount - i) * MIN,
      relevance: 0.3 + (i % 70) / 100,
      tags: ["roadmap", `team-${(i % 8) + 1}`],
    });
  }
  const chars = options.largeNotesChars ?? 0;
  if (chars > 0) {
    let content = "# All-hands Q3\n\n";
    for (let i = 1; content.length < chars; i++)
      content += `- Item ${i}: ${"questions from the floor about the roadmap ".repeat(2)}\n`;
    large.notes = { content: content.slice(0, chars), version: 3, lastUpdated: now - 5 * MIN };
  }
}

/** The participant record of `userId` in `meeting`, if any. */
export const participantOf = (meeting: WorldMeeting, userId: string) =>
  meeting.participants.find((p) => p.userId === userId);
