/**
 * The demo deployment's side of Convex's WebSocket sync protocol (what `ConvexClient` from
 * `convex/browser` speaks on `/api/<version>/sync`), for the demo's queries:
 *
 * - client → server: `Connect` (a new session on every socket), `Authenticate` (tokenType User
 *   or None, with the identity version it builds on), `ModifyQuerySet` (Add/Remove queries, from
 *   the query-set version it builds on), `Mutation`/`Action` (refused: the demo serves them over
 *   HTTP only), `Event` (ignored);
 * - server → client: `Transition` (from the version the client holds to the new one: query set,
 *   identity and a timestamp, with `QueryUpdated`/`QueryFailed`/`QueryRemoved` per query),
 *   `AuthError` (a token the deployment does not accept, with the identity version it answered),
 *   `Ping` (keeps the client's inactivity timer from reconnecting), `FatalError` (a protocol
 *   violation, then the socket closes).
 *
 * Queries re-run when the world changes (`notify`, for one meeting or all) and every `refreshMs`
 * (heartbeats and metrics samples move row timestamps, as on a real deployment); a Transition is
 * sent only for queries whose answer changed. Timestamps are u64 little-endian in base64, as the
 * client decodes them. Tests can drop every socket (`dropConnections`) or refuse new ones
 * (`setAccepting(false)`), and read how many distinct query subscriptions are held (`stats`).
 *
 * Like the rest of the demo it never writes to stdout or stderr; the optional `log` is its only output.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import type { Outcome } from "./wire.js";

export interface SyncServerOptions {
  /** Runs a query as the user (undefined = no identity), the way the HTTP routes run it. */
  run(path: string, args: unknown, userId: string | undefined): Outcome;
  /** The user a token signs in as, or why it is refused. */
  authenticate(token: string): { kind: "user"; userId: string } | { kind: "rejected"; message: string };
  /** Re-run every subscribed query this often (heartbeats and metrics samples); 0 = never. Default 15 s. */
  refreshMs?: number;
  /** Send a Ping this often; default 15 s. */
  pingMs?: number;
  /** Largest client message; default 1 MiB. */
  maxMessageBytes?: number;
  /** Called when the set of meetings with at least one subscription changes. */
  onWatchedChange?(watched: ReadonlySet<string>): void;
  log?: (line: string) => void;
}

export interface SyncStats {
  /** Open sockets. */
  connections: number;
  /** Sockets opened since start (reconnects included). */
  connects: number;
  /** Query subscriptions held right now, over all sockets. */
  subscriptions: number;
  /** Most subscriptions held at once. */
  maxSubscriptions: number;
  /** Subscriptions held right now, by the meetingId argument. */
  byMeeting: Record<string, number>;
  /** Transitions sent. */
  transitions: number;
  /** Upgrades refused (setAccepting(false)). */
  refused: number;
}

export interface SyncServer {
  /** Takes an HTTP upgrade if it is for the sync route; false otherwise (the caller answers). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** The world changed: re-run the queries about `meetingId` (every query when absent). */
  notify(meetingId?: string): void;
  /** Closes every socket abruptly (as a network drop would); clients reconnect. */
  dropConnections(): void;
  /** While false, upgrades are refused with 503 (clients fall back to HTTP). */
  setAccepting(accepting: boolean): void;
  readonly stats: SyncStats;
  /** Meetings with at least one subscription. */
  readonly watched: ReadonlySet<string>;
  close(): void;
}

const SYNC_PATH = /^\/api\/[^/]{1,32}\/sync$/;

interface Version {
  querySet: number;
  identity: number;
  ts: bigint;
}

interface Subscription {
  udfPath: string;
  args: unknown;
  meetingId: string | undefined;
  /** The last answer sent (JSON), to send only what changed. */
  last?: string;
}

interface Connection {
  ws: WebSocket;
  version: Version;
  /** The version the client holds: the end of the last Transition sent. */
  sent: Version;
  queries: Map<number, Subscription>;
  userId: string | undefined;
  closed: boolean;
}

type Modification =
  | { type: "QueryUpdated"; queryId: number; value: unknown; logLines: string[] }
  | { type: "QueryFailed"; queryId: number; errorMessage: string; logLines: string[]; errorData?: unknown }
  | { type: "QueryRemoved"; queryId: number };

