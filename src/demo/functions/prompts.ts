/**
 * Demo stand-ins for Connvo's conversation prompts (convex/prompts/queries.ts and mutations.ts):
 * the pre-call and in-call reads, and the feedback write, which changes the world so a later read
 * shows it.
 */
import type { DemoCall } from "./context.js";
import { assertMeetingAccess, convexError, defineDemoFunction, requireUser } from "./context.js";

const QUERIES = "../convex/prompts/queries.ts:58:4";
const MUTATIONS = "../convex/prompts/mutations.ts:55:23";

/**
 * Connvo: `withIndex("by_meeting_type").order("desc").take(limit)` (newest first), then sorted by
 * relevance, highest first.
 */
function promptsOf(call: DemoCall, meetingId: string, phase: "precall" | "incall", limit: number, source: string) {
  const { meeting } = assertMeetingAccess(call, meetingId, source);
  const take = Math.max(0, Math.floor(limit));
  return meeting.prompts
    .filter((p) => p.phase === phase)
    .sort((a, b) => b.createdAt - a.createdAt)
    .slice(0, take)
    .sort((a, b) => b.relevance - a.relevance)
    .map((p) => ({
      _id: p._id,
      content: p.content,
      tags: p.tags,
      relevance: p.relevance,
      ...(p.usedAt !== undefined ? { usedAt: p.usedAt } : {}),
      ...(p.feedback !== undefined ? { feedback: p.feedback } : {}),
      createdAt: p.createdAt,
    }));
}

export const getPreCallPrompts = defineDemoFunction({
  path: "prompts/queries:getPreCallPrompts",
  kind: "query",
  source: QUERIES,
  run({ meetingId, limit }, call) {
    return promptsOf(call, meetingId, "precall", typeof limit === "number" ? limit : 10, this.source);
  },
});

export const getInCallPrompts = defineDemoFunction({
  path: "prompts/queries:getInCallPrompts",
  kind: "query",
  source: QUERIES,
  run({ meetingId, limit }, call) {
    return promptsOf(call, meetingId, "incall", typeof limit === "number" ? limit : 5, this.source);
  },
});

export const updatePromptFeedback = defineDemoFunction({
  path: "prompts/mutations:updatePromptFeedback",
  kind: "mutation",
  source: MUTATIONS,
  run({ promptId, feedback }, call) {
    requireUser(call, this.source);
    const entry = call.world.prompts.get(promptId);
    if (!entry) {
      convexError(
        {
          code: "NOT_FOUND",
          message: `Prompt with ID ${promptId} not found`,
          statusCode: 404,
          metadata: { id: promptId },
        },
        this.source,
      );
    }
    assertMeetingAccess(call, entry.meeting.id, this.source);
    // Connvo patches { feedback } and, for "used", usedAt = now; the same feedback twice leaves the
    // same state (only usedAt moves to the later call).
    entry.prompt.feedback = feedback;
    if (feedback === "used") entry.prompt.usedAt = call.now;
    return null;
  },
});
