/**
 * One small and one large example call per read tool, valid against a default demo deployment
 * (meeting IDs are deterministic). The benchmark measures every tool with these, on a deployment
 * with `LARGE_DATA` (the all-hands then has a long summary and many prompts: the large calls'
 * data); a tool without an example here is simply not measured.
 */
import { DEMO_MEETINGS, meetingIdFor } from "./seed.js";
import { PEOPLE } from "./world/people.js";

export interface ExampleCall {
  tool: string;
  args: Record<string, unknown>;
  size: "small" | "large";
}

const live = DEMO_MEETINGS.healthy.id;
const retro = meetingIdFor("sprint-41-retro");
const large = DEMO_MEETINGS.large.id;

export function exampleCalls(): ExampleCall[] {
  return [
    { tool: "list_meetings", args: { when: "today" }, size: "small" },
    { tool: "list_meetings", args: { limit: 100 }, size: "large" },
    { tool: "get_meeting", args: { meetingId: live }, size: "small" },
    { tool: "get_meeting", args: { meetingId: large, limit: 200 }, size: "large" },
    { tool: "get_active_sessions", args: { meetingId: live }, size: "small" },
    { tool: "get_active_sessions", args: { meetingId: large, limit: 200 }, size: "large" },
    { tool: "get_transcript", args: { meetingId: live, lastMinutes: 5 }, size: "small" },
    { tool: "get_transcript", args: { meetingId: retro, maxLines: 500 }, size: "large" },
    { tool: "get_meeting_notes", args: { meetingId: live }, size: "small" },
    { tool: "get_meeting_notes", args: { meetingId: retro }, size: "large" },
    { tool: "get_meeting_summary", args: { meetingId: retro }, size: "small" },
    { tool: "get_meeting_summary", args: { meetingId: large, limit: 100, maxChars: 12_000 }, size: "large" },
    { tool: "list_action_items", args: { limit: 1 }, size: "small" },
    { tool: "list_action_items", args: { limit: 50 }, size: "large" },
    { tool: "get_prompts", args: { meetingId: live }, size: "small" },
    { tool: "get_prompts", args: { meetingId: large, limit: 50 }, size: "large" },
    { tool: "get_person", args: {}, size: "small" },
    { tool: "get_person", args: { userId: PEOPLE.priya.id }, size: "small" },
    { tool: "watch_meeting", args: { meetingId: live }, size: "small" },
    { tool: "watch_meeting", args: { meetingId: large, limit: 200 }, size: "large" },
  ];
}

/** The demo deployment options that give the large examples their data (`startDemoDeployment`). */
export const LARGE_DATA = { largeSummaryItems: 400, largePrompts: 200, bulkMeetings: 60, bulkInsights: true } as const;
