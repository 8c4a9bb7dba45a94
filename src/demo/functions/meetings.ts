/**
 * Demo stand-ins for Connvo's meeting reads (convex/meetings/queries.ts and the signaling
 * module's getActiveSessions), answering from the demo world.
 */
import { deterministicConvexId } from "../../convex/ids.js";
import { TABLE_NUMBERS } from "../seed.js";
import type { WorldMeeting } from "../world/index.js";
import { assertMeetingAccess, type DemoCall, defineDemoFunction, requireUser } from "./context.js";

const QUERIES = "../convex/meetings/queries.ts:120:4";

/** A meeting document as Connvo stores it, plus the caller's role and presence. */
function meetingDoc(meeting: WorldMeeting, userId: string) {
  const me = meeting.participants.find((p) => p.userId === userId);
  return {
    _id: meeting.id,
    createdAt: meeting.createdAt,
    ...(meeting.description !== undefined ? { description: meeting.description } : {}),
    ...(meeting.duration !== undefined ? { duration: meeting.duration } : {}),
    organizerId: meeting.organizerId,
    participantCount: meeting.participants.length,
    ...(meeting.scheduledAt !== undefined ? { scheduledAt: meeting.scheduledAt } : {}),
    state: meeting.state,
    title: meeting.title,
    updatedAt: meeting.updatedAt,
    userPresence: me?.presence ?? "invited",
    userRole: me?.role ?? "participant",
  };
}

export const getActiveSessions = defineDemoFunction({
  path: "meetings/webrtc/index:getActiveSessions",
  kind: "query",
  source: "../convex/meetings/webrtc/signaling.ts:297:4",
  run({ meetingId }, call) {
    const { meeting } = assertMeetingAccess(call, meetingId, this.source);
    return meeting.sessions?.(call.now) ?? [];
  },
});

export const listUserMeetings = defineDemoFunction({
  path: "meetings/queries:listUserMeetings",
  kind: "query",
  source: QUERIES,
  run({ state, limit }, call: DemoCall) {
    const user = requireUser(call, this.source);
    // Connvo: the caller's meetings by creation time, newest first, at most `limit` (default 50).
    const mine = [...call.world.meetings.values()]
      .filter((m) => m.participants.some((p) => p.userId === user.id))
      .filter((m) => state === undefined || m.state === state)
      .sort((a, b) => b.createdAt - a.createdAt);
    const cap = Math.max(0, Math.floor(typeof limit === "number" ? limit : 50));
    return mine.slice(0, cap).map((m) => meetingDoc(m, user.id));
  },
});

export const getMeeting = defineDemoFunction({
  path: "meetings/queries:getMeeting",
  kind: "query",
  source: QUERIES,
  run({ meetingId }, call) {
    const { user, meeting } = assertMeetingAccess(call, meetingId, this.source);
    const sessions = meeting.sessions?.(call.now) ?? [];
    return {
      _creationTime: meeting.createdAt + 0.25,
      ...meetingDoc(meeting, user.id),
      activeWebRTCSessions: sessions.filter((s) => s.state !== "closed" && s.state !== "failed").length,
      webrtcEnabled: true,
    };
  },
});

export const listMeetingParticipants = defineDemoFunction({
  path: "meetings/queries:listMeetingParticipants",
  kind: "query",
  source: QUERIES,
  run({ meetingId }, call) {
    const { meeting } = assertMeetingAccess(call, meetingId, this.source);
    const sessions = meeting.sessions?.(call.now) ?? [];
    return meeting.participants.map((p, index) => {
      const person = call.world.people.get(p.userId);
      const mine = sessions.filter((s) => s.userId === p.userId);
      return {
        _creationTime: p.createdAt + index / 1000,
        _id: participantDocId(meeting.key, p.userId),
        createdAt: p.createdAt,
        ...(p.joinedAt !== undefined ? { joinedAt: p.joinedAt } : {}),
        ...(p.leftAt !== undefined ? { leftAt: p.leftAt } : {}),
        meetingId: meeting.id,
        presence: p.presence,
        role: p.role,
        user: {
          _id: p.userId,
          ...(person?.avatarUrl ? { avatarUrl: person.avatarUrl } : {}),
          ...(person?.displayName !== undefined ? { displayName: person.displayName } : {}),
        },
        userId: p.userId,
        webrtcConnected: mine.some((s) => s.state === "connected"),
        webrtcSessionCount: mine.length,
      };
    });
  },
});

const participantDocId = (meetingKey: string, userId: string) =>
  deterministicConvexId(TABLE_NUMBERS.meetingParticipants, `participant:${meetingKey}:${userId}`);
