/**
 * The story meetings of the demo world (see index.ts for the cast). Facts here are what tests and
 * agent tasks check, so they are written down once, plainly.
 */
import { deterministicConvexId } from "../../convex/ids.js";
import { meetingIdFor, TABLE_NUMBERS } from "../seed.js";
import type { DemoInsight, DemoParticipant, DemoPrompt, WorldMeeting } from "./index.js";
import { PEOPLE } from "./people.js";
import { buildChunks, generatedLines, type ScriptLine } from "./transcripts.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const { alex, priya, marcus, sofia, lena, jonas, grace, mateo, yuki, tunde, omar, aisha, mei, david } = PEOPLE;

const dayStartUtc = (now: number) => Math.floor(now / DAY) * DAY;
/** A time later today (UTC): `fraction` of the way from now to midnight. */
const laterToday = (now: number, fraction: number) => Math.round(now + (dayStartUtc(now) + DAY - now) * fraction);

const joined = (userId: string, at: number, role: DemoParticipant["role"] = "participant"): DemoParticipant => ({
  userId,
  role,
  presence: "joined",
  joinedAt: at,
  createdAt: at - 3 * DAY,
});
const invited = (userId: string, at: number, role: DemoParticipant["role"] = "participant"): DemoParticipant => ({
  userId,
  role,
  presence: "invited",
  createdAt: at - 3 * DAY,
});
const left = (userId: string, joinedAt: number, leftAt: number, role: DemoParticipant["role"] = "participant") => ({
  userId,
  role,
  presence: "left" as const,
  joinedAt,
  leftAt,
  createdAt: joinedAt - 3 * DAY,
});

function prompt(
  meetingKey: string,
  phase: DemoPrompt["phase"],
  content: string,
  relevance: number,
  tags: string[],
  createdAt: number,
  feedback?: DemoPrompt["feedback"],
): DemoPrompt {
  return {
    _id: deterministicConvexId(TABLE_NUMBERS.prompts, `prompt:${meetingKey}:${phase}:${content}`),
    phase,
    content,
    createdAt,
    relevance,
    tags,
    ...(feedback ? { feedback, ...(feedback === "used" ? { usedAt: createdAt + MIN } : {}) } : {}),
  };
}

function insight(
  meetingKey: string,
  createdAt: number,
  fields: Omit<DemoInsight, "_id" | "userId" | "createdAt">,
): DemoInsight {
  return {
    _id: deterministicConvexId(TABLE_NUMBERS.insights, `insight:${meetingKey}:${alex.id}`),
    userId: alex.id,
    createdAt,
    ...fields,
  };
}

/** A prompt on the board meeting, where the demo user is not a participant (feedback on it: FORBIDDEN). */
export const boardPrompt = (now: number): DemoPrompt =>
  prompt("forbidden", "precall", "Prepare the quarterly numbers for the board.", 0.9, ["board"], now - 2 * HOUR);

/** Live now. Its last five minutes hold the decision; the join-time numbers come earlier. */
export const WEEKLY_SYNC_SCRIPT: ScriptLine[] = [
  {
    speaker: alex.id,
    at: 40,
    text: "Welcome everyone. Agenda today: the join-time fix, the onboarding redesign, and the Acme renewal.",
  },
  { speaker: priya.id, at: 70, text: "Quick update on media: the join-time fix is in staging." },
  { speaker: priya.id, at: 80, text: "Median join time dropped from 4.1 seconds to 1.8 seconds." },
  {
    speaker: marcus.id,
    at: 150,
    text: "Nice. We still need a second reviewer for the media pipeline change before it goes to production.",
  },
  { speaker: priya.id, at: 190, text: "Jonas said he could review it, but he is not here yet." },
  {
    speaker: lena.id,
    at: 260,
    text: "On Acme: they want the renewal proposal by Friday, and they asked about single sign-on.",
  },
  { speaker: alex.id, at: 300, text: "Let's make sure the proposal covers single sign-on pricing." },
  { speaker: lena.id, at: 380, text: "I have to drop for a customer call, I'll read the notes." },
  { speaker: marcus.id, at: 450, text: "Support tickets about audio dropped by a third since the last release." },
  {
    speaker: sofia.id,
    at: 610,
    text: "Onboarding: the new prototype tested well, four of five users finished without help.",
  },
  { speaker: sofia.id, at: 640, text: "The one who got stuck missed the microphone permission step." },
  { speaker: alex.id, at: 700, text: "Decision: we ship the onboarding redesign behind a feature flag next Tuesday." },
  { speaker: priya.id, at: 740, text: "I'll write the rollout plan today and share it in the channel." },
  { speaker: marcus.id, at: 790, text: "I will ask Jonas to review the media pipeline change tomorrow morning." },
  { speaker: sofia.id, at: 840, text: "I'll fix the microphone permission copy before Tuesday." },
];

