/**
 * The demo world in motion: while a meeting is live, people join, connect, drop, come back, leave
 * and their connection quality changes, the way a real call moves. A change goes through `apply`
 * (tests and the `/_demo/live` control route ask for one by name) or `step` (one plausible change,
 * picked with a seeded random generator); `autoRun` runs steps by itself every few seconds while
 * it is switched on for a meeting (the deployment switches it on while someone follows the meeting
 * over the sync protocol, so pull-only clients and their tests see the seeded world unchanged).
 *
 * The first change to a meeting turns its fixture rows into live session state (creation times
 * become fixed, heartbeats and metrics keep the lag the fixture had), and from then on the
 * meeting's `sessions(now)` reads that state, in the real backend's order (connecting, connected,
 * disconnected, each by creation time; closed sessions are not returned). Listeners hear about
 * every change so the sync protocol can push the new answer.
 */
import { deterministicConvexId } from "../../convex/ids.js";
import {
  CONNECTION_QUALITIES,
  type ConnectionQuality,
  type SessionRow,
  type SessionState,
} from "../../convex/types.js";
import { TABLE_NUMBERS } from "../seed.js";
import { type DemoWorld, participantOf, type WorldMeeting } from "./index.js";
import { type DemoPerson, genericPerson, PEOPLE } from "./people.js";

/** A change someone can ask for. `userId` picks the person; without it one is chosen. */
export type LiveChange =
  /** Someone starts joining (a new person, or `userId`): a connecting session. */
  | { kind: "join"; userId?: string; name?: string; connectAfterMs?: number }
  /** A connecting person gets through. */
  | { kind: "connect"; userId?: string }
  /** A connected person drops (their session goes to disconnected). */
  | { kind: "drop"; userId?: string }
  /** A dropped person comes back. */
  | { kind: "rejoin"; userId?: string }
  /** Someone leaves: their sessions close and are no longer listed. */
  | { kind: "leave"; userId?: string }
  /** A connected person's quality changes (a connection degrades or recovers). */
  | { kind: "quality"; userId?: string; quality?: ConnectionQuality };

export type LiveChangeKind = LiveChange["kind"];
export const LIVE_CHANGE_KINDS: readonly LiveChangeKind[] = ["join", "connect", "drop", "rejoin", "leave", "quality"];

/** What a change did, for logs and control-route answers. */
export interface AppliedChange {
  meetingId: string;
  kind: LiveChangeKind;
  userId: string;
  state?: SessionState;
  quality?: ConnectionQuality;
}

export interface LiveWorldOptions {
  /** Time for row stamps and join times. */
  now: () => number;
  /** Seed of the generator `step` picks changes with; same seed, same sequence. */
  seed?: string;
  /** How often an auto-running meeting changes by itself; default 20 s. */
  autoEveryMs?: number;
}

export interface LiveWorld {
  /** Applies `change` to the meeting; throws LiveChangeError when it cannot happen. */
  apply(meetingId: string, change: LiveChange): AppliedChange;
  /** One plausible change, picked by the generator; undefined when nothing can change. */
  step(meetingId: string): AppliedChange | undefined;
  /** Changes the meeting by itself every `autoEveryMs` while on. */
  autoRun(meetingId: string, on: boolean): void;
  /** Meetings that change by themselves right now. */
  readonly running: ReadonlySet<string>;
  /** Called after every change, with the meeting's ID. */
  onChange(listener: (change: AppliedChange) => void): () => void;
  /** Changes applied since start. */
  readonly changes: number;
  close(): void;
}

export class LiveChangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LiveChangeError";
  }
}

/** One session as live state. Lags keep a fixture's "updated 6 s ago" true at any time. */
interface LiveSession {
  fixed: Omit<
    SessionRow,
    "_creationTime" | "createdAt" | "updatedAt" | "lastMetricsAt" | "state" | "connectionQuality"
  >;
  state: SessionState;
  quality?: ConnectionQuality;
  createdAt: number;
  fraction: number;
  /** Connected/connecting rows heartbeat: updatedAt = now - lag. Others: a fixed time. */
  updatedLagMs?: number;
  updatedAt?: number;
  /** Metrics arrive every few seconds: lastMetricsAt = now - lag (absent without quality). */
  metricsLagMs?: number;
}

interface LiveMeeting {
  meeting: WorldMeeting;
  sessions: LiveSession[];
  counter: number;
}