/** A u64 as the sync protocol writes it: 8 bytes little-endian, base64. */
export function encodeTs(ts: bigint): string {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(ts);
  return bytes.toString("base64");
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

const meetingOf = (args: unknown): string | undefined =>
  isRecord(args) && typeof args.meetingId === "string" ? args.meetingId.slice(0, 128) : undefined;

export function createSyncServer(options: SyncServerOptions): SyncServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 1024 * 1024 });
  const connections = new Set<Connection>();
  const counters = { connects: 0, transitions: 0, refused: 0, maxSubscriptions: 0 };
  let clock = 0n;
  let accepting = true;
  let watchedKey = "";
  let watched: ReadonlySet<string> = new Set();
  const log = options.log;

  const nextTs = () => {
    clock += 1n;
    return clock;
  };

  function subscriptionCount(): { total: number; byMeeting: Record<string, number> } {
    let total = 0;
    const byMeeting: Record<string, number> = {};
    for (const c of connections) {
      for (const q of c.queries.values()) {
        total += 1;
        if (q.meetingId !== undefined) byMeeting[q.meetingId] = (byMeeting[q.meetingId] ?? 0) + 1;
      }
    }
    return { total, byMeeting };
  }

  function subscriptionsChanged(): void {
    const { total, byMeeting } = subscriptionCount();
    counters.maxSubscriptions = Math.max(counters.maxSubscriptions, total);
    const key = Object.keys(byMeeting).sort().join(",");
    if (key === watchedKey) return;
    watchedKey = key;
    watched = new Set(Object.keys(byMeeting));
    options.onWatchedChange?.(watched);
  }

  function send(c: Connection, message: Record<string, unknown>): void {
    if (c.closed || c.ws.readyState !== c.ws.OPEN) return;
    c.ws.send(JSON.stringify(message));
  }

  function fatal(c: Connection, error: string): void {
    send(c, { type: "FatalError", error });
    c.ws.close(1011, error.slice(0, 120));
  }

  /** The modification for one query's current answer, or undefined when it did not change. */
  function evaluate(c: Connection, queryId: number, q: Subscription, force: boolean): Modification | undefined {
    let outcome: Outcome;
    try {
      outcome = options.run(q.udfPath, q.args, c.userId);
    } catch (error) {
      outcome = {
        kind: "udfError",
        errorMessage: `Server Error\n${error instanceof Error ? error.message : "failed"}`,
      };
    }
    let modification: Modification;
    if (outcome.kind === "success") {
      modification = { type: "QueryUpdated", queryId, value: outcome.value ?? null, logLines: [] };
    } else if (outcome.kind === "udfError") {
      modification = {
        type: "QueryFailed",
        queryId,
        errorMessage: outcome.errorMessage,
        logLines: [],
        ...(outcome.errorData !== undefined ? { errorData: outcome.errorData } : {}),
      };
    } else {
      modification = {
        type: "QueryFailed",
        queryId,
        errorMessage: `${outcome.code}: ${outcome.message}`,
        logLines: [],
      };
    }
    // Error texts carry a fresh request ID per run; the same failure again is no change.
    const json = JSON.stringify(modification).replace(/\[Request ID: [0-9a-f]+\] /g, "");
    if (!force && json === q.last) return undefined;
    q.last = json;
    return modification;
  }

  /** Sends a Transition from what the client holds to the current version, if anything moved. */
  function transition(c: Connection, modifications: Modification[]): void {
    const { sent, version } = c;
    if (
      modifications.length === 0 &&
      sent.querySet === version.querySet &&
      sent.identity === version.identity &&
      sent.ts === version.ts
    ) {
      return;
    }
    if (version.ts === sent.ts) version.ts = nextTs();
    send(c, {
      type: "Transition",
      startVersion: { querySet: sent.querySet, identity: sent.identity, ts: encodeTs(sent.ts) },
      endVersion: { querySet: version.querySet, identity: version.identity, ts: encodeTs(version.ts) },
      modifications,
    });
    counters.transitions += 1;
    c.sent = { ...version };
  }

  function rerun(c: Connection, filter: (q: Subscription) => boolean, force: boolean): Modification[] {
    const out: Modification[] = [];
    for (const [queryId, q] of c.queries) {
      if (!filter(q)) continue;
      const modification = evaluate(c, queryId, q, force);
      if (modification) out.push(modification);
    }
    return out;
  }

  function onMessage(c: Connection, data: string) {
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return fatal(c, "Invalid message: not JSON");
    }
    if (!isRecord(message) || typeof message.type !== "string") return fatal(c, "Invalid message: no type");
    switch (message.type) {
      case "Connect":
        return; // a new socket is a new session already
      case "Event":
        return;
      case "Authenticate": {
        if (message.baseVersion !== c.version.identity) {
          return fatal(c, `Invalid identity version ${String(message.baseVersion)}, expected ${c.version.identity}`);
        }
        if (message.tokenType === "User" && typeof message.value === "string") {
          const auth = options.authenticate(message.value);
          if (auth.kind === "rejected") {
            // The client stops the socket, fetches a fresh token and reconnects (or gives up).
            send(c, {
              type: "AuthError",
              error: auth.message,
              baseVersion: c.version.identity,
              authUpdateAttempted: true,
            });
            return;
          }
          c.userId = auth.userId;
        } else if (message.tokenType === "None") {
          c.userId = undefined;
        } else {
          send(c, {
            type: "AuthError",
            error: "The demo deployment accepts only user tokens",
            baseVersion: c.version.identity,
            authUpdateAttempted: true,
          });
          return;
        }
        c.version.identity += 1;
        c.version.ts = nextTs();
        // Every answer may depend on who is asking.
        return transition(
          c,
          rerun(c, () => true, false),
        );
      }
      case "ModifyQuerySet": {
        if (message.baseVersion !== c.version.querySet || typeof message.newVersion !== "number") {
          return fatal(c, `Invalid query set version ${String(message.baseVersion)}, expected ${c.version.querySet}`);
        }
        const modifications: Modification[] = [];
        const list = Array.isArray(message.modifications) ? message.modifications : [];
        for (const item of list) {
          if (!isRecord(item) || typeof item.queryId !== "number") return fatal(c, "Invalid query set modification");
          if (item.type === "Add" && typeof item.udfPath === "string") {
            const args = Array.isArray(item.args) ? (item.args[0] ?? {}) : {};
            const q: Subscription = { udfPath: item.udfPath.replace(/\.js:/, ":"), args, meetingId: meetingOf(args) };
            c.queries.set(item.queryId, q);
            const modification = evaluate(c, item.queryId, q, true);
            if (modification) modifications.push(modification);
          } else if (item.type === "Remove") {
            if (c.queries.delete(item.queryId)) modifications.push({ type: "QueryRemoved", queryId: item.queryId });
          } else {
            return fatal(c, "Invalid query set modification");
          }
        }
        c.version.querySet = message.newVersion;
        c.version.ts = nextTs();
        transition(c, modifications);
        return subscriptionsChanged();
      }
      case "Mutation":
      case "Action": {
        const kind = message.type;
        send(c, {
          type: `${kind}Response`,
          requestId: message.requestId,
          success: false,
          result: `The demo deployment runs ${kind.toLowerCase()}s over HTTP only`,
          logLines: [],
        });
        return;
      }
      default:
        return fatal(c, `Unknown message type ${String(message.type).slice(0, 40)}`);
    }
  }

  function accept(ws: WebSocket): void {
    const c: Connection = {
      ws,
      version: { querySet: 0, identity: 0, ts: 0n },
      sent: { querySet: 0, identity: 0, ts: 0n },
      queries: new Map(),
      userId: undefined,
      closed: false,
    };
    connections.add(c);
    counters.connects += 1;
    ws.on("message", (data, isBinary) => {
      if (isBinary) return fatal(c, "Invalid message: binary");
      onMessage(c, data.toString());
    });
    const gone = () => {
      if (c.closed) return;
      c.closed = true;
      connections.delete(c);
      subscriptionsChanged();
    };
    ws.on("close", gone);
    ws.on("error", gone);
  }

  const ping = setInterval(() => {
    for (const c of connections) send(c, { type: "Ping" });
  }, options.pingMs ?? 15_000);
  ping.unref();
  const refreshMs = options.refreshMs ?? 15_000;
  const refresh =
    refreshMs > 0
      ? setInterval(() => {
          for (const c of connections)
            transition(
              c,
              rerun(c, () => true, false),
            );
        }, refreshMs)
      : undefined;
  refresh?.unref();

  return {
    handleUpgrade(req, socket, head) {
      const pathname = (req.url ?? "/").split("?")[0] as string;
      if (!SYNC_PATH.test(pathname)) return false;
      if (!accepting) {
        counters.refused += 1;
        socket.end("HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return true;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        log?.(`WS ${pathname} opened`);
        accept(ws);
      });
      return true;
    },
    notify(meetingId) {
      for (const c of connections) {
        transition(
          c,
          rerun(c, (q) => meetingId === undefined || q.meetingId === meetingId, false),
        );
      }
    },
    dropConnections() {
      for (const c of [...connections]) c.ws.terminate();
    },
    setAccepting(on) {
      accepting = on;
    },
    get stats() {
      const { total, byMeeting } = subscriptionCount();
      return {
        connections: connections.size,
        connects: counters.connects,
        subscriptions: total,
        maxSubscriptions: counters.maxSubscriptions,
        byMeeting,
        transitions: counters.transitions,
        refused: counters.refused,
      };
    },
    get watched() {
      return watched;
    },
    close() {
      clearInterval(ping);
      if (refresh) clearInterval(refresh);
      for (const c of [...connections]) c.ws.terminate();
      connections.clear();
      wss.close();
    },
  };
}
