/**
 * get_active_sessions: who is in a Connvo meeting right now, as a per-person summary.
 */
import { z } from "zod";
import type { SessionRow } from "../convex/types.js";
import { fitToBudget } from "../present/size.js";
import { summaryLead } from "../summary/render.js";
import { activeSessionsSummarySchema } from "../summary/schema.js";
import { DEFAULT_LIMIT, MAX_LIMIT, type SummaryFormat, summarizeSessions } from "../summary/summarize.js";
import { defineTool } from "./define.js";

const SESSIONS = "meetings/webrtc/index:getActiveSessions";

interface Input {
  meetingId: string;
  limit: number;
  format: SummaryFormat;
}

export const getActiveSessions = defineTool({
  name: "get_active_sessions",
  title: "Who is in a Connvo meeting",
  toolset: "meetings",
  description: [
    "Who is in a live Connvo meeting right now and how their connections are doing.",
    "Use it when asked who has joined, who is still joining, who dropped, or whether anyone has a bad connection; give the meeting's ID (list_meetings finds it).",
    "Returns a per-person summary (one person on several devices counts once): counts by state and by connection quality,",
    "people who need attention first (poor or fair connection, stuck connecting, dropped, stale metrics) with the reason,",
    "and how long each person has been in the call or trying to join.",
    `Limits: lists at most \`limit\` people (default ${DEFAULT_LIMIT}) and says how many were left out;`,
    "a person's quality is left out (counted as unknown) when Connvo has no recent metrics, which is common today;",
    "only a participant of the meeting may read it.",
    "Read-only.",
  ].join(" "),
  operations: [SESSIONS],
  args: { from: SESSIONS },
  options: {
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_LIMIT)
      .default(DEFAULT_LIMIT)
      .describe(
        `Most people to list (1-${MAX_LIMIT}, default ${DEFAULT_LIMIT}). People who need attention are listed first; the rest are counted as omitted.`,
      ),
    format: z
      .enum(["concise", "detailed"])
      .default("concise")
      .describe("concise (default): one entry per person. detailed: adds each person's session rows and avatar URL."),
  },
  output: activeSessionsSummarySchema,
  annotations: {
    title: "Who is in a Connvo meeting",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  load: (input: Input, backend) => backend.list<SessionRow>(SESSIONS, { meetingId: input.meetingId }),
  shape({ rows, unreadable }, input, view) {
    const summary = fitToBudget(input.limit, (limit) =>
      summarizeSessions(rows, {
        meetingId: input.meetingId,
        now: view.now,
        limit,
        format: input.format,
        unreadableRows: unreadable,
      }),
    );
    return { lead: [summaryLead(summary), ...view.notes], data: summary };
  },
});