const STATE_ORDER: Record<SessionState, number> = {
  connecting: 0,
  connected: 1,
  disconnected: 2,
  failed: 3,
  closed: 4,
};
const HEARTBEAT_LAG_MS = 5_000;
const METRICS_LAG_MS = 2_000;
const MAX_PEOPLE_BY_ITSELF = 12;

/** mulberry32 over a string seed. */
function generator(seed: string): () => number {
  let a = 0;
  for (let i = 0; i < seed.length; i++) a = (Math.imul(a ^ seed.charCodeAt(i), 2654435761) + i) | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function stamp(s: LiveSession, at: number): SessionRow {
  const row: SessionRow = {
    _creationTime: s.createdAt + s.fraction,
    ...s.fixed,
    user: { ...s.fixed.user },
    state: s.state,
    createdAt: s.createdAt,
    updatedAt: s.updatedLagMs !== undefined ? at - s.updatedLagMs : (s.updatedAt ?? s.createdAt),
  };
  if (s.fixed.metadata) row.metadata = { ...s.fixed.metadata };
  if (s.quality !== undefined) {
    row.connectionQuality = s.quality;
    if (s.metricsLagMs !== undefined) row.lastMetricsAt = at - s.metricsLagMs;
  }
  return row;
}

function fromRow(row: SessionRow, at: number): LiveSession {
  const { _creationTime, createdAt, updatedAt, lastMetricsAt, state, connectionQuality, ...fixed } = row;
  const live = state === "connected" || state === "connecting";
  return {
    fixed,
    state,
    ...(connectionQuality !== undefined ? { quality: connectionQuality } : {}),
    createdAt,
    fraction: _creationTime - createdAt,
    ...(live ? { updatedLagMs: Math.max(0, at - updatedAt) } : { updatedAt }),
    ...(lastMetricsAt !== undefined ? { metricsLagMs: Math.max(0, at - lastMetricsAt) } : {}),
  };
}

export function createLiveWorld(world: DemoWorld, options: LiveWorldOptions): LiveWorld {
  const { now } = options;
  const random = generator(options.seed ?? "connvo-demo-live");
  const autoEveryMs = Math.max(50, options.autoEveryMs ?? 20_000);
  const live = new Map<string, LiveMeeting>();
  const listeners = new Set<(change: AppliedChange) => void>();
  const running = new Set<string>();
  const timers = new Map<string, NodeJS.Timeout>();
  const pending = new Set<NodeJS.Timeout>();
  let changes = 0;
  let closed = false;

  function liveMeeting(meetingId: string): LiveMeeting {
    const existing = live.get(meetingId);
    if (existing) return existing;
    const meeting = world.meetings.get(meetingId);
    if (!meeting) throw new LiveChangeError(`no demo meeting has ID ${meetingId.slice(0, 64)}`);
    if (meeting.state !== "active" || !meeting.sessions) {
      throw new LiveChangeError(`meeting ${meeting.key} is not live (state ${meeting.state})`);
    }
    const at = now();
    const state: LiveMeeting = { meeting, sessions: meeting.sessions(at).map((row) => fromRow(row, at)), counter: 0 };
    meeting.sessions = (when) =>
      state.sessions
        .filter((s) => STATE_ORDER[s.state] <= 2)
        .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.createdAt - b.createdAt)
        .map((s) => stamp(s, when));
    live.set(meetingId, state);
    return state;
  }

  const sessionsOf = (m: LiveMeeting, userId: string) => m.sessions.filter((s) => s.fixed.userId === userId);
  const peopleIn = (m: LiveMeeting, states: readonly SessionState[]) => [
    ...new Set(m.sessions.filter((s) => states.includes(s.state)).map((s) => s.fixed.userId)),
  ];
  /** The person's best state over their sessions. */
  const bestState = (m: LiveMeeting, userId: string): SessionState | undefined =>
    sessionsOf(m, userId)
      .map((s) => s.state)
      .sort((a, b) => STATE_ORDER[a] - STATE_ORDER[b])[0];

  function pick(candidates: string[], what: string, userId: string | undefined): string {
    if (userId !== undefined) {
      if (!candidates.includes(userId)) throw new LiveChangeError(`user ${userId.slice(0, 64)} cannot ${what} now`);
      return userId;
    }
    const chosen = candidates[Math.floor(random() * candidates.length)];
    if (chosen === undefined) throw new LiveChangeError(`no one can ${what} now`);
    return chosen;
  }

  /** A person for a join: `userId`, someone of the cast not in the call, or a new guest. */
  function joiner(m: LiveMeeting, change: Extract<LiveChange, { kind: "join" }>): DemoPerson {
    const inCall = new Set(peopleIn(m, ["connecting", "connected", "disconnected"]));
    if (change.userId !== undefined) {
      if (inCall.has(change.userId))
        throw new LiveChangeError(`user ${change.userId.slice(0, 64)} is already in the call`);
      const known = world.people.get(change.userId);
      if (known) return known;
      const person = { ...genericPerson(`live-${change.userId}`, change.name), id: change.userId };
      world.people.set(person.id, person);
      return person;
    }
    const cast = Object.values(PEOPLE).filter((p) => !inCall.has(p.id) && p.id !== PEOPLE.alex.id);
    const fromCast = change.name === undefined ? cast[Math.floor(random() * cast.length)] : undefined;
    if (fromCast) return fromCast;
    m.counter += 1;
    const person = genericPerson(`live-${m.meeting.key}-guest-${m.counter}`, change.name ?? `Guest ${m.counter}`);
    world.people.set(person.id, person);
    return person;
  }

  function addSession(m: LiveMeeting, person: DemoPerson, state: SessionState, at: number): LiveSession {
    m.counter += 1;
    const seed = `live:${m.meeting.key}:${m.counter}:${person.id}`;
    let sessionId = "sess_";
    const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    for (let i = 0; i < 20; i++) sessionId += alphabet[Math.floor(random() * alphabet.length)];
    const session: LiveSession = {
      fixed: {
        _id: deterministicConvexId(TABLE_NUMBERS.webrtcSessions, seed),
        meetingId: m.meeting.id,
        sessionId,
        userId: person.id,
        user: {
          _id: person.id,
          ...(person.displayName !== undefined ? { displayName: person.displayName } : {}),
          ...(person.avatarUrl !== undefined ? { avatarUrl: person.avatarUrl } : {}),
        },
        metadata: { userAgent: "Mozilla/5.0 (connvo demo live)", sdpSemantics: "unified-plan", region: "eu-west-1" },
      },
      state,
      createdAt: at,
      fraction: Math.floor(random() * 1000) / 1000,
      updatedLagMs: HEARTBEAT_LAG_MS,
    };
    m.sessions.push(session);
    return session;
  }

  function roster(m: LiveMeeting, userId: string, presence: "joined" | "left", at: number): void {
    const existing = participantOf(m.meeting, userId);
    if (existing) {
      existing.presence = presence;
      if (presence === "joined") {
        existing.joinedAt = existing.joinedAt ?? at;
        delete existing.leftAt;
      } else existing.leftAt = at;
      return;
    }
    m.meeting.participants.push({ userId, role: "participant", presence, joinedAt: at, createdAt: at });
  }

  function setState(s: LiveSession, state: SessionState, at: number): void {
    s.state = state;
    if (state === "connected" || state === "connecting") {
      delete s.updatedAt;
      s.updatedLagMs = HEARTBEAT_LAG_MS;
    } else {
      delete s.updatedLagMs;
      s.updatedAt = at;
    }
  }

  function emit(change: AppliedChange): AppliedChange {
    changes += 1;
    const m = live.get(change.meetingId);
    if (m) m.meeting.updatedAt = now();
    for (const listener of listeners) listener(change);
    return change;
  }

  function apply(meetingId: string, change: LiveChange): AppliedChange {
    if (closed) throw new LiveChangeError("the demo deployment is closed");
    const m = liveMeeting(meetingId);
    const at = now();
    switch (change.kind) {
      case "join": {
        const person = joiner(m, change);
        addSession(m, person, "connecting", at);
        roster(m, person.id, "joined", at);
        const delay = change.connectAfterMs;
        if (delay !== undefined && delay >= 0) {
          const timer = setTimeout(() => {
            pending.delete(timer);
            if (!closed && bestState(m, person.id) === "connecting")
              apply(meetingId, { kind: "connect", userId: person.id });
          }, delay);
          timer.unref();
          pending.add(timer);
        }
        return emit({ meetingId, kind: "join", userId: person.id, state: "connecting" });
      }
      case "connect": {
        const candidates = peopleIn(m, ["connecting"]).filter((id) => bestState(m, id) === "connecting");
        const userId = pick(candidates, "connect", change.userId);
        for (const s of sessionsOf(m, userId)) if (s.state === "connecting") setState(s, "connected", at);
        return emit({ meetingId, kind: "connect", userId, state: "connected" });
      }
      case "drop": {
        const userId = pick(peopleIn(m, ["connected"]), "drop", change.userId);
        for (const s of sessionsOf(m, userId))
          if (s.state === "connected" || s.state === "connecting") setState(s, "disconnected", at);
        return emit({ meetingId, kind: "drop", userId, state: "disconnected" });
      }
      case "rejoin": {
        const candidates = peopleIn(m, ["disconnected"]).filter((id) => bestState(m, id) === "disconnected");
        const userId = pick(candidates, "rejoin", change.userId);
        const newest = sessionsOf(m, userId).sort((a, b) => b.createdAt - a.createdAt)[0];
        if (newest) {
          setState(newest, "connected", at);
          if (newest.quality !== undefined) newest.metricsLagMs = METRICS_LAG_MS;
        }
        return emit({ meetingId, kind: "rejoin", userId, state: "connected" });
      }
      case "leave": {
        const userId = pick(peopleIn(m, ["connecting", "connected", "disconnected"]), "leave", change.userId);
        for (const s of sessionsOf(m, userId)) setState(s, "closed", at);
        roster(m, userId, "left", at);
        return emit({ meetingId, kind: "leave", userId, state: "closed" });
      }
      case "quality": {
        const userId = pick(peopleIn(m, ["connected"]), "change quality", change.userId);
        const mine = sessionsOf(m, userId).filter((s) => s.state === "connected");
        const current = mine[0]?.quality;
        const quality =
          change.quality ??
          (CONNECTION_QUALITIES.filter((q) => q !== current)[Math.floor(random() * 3)] as ConnectionQuality);
        if (!CONNECTION_QUALITIES.includes(quality)) throw new LiveChangeError(`unknown quality ${String(quality)}`);
        for (const s of mine) {
          s.quality = quality;
          s.metricsLagMs = METRICS_LAG_MS;
        }
        return emit({ meetingId, kind: "quality", userId, quality });
      }
    }
  }

  function step(meetingId: string): AppliedChange | undefined {
    const m = liveMeeting(meetingId);
    const connected = peopleIn(m, ["connected"]).length;
    const dropped = peopleIn(m, ["disconnected"]).filter((id) => bestState(m, id) === "disconnected").length;
    const inCall = peopleIn(m, ["connecting", "connected", "disconnected"]).length;
    const options: [LiveChange, number][] = [
      [{ kind: "quality" }, connected > 0 ? 4 : 0],
      [{ kind: "join", connectAfterMs: 3_000 }, inCall < MAX_PEOPLE_BY_ITSELF ? 2 : 0],
      [{ kind: "drop" }, connected > 2 ? 2 : 0],
      [{ kind: "rejoin" }, dropped > 0 ? 3 : 0],
      [{ kind: "leave" }, inCall > MAX_PEOPLE_BY_ITSELF / 2 ? 1 : 0],
    ];
    const total = options.reduce((sum, [, weight]) => sum + weight, 0);
    if (total === 0) return undefined;
    let roll = random() * total;
    for (const [change, weight] of options) {
      roll -= weight;
      if (weight > 0 && roll < 0) return apply(meetingId, change);
    }
    return undefined;
  }

  function schedule(meetingId: string): void {
    const delay = Math.round(autoEveryMs * (0.75 + random() * 0.5));
    const timer = setTimeout(() => {
      if (closed || !running.has(meetingId)) return;
      try {
        step(meetingId);
      } catch {
        // A meeting that cannot change any more (it ended) just stops.
      }
      schedule(meetingId);
    }, delay);
    timer.unref();
    timers.set(meetingId, timer);
  }

  return {
    apply,
    step,
    autoRun(meetingId, on) {
      if (closed) return;
      if (on && !running.has(meetingId)) {
        const meeting = world.meetings.get(meetingId);
        if (meeting?.state !== "active" || !meeting.sessions) return;
        running.add(meetingId);
        schedule(meetingId);
      } else if (!on && running.has(meetingId)) {
        running.delete(meetingId);
        clearTimeout(timers.get(meetingId));
        timers.delete(meetingId);
      }
    },
    running,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    get changes() {
      return changes;
    },
    close() {
      closed = true;
      for (const timer of [...timers.values(), ...pending]) clearTimeout(timer);
      timers.clear();
      pending.clear();
      running.clear();
      listeners.clear();
    },
  };
}
