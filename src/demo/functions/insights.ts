/**
 * Demo stand-ins for Connvo's insight reads (convex/insights/queries.ts), answering from the demo
 * world. Insights are per user and meeting: a participant sees only their own, and a meeting has
 * none until they are generated after it ends (the live meeting has none).
 */
import { CONNVO_ERRORS, FRAMES } from "../wire.js";
import type { DemoInsight, WorldMeeting } from "../world/index.js";
import { participantOf } from "../world/index.js";
import { convexError, defineDemoFunction, requireUser } from "./context.js";

const QUERIES = "../convex/insights/queries.ts:96:23";

/** `meeting.scheduledAt || meeting.createdAt`, as Connvo writes meetingDate. */
const meetingDate = (meeting: WorldMeeting) => meeting.scheduledAt || meeting.createdAt;

export const getMeetingInsights = defineDemoFunction({
  path: "insights/queries:getMeetingInsights",
  kind: "query",
  source: QUERIES,
  run({ meetingId }, call) {
    const user = requireUser(call, this.source);
    // Unlike assertMeetingAccess, this function reads the meeting first: an unknown ID is
    // NOT_FOUND here (createError.notFound("Meeting", meetingId)), then participation is checked.
    const meeting = call.world.meetings.get(meetingId);
    if (!meeting) {
      convexError(
        {
          code: "NOT_FOUND",
          message: `Meeting with ID ${meetingId} not found`,
          statusCode: 404,
          metadata: { id: meetingId },
        },
        this.source,
      );
    }
    if (!participantOf(meeting, user.id)) {
      convexError(CONNVO_ERRORS.forbidden(meetingId, user.id), this.source, FRAMES.handler);
    }
    const insight = meeting.insights.get(user.id);
    if (!insight) return null;
    return {
      _id: insight._id,
      summary: insight.summary,
      actionItems: insight.actionItems,
      recommendations: insight.recommendations,
      links: insight.links,
      createdAt: insight.createdAt,
      meetingTitle: meeting.title,
      meetingDate: meetingDate(meeting),
    };
  },
});

export const getUserInsights = defineDemoFunction({
  path: "insights/queries:getUserInsights",
  kind: "query",
  source: QUERIES,
  run({ limit, offset }, call) {
    const user = requireUser(call, this.source);
    // Connvo: the caller's insights by creation, newest first, `take(limit + offset)` then
    // `slice(offset, offset + limit)`, defaults 20 and 0; insights whose meeting is gone are skipped.
    const take = Math.max(0, Math.floor(typeof limit === "number" ? limit : 20));
    const skip = Math.max(0, Math.floor(typeof offset === "number" ? offset : 0));
    const mine: { insight: DemoInsight; meeting: WorldMeeting }[] = [];
    for (const meeting of call.world.meetings.values()) {
      const insight = meeting.insights.get(user.id);
      if (insight) mine.push({ insight, meeting });
    }
    mine.sort((a, b) => b.insight.createdAt - a.insight.createdAt);
    return mine.slice(skip, skip + take).map(({ insight, meeting }) => ({
      _creationTime: insight.createdAt + 0.5,
      _id: insight._id,
      meetingId: meeting.id,
      summary: insight.summary,
      actionItems: insight.actionItems,
      recommendations: insight.recommendations,
      createdAt: insight.createdAt,
      meetingTitle: meeting.title,
      meetingDate: meetingDate(meeting),
    }));
  },
});