export const RETRO_SCRIPT: ScriptLine[] = [
  { speaker: alex.id, at: 30, text: "Welcome to the sprint 41 retrospective. Let's start with what went well." },
  {
    speaker: mei.id,
    at: 90,
    text: "The error rate on calls fell from 2.3 percent to 0.4 percent after the reconnect fix.",
  },
  { speaker: priya.id, at: 160, text: "The new staging environment made testing much faster." },
  { speaker: aisha.id, at: 300, text: "What did not go well: the end-to-end tests were flaky all sprint." },
  { speaker: david.id, at: 420, text: "The signaling service had two incidents under load." },
  { speaker: marcus.id, at: 600, text: "I'll add load tests for the signaling service." },
  { speaker: aisha.id, at: 720, text: "I'll triage the flaky end-to-end tests by Wednesday." },
  { speaker: alex.id, at: 2400, text: "We decided to move the release to Thursday so the load tests can land first." },
  { speaker: alex.id, at: 2520, text: "I'll tell support about the new release date." },
  { speaker: priya.id, at: 2700, text: "Thanks everyone, good sprint." },
];

export function buildStory(now: number, liveFixture: WorldMeeting): WorldMeeting[] {
  const meetings: WorldMeeting[] = [];

  // Live now: the `healthy` fixture's sessions (Alex, Priya, Marcus, Sofía connected).
  const syncStart = now - 15 * MIN;
  const weeklySync: WorldMeeting = {
    ...liveFixture,
    key: "healthy",
    title: "Weekly product sync",
    description: "Weekly sync of product, engineering and design.",
    scheduledAt: syncStart,
    duration: 45 * 60,
    organizerId: alex.id,
    createdAt: syncStart - 30 * DAY,
    updatedAt: now - 3 * MIN,
    participants: [
      joined(alex.id, now - 14 * MIN, "host"),
      joined(priya.id, now - 13 * MIN),
      joined(marcus.id, now - 12 * MIN),
      joined(sofia.id, now - 9 * MIN),
      left(lena.id, now - 14 * MIN, now - 3 * MIN - 40_000),
      invited(jonas.id, syncStart),
    ],
    transcript: buildChunks("healthy", syncStart, WEEKLY_SYNC_SCRIPT),
    notes: {
      content:
        "# Weekly product sync\n\n## Agenda\n- Join-time fix\n- Onboarding redesign\n- Acme renewal\n\n## Notes\n- Join-time fix in staging: median 4.1 s -> 1.8 s\n- Acme wants the renewal proposal by Friday (SSO pricing)\n",
      version: 7,
      lastUpdated: now - 2 * MIN,
    },
    prompts: [
      prompt(
        "healthy",
        "incall",
        "Ask who will review the media pipeline change, since Jonas has not joined.",
        0.92,
        ["follow-up"],
        now - 6 * MIN,
      ),
      prompt(
        "healthy",
        "incall",
        "Summarize the decisions before the time runs out.",
        0.81,
        ["wrap-up"],
        now - 4 * MIN,
        "used",
      ),
      prompt("healthy", "incall", "Ask Lena for the Acme timeline.", 0.4, ["sales"], now - 10 * MIN, "dismissed"),
      prompt("healthy", "precall", "Review last week's action items before the sync.", 0.7, ["prep"], syncStart - HOUR),
    ],
    insights: new Map(),
  };
  meetings.push(weeklySync);

  const critiqueAt = laterToday(now, 1 / 3);
  meetings.push({
    key: "designCritique",
    id: meetingIdFor("design-critique"),
    title: "Design critique: mobile onboarding",
    description: "Grace walks through the mobile onboarding screens.",
    state: "scheduled",
    scheduledAt: critiqueAt,
    duration: 30 * 60,
    organizerId: grace.id,
    createdAt: critiqueAt - 5 * DAY,
    updatedAt: critiqueAt - 5 * DAY,
    participants: [
      invited(grace.id, critiqueAt, "host"),
      invited(mateo.id, critiqueAt),
      invited(yuki.id, critiqueAt),
      invited(alex.id, critiqueAt),
    ],
    transcript: [],
    prompts: [
      prompt(
        "designCritique",
        "precall",
        "Ask which onboarding step had the most drop-off in Yuki's research.",
        0.9,
        ["research"],
        now - HOUR,
      ),
      prompt(
        "designCritique",
        "precall",
        "Bring the microphone permission finding from today's sync.",
        0.85,
        ["follow-up"],
        now - 30 * MIN,
      ),
      prompt(
        "designCritique",
        "precall",
        "Ask Mateo whether the iOS permission prompt can be customised.",
        0.6,
        ["mobile"],
        now - 2 * HOUR,
      ),
    ],
    insights: new Map(),
  });

  const acmeAt = laterToday(now, 2 / 3);
  meetings.push({
    key: "acmeRenewal",
    id: meetingIdFor("acme-renewal"),
    title: "Acme Corp renewal call",
    description: "Renewal and single sign-on pricing with Acme.",
    state: "scheduled",
    scheduledAt: acmeAt,
    duration: 45 * 60,
    organizerId: alex.id,
    createdAt: acmeAt - 10 * DAY,
    updatedAt: acmeAt - 10 * DAY,
    participants: [invited(alex.id, acmeAt, "host"), invited(tunde.id, acmeAt), invited(lena.id, acmeAt)],
    transcript: [],
    prompts: [
      prompt(
        "acmeRenewal",
        "precall",
        "Confirm the Friday deadline for the renewal proposal.",
        0.88,
        ["sales"],
        now - HOUR,
      ),
    ],
    insights: new Map(),
  });

  const cancelledAt = laterToday(now, 1 / 2);
  meetings.push({
    key: "vendorDemo",
    id: meetingIdFor("vendor-demo"),
    title: "Vendor demo: TranscribeCo",
    state: "cancelled",
    scheduledAt: cancelledAt,
    duration: 30 * 60,
    organizerId: omar.id,
    createdAt: cancelledAt - 7 * DAY,
    updatedAt: now - 5 * HOUR,
    participants: [invited(omar.id, cancelledAt, "host"), invited(alex.id, cancelledAt)],
    transcript: [],
    prompts: [],
    insights: new Map(),
  });

  const planningAt = dayStartUtc(now) + DAY + 10 * HOUR;
  meetings.push({
    key: "roadmapPlanning",
    id: meetingIdFor("roadmap-planning"),
    title: "Q1 roadmap planning",
    description: "Plan the first quarter's roadmap.",
    state: "scheduled",
    scheduledAt: planningAt,
    duration: 60 * 60,
    organizerId: omar.id,
    createdAt: planningAt - 14 * DAY,
    updatedAt: planningAt - 14 * DAY,
    participants: [
      invited(omar.id, planningAt, "host"),
      invited(alex.id, planningAt),
      invited(priya.id, planningAt),
      invited(marcus.id, planningAt),
    ],
    transcript: [],
    prompts: [
      prompt(
        "roadmapPlanning",
        "precall",
        "Bring the onboarding redesign rollout plan.",
        0.75,
        ["prep"],
        now - 3 * HOUR,
      ),
    ],
    insights: new Map(),
  });

  const retroAt = dayStartUtc(now) - DAY + 15 * HOUR;
  const retroEnd = retroAt + 50 * MIN;
  const retroLines = [
    ...RETRO_SCRIPT,
    ...generatedLines([alex.id, priya.id, marcus.id, aisha.id, mei.id], 150, 780, 10),
  ].sort((a, b) => a.at - b.at);
  meetings.push({
    key: "retro",
    id: meetingIdFor("sprint-41-retro"),
    title: "Sprint 41 retrospective",
    description: "What went well, what did not, what we change.",
    state: "concluded",
    scheduledAt: retroAt,
    duration: 50 * 60,
    organizerId: alex.id,
    createdAt: retroAt - 14 * DAY,
    updatedAt: retroEnd,
    participants: [
      left(alex.id, retroAt, retroEnd, "host"),
      left(priya.id, retroAt + MIN, retroEnd),
      left(marcus.id, retroAt, retroEnd),
      left(aisha.id, retroAt + 2 * MIN, retroEnd),
      left(mei.id, retroAt, retroEnd),
      left(david.id, retroAt, retroAt + 30 * MIN),
    ],
    transcript: buildChunks("retro", retroAt, retroLines),
    notes: {
      content:
        "# Sprint 41 retrospective\n\n## Went well\n- Call error rate 2.3% -> 0.4% after the reconnect fix\n- Staging environment sped up testing\n\n## Did not go well\n- Flaky end-to-end tests\n- Two signaling incidents under load\n\n## Decisions\n- Release moves to Thursday so load tests land first\n\n## Action items\n- Marcus: load tests for the signaling service\n- Aisha: triage flaky end-to-end tests by Wednesday\n- Alex: tell support about the new release date\n",
      version: 12,
      lastUpdated: retroEnd + 10 * MIN,
    },
    prompts: [prompt("retro", "precall", "Ask about the flaky tests first.", 0.7, ["prep"], retroAt - HOUR, "used")],
    insights: new Map([
      [
        alex.id,
        insight("retro", retroEnd + 20 * MIN, {
          summary:
            "The team reviewed sprint 41. The call error rate fell from 2.3% to 0.4% after the reconnect fix; flaky end-to-end tests and two signaling incidents under load were the main problems. The team decided to move the release to Thursday so that load tests land first.",
          actionItems: [
            "Marcus: add load tests for the signaling service",
            "Aisha: triage the flaky end-to-end tests by Wednesday",
            "Alex: tell support about the new release date (Thursday)",
          ],
          recommendations: [
            { type: "process", content: "Quarantine flaky tests instead of retrying them.", confidence: 0.82 },
            { type: "follow-up", content: "Review load test results before Thursday's release.", confidence: 0.74 },
          ],
          links: [{ type: "doc", title: "Sprint 41 board", url: "https://connvo.example/boards/sprint-41" }],
        }),
      ],
    ]),
  });

  const globexAt = dayStartUtc(now) - 3 * DAY + 17 * HOUR;
  meetings.push({
    key: "globexInterview",
    id: meetingIdFor("globex-interview"),
    title: "Customer interview: Globex",
    state: "concluded",
    scheduledAt: globexAt,
    duration: 40 * 60,
    organizerId: yuki.id,
    createdAt: globexAt - 7 * DAY,
    updatedAt: globexAt + 40 * MIN,
    participants: [left(yuki.id, globexAt, globexAt + 40 * MIN, "host"), left(alex.id, globexAt, globexAt + 40 * MIN)],
    transcript: buildChunks("globexInterview", globexAt, [
      { speaker: yuki.id, at: 20, text: "Thanks for joining. How does your team run meetings today?" },
      { speaker: alex.id, at: 600, text: "We will send you the security questionnaire this week." },
    ]),
    prompts: [],
    insights: new Map([
      [
        alex.id,
        insight("globexInterview", globexAt + HOUR, {
          summary: "Globex runs weekly cross-team calls and wants automatic notes; security review is their blocker.",
          actionItems: ["Alex: send Globex the security questionnaire", "Yuki: write up the interview findings"],
          recommendations: [{ type: "sales", content: "Offer a pilot with SSO enabled.", confidence: 0.66 }],
          links: [],
        }),
      ],
    ]),
  });

  return meetings;
}
