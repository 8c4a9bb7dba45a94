/**
 * A local stand-in for Connvo's Convex deployment: every function of src/demo/functions, over
 * Convex's HTTP surfaces (`/api/query`, `/api/mutation`, `/api/action` as ConvexHttpClient calls
 * them, and `/api/run/<module path>/<function>` per Connvo's OpenAPI document), answering from one
 * seeded demo world (src/demo/world). Args are validated against the OpenAPI args schema with
 * Convex's own error texts, a function called on the endpoint of another kind is refused as Convex
 * refuses it, and faults can be injected by function path and args (src/demo/faults.ts).
 *
 * It never writes to stdout or stderr: inside a stdio MCP server stdout is the protocol channel.
 * The only output is the optional `log` callback.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { SessionRow } from "../convex/types.js";
import { operation } from "../openapi/registry.js";
import { authenticate, authenticateAsync, createJwtKeys, type JwtProvider } from "./auth.js";
import { answerWithFault, checkFault, type DemoFault, faultMatches } from "./faults.js";
import { DemoFunctionError } from "./functions/context.js";
import { DEMO_FUNCTIONS } from "./functions/index.js";
import { DEMO_TOKEN, DEMO_USER_ID, type DemoMeetingName } from "./seed.js";
import { createSyncServer, type SyncStats } from "./sync.js";
import { validateArgs } from "./validate.js";
import {
  BodyTooLarge,
  isRecord,
  type Outcome,
  parseJson,
  type Route,
  readBody,
  STATUS_BODIES,
  send,
  sendOutcome,
  serverError,
} from "./wire.js";
import { createWorld, type DemoWorld, type WorldOptions } from "./world/index.js";
import { createLiveWorld, type LiveChange, LiveChangeError, type LiveWorld } from "./world/live.js";

export type { DemoFault, DemoFaultKind } from "./faults.js";
export type { SyncStats } from "./sync.js";
export type { AppliedChange, LiveChange } from "./world/live.js";

export interface DemoStats {
  /** HTTP requests other than the /_demo control routes. */
  requests: number;
  /** Function calls (/api/query, /api/mutation, /api/action and /api/run/...). */
  queryRequests: number;
  /** Function calls by the meetingId argument they carried. */
  byMeeting: Record<string, number>;
  /** Function calls by function path. */
  byFunction: Record<string, number>;
  /** Most function calls in flight at once since start / resetStats(). */
  maxConcurrent: number;
  inFlight: number;
}

export interface DemoDeploymentOptions extends WorldOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Bearer tokens accepted as the demo user; default [DEMO_TOKEN]. */
  tokens?: string[];
  /**
   * Auth providers that verify JWTs as Connvo's convex/auth.config.ts does (issuer, audience =
   * applicationID, RS256 via the JWKS); their tokens sign in as the demo person named by `sub`.
   */
  jwtProviders?: JwtProvider[];
  /** Clock for the world, row timestamps and token expiry; default Date.now. */
  now?: () => number;
  /**
   * How a well-formed meetings ID that is not a demo meeting fails. Default "notFound":
   * MEETING_NOT_FOUND, so clients can show that case. Connvo's real assertMeetingAccess checks only
   * participation, so the real backend answers FORBIDDEN; "forbidden" reproduces that exactly.
   */
  unknownMeeting?: "forbidden" | "notFound";
  /** Request bodies above this answer 413; default 1 MiB. */
  maxBodyBytes?: number;
  /** The only output channel: one line per request. Never stdout. */
  log?: (line: string) => void;
  /**
   * How often a live meeting changes by itself while someone follows it over the sync protocol
   * (src/demo/world/live.ts); default 20000 ms, 0 = only on request (`live.apply`, `/_demo/live`).
   */
  liveEveryMs?: number;
  /** Seed of the live world's choices; default fixed, so runs repeat. */
  liveSeed?: string;
  /** The sync protocol re-runs subscribed queries this often (heartbeats, metrics); default 15000 ms, 0 = never. */
  syncRefreshMs?: number;
}

export interface DemoDeployment {
  /** http://HOST:PORT, without a trailing slash. */
  url: string;
  /** The first accepted token. */
  token: string;
  /** Meeting name → meetingId (session fixtures and story meetings). */
  meetings: { [K in DemoMeetingName]: string } & Record<string, string>;
  /** The world it serves (tests read facts from it; write functions change it). */
  readonly world: DemoWorld;
  injectFault(fault: DemoFault): void;
  clearFaults(): void;
  /** Faults not yet used up, in order. */
  readonly faults: readonly DemoFault[];
  /** Accept `token` as the user with this ID (default: the demo user). */
  acceptToken(token: string, userId?: string): void;
  revokeToken(token: string): void;
  /** A snapshot of the counters. */
  readonly stats: DemoStats;
  resetStats(): void;
  /** The world in motion: changes on request (`apply`, `step`) and by itself (`autoRun`). */
  readonly live: LiveWorld;
  /** The WebSocket sync protocol (`/api/<version>/sync`): counters and faults for tests. */
  readonly sync: {
    readonly stats: SyncStats;
    /** Closes every sync socket abruptly; clients reconnect. */
    dropConnections(): void;
    /** false: refuse new sync sockets (503), as a proxy without WebSocket support would. */
    setAccepting(accepting: boolean): void;
  };
  /** Closes the server and every socket, hanging ones included. */
  close(): Promise<void>;
}

/** The sessions function, the one most tests call directly. */
export const FUNCTION_PATH = "meetings/webrtc/index:getActiveSessions";
const RUN_PREFIX = "/api/run/";
const KIND_ROUTES: Record<string, Route> = {
  "/api/query": "query",
  "/api/mutation": "mutation",
  "/api/action": "action",
};
const KIND_WORDS = { query: "Query", mutation: "Mutation", action: "Action" } as const;

/** "meetings/webrtc/index.js:getActiveSessions" (how some clients name it) → without ".js". */
const canonicalPath = (path: string) => path.replace(/\.js:/, ":");

/** Where the function path and args are in a request body, per route. */
function callOf(
  route: Route,
  body: Record<string, unknown>,
  pathname: string,
): { path: string; args: unknown } | string {
  if (route !== "run") {
    if (typeof body.path !== "string") return "Missing field `path`";
    // ConvexHttpClient sends `args: [argsObject]`; a bare object is accepted too.
    const args = Array.isArray(body.args) ? (body.args.length === 0 ? {} : body.args[0]) : (body.args ?? {});
    return { path: canonicalPath(body.path), args };
  }
  // /api/run/meetings/webrtc/index/getActiveSessions → meetings/webrtc/index:getActiveSessions
  let rest = pathname.slice(RUN_PREFIX.length);
  try {
    rest = decodeURIComponent(rest);
  } catch {
    // A malformed %-escape just makes an unknown function name below.
  }
  const segments = rest.split("/").filter(Boolean);
  const name = segments.pop() ?? "";
  return { path: `${segments.join("/")}:${name}`, args: body.args ?? {} };
}

export async function startDemoDeployment(opts: DemoDeploymentOptions = {}): Promise<DemoDeployment> {
  const now = opts.now ?? Date.now;
  const host = opts.host ?? "127.0.0.1";
  const maxBodyBytes = opts.maxBodyBytes ?? 1024 * 1024;
  const log = opts.log;
  const accepted = new Map<string, string>((opts.tokens ?? [DEMO_TOKEN]).map((t) => [t, DEMO_USER_ID]));
  const firstToken = opts.tokens?.[0] ?? DEMO_TOKEN;
  const jwt = createJwtKeys(opts.jwtProviders);
  const world = createWorld(now(), opts);
  const meetingIds = Object.fromEntries(
    Object.entries(world.byName).map(([name, m]) => [name, m.id]),
  ) as DemoDeployment["meetings"];

  let faults: { fault: DemoFault; remaining: number }[] = [];
  const stats: DemoStats = {
    requests: 0,
    queryRequests: 0,
    byMeeting: {},
    byFunction: {},
    maxConcurrent: 0,
    inFlight: 0,
  };
  const sockets = new Set<Socket>();
  const lifetime = new AbortController(); // aborted by close(): ends latency sleeps and hangs
  const liveEveryMs = opts.liveEveryMs ?? 20_000;
  const live = createLiveWorld(world, { now, seed: opts.liveSeed, autoEveryMs: liveEveryMs || undefined });
  const sync = createSyncServer({
    run: (path, args, userId) => runFunction("query", canonicalPath(path), args, userId),
    authenticate(token) {
      const auth = authenticate(`Bearer ${token}`, accepted, now(), jwt);
      if (auth.kind === "user") return auth;
      return { kind: "rejected", message: auth.kind === "rejected" ? auth.message : "No token" };
    },
    refreshMs: opts.syncRefreshMs,
    // A live meeting moves by itself while someone follows it (and stops when no one does).
    onWatchedChange(watched) {
      if (liveEveryMs <= 0) return;
      for (const id of watched) live.autoRun(id, true);
      for (const id of live.running) if (!watched.has(id)) live.autoRun(id, false);
    },
    log,
  });
  live.onChange((change) => sync.notify(change.meetingId));

  function takeFault(path: string, args: unknown): DemoFault | undefined {
    const index = faults.findIndex((f) => f.remaining > 0 && faultMatches(f.fault, path, args));
    if (index < 0) return undefined;
    const entry = faults[index] as { fault: DemoFault; remaining: number };
    entry.remaining -= 1;
    if (entry.remaining <= 0) faults.splice(index, 1);
    return entry.fault;
  }

  /** Runs a demo function: existence, kind, args, then the function itself (auth inside, as Connvo). */
  function runFunction(route: Route, path: string, args: unknown, userId: string | undefined): Outcome {
    const fn = DEMO_FUNCTIONS.get(path);
    if (!fn) return { kind: "udfError", errorMessage: serverError(`Could not find public function for '${path}'.\n`) };
    if (route !== "run" && route !== fn.kind) {
      return {
        kind: "udfError",
        errorMessage: serverError(
          `Trying to execute ${path} as ${KIND_WORDS[route]}, but it is defined as ${KIND_WORDS[fn.kind]}.\n`,
        ),
      };
    }
    const argError = validateArgs(args, operation(fn.path).argsSchema as Parameters<typeof validateArgs>[1]);
    if (argError !== undefined) return { kind: "udfError", errorMessage: serverError(argError) };
    try {
      const caller = userId ? world.people.get(userId) : undefined;
      const value = fn.run(args as Record<string, unknown>, {
        world,
        caller,
        now: now(),
        unknownMeeting: opts.unknownMeeting ?? "notFound",
      });
      return { kind: "success", value: value === undefined ? null : value };
    } catch (error) {
      if (error instanceof DemoFunctionError) {
        return {
          kind: "udfError",
          errorMessage: error.errorMessage,
          ...(error.errorData ? { errorData: error.errorData } : {}),
        };
      }
      throw error;
    }
  }

  /** Rows a sessions fault pretends the meeting has: the real ones when the meeting is readable. */
  function rowsFor(meetingId: string | undefined): SessionRow[] {
    const meeting = meetingId ? world.meetings.get(meetingId) : undefined;
    const readable = meeting?.participants.some((p) => p.userId === DEMO_USER_ID) && meeting.sessions;
    return (readable ? meeting : world.byName.healthy)?.sessions?.(now()) ?? [];
  }

  async function handleFunctionCall(route: Route, req: IncomingMessage, res: ServerResponse, pathname: string) {
    stats.queryRequests += 1;
    stats.inFlight += 1;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, stats.inFlight);
    res.once("close", () => {
      stats.inFlight -= 1;
    });

    const parsed = parseJson(await readBody(req, maxBodyBytes));
    if (!parsed.ok || !isRecord(parsed.value)) {
      return sendOutcome(res, route, {
        kind: "http",
        status: 400,
        code: "BadJsonBody",
        message: "Failed to parse the request body as a JSON object",
      });
    }
    const call = callOf(route, parsed.value, pathname);
    if (typeof call === "string")
      return sendOutcome(res, route, { kind: "http", status: 400, code: "BadJsonBody", message: call });
    const { path, args } = call;
    // Keys are client input: keep them short so a stress run can't balloon the stats objects.
    const short = (key: string) => (key.length > 64 ? `${key.slice(0, 64)}…` : key);
    stats.byFunction[short(path)] = (stats.byFunction[short(path)] ?? 0) + 1;
    const meetingId = isRecord(args) && typeof args.meetingId === "string" ? args.meetingId : undefined;
    if (meetingId !== undefined) stats.byMeeting[short(meetingId)] = (stats.byMeeting[short(meetingId)] ?? 0) + 1;

    const fault = takeFault(path, args);
    if (fault !== undefined) {
      const answered = await answerWithFault(fault, {
        route,
        req,
        res,
        meetingId,
        now: now(),
        lifetime: lifetime.signal,
        rows: () => rowsFor(meetingId),
      });
      if (answered) return;
    }

    const auth = await authenticateAsync(req.headers.authorization, accepted, now, jwt);
    if (auth.kind === "rejected") {
      return sendOutcome(res, route, { kind: "http", status: 401, code: auth.code, message: auth.message });
    }
    sendOutcome(res, route, runFunction(route, path, args, auth.kind === "user" ? auth.userId : undefined));
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const method = req.method ?? "GET";
    if (pathname === "/_demo/health" && method === "GET") return send(res, 200, JSON.stringify({ status: "ok" }));
    if (pathname === "/_demo/stats" && method === "GET") return send(res, 200, JSON.stringify(deployment.stats));
    if (pathname === "/_demo/stats" && method === "DELETE") {
      deployment.resetStats();
      return send(res, 200, JSON.stringify({ ok: true }));
    }
    if (pathname === "/_demo/faults") {
      if (method === "GET") return send(res, 200, JSON.stringify({ faults: deployment.faults }));
      if (method === "DELETE") {
        deployment.clearFaults();
        return send(res, 200, JSON.stringify({ ok: true }));
      }
      if (method === "POST") {
        const parsed = parseJson(await readBody(req, maxBodyBytes));
        const list = parsed.ok ? (Array.isArray(parsed.value) ? parsed.value : [parsed.value]) : [undefined];
        for (const item of list) {
          const problem = checkFault(item);
          if (problem !== undefined) return send(res, 400, JSON.stringify({ code: "BadFault", message: problem }));
        }
        for (const item of list) deployment.injectFault(item as DemoFault);
        return send(res, 200, JSON.stringify({ ok: true, pending: faults.length }));
      }
    }
    if (pathname === "/_demo/live" || pathname === "/_demo/sync") return handleLiveControl(req, res, pathname, method);
    return send(res, 404, JSON.stringify({ code: "NotFound", message: "Unknown demo control route" }));
  }

  /**
   * `/_demo/live`: GET → what changed so far; POST {meetingId, change} applies a change
   * ({kind: join|connect|drop|rejoin|leave|quality, userId?, quality?, name?}), {meetingId, step: true}
   * one picked by the world, {meetingId, auto: true|false} switches changing by itself.
   * `/_demo/sync`: GET → sync counters; POST {drop: true} closes every sync socket, {accepting: bool}.
   */
  async function handleLiveControl(req: IncomingMessage, res: ServerResponse, pathname: string, method: string) {
    if (method === "GET") {
      const body = pathname === "/_demo/sync" ? sync.stats : { changes: live.changes, running: [...live.running] };
      return send(res, 200, JSON.stringify(body));
    }
    if (method !== "POST")
      return send(res, 405, JSON.stringify({ code: "MethodNotAllowed", message: "Use GET or POST" }));
    const parsed = parseJson(await readBody(req, maxBodyBytes));
    const body = parsed.ok && isRecord(parsed.value) ? parsed.value : {};
    if (pathname === "/_demo/sync") {
      if (body.drop === true) sync.dropConnections();
      if (typeof body.accepting === "boolean") sync.setAccepting(body.accepting);
      return send(res, 200, JSON.stringify({ ok: true, ...sync.stats }));
    }
    const meetingId = typeof body.meetingId === "string" ? body.meetingId : "";
    try {
      if (typeof body.auto === "boolean") {
        live.autoRun(meetingId, body.auto);
        return send(res, 200, JSON.stringify({ ok: true, running: [...live.running] }));
      }
      const applied =
        body.step === true ? live.step(meetingId) : live.apply(meetingId, (body.change ?? {}) as LiveChange);
      return send(res, 200, JSON.stringify({ ok: true, applied: applied ?? null }));
    } catch (error) {
      if (!(error instanceof LiveChangeError)) throw error;
      return send(res, 400, JSON.stringify({ code: "BadLiveChange", message: error.message }));
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = now();
    const pathname = (req.url ?? "/").split("?")[0] as string;
    if (log) res.once("finish", () => log(`${req.method} ${pathname} -> ${res.statusCode} (${now() - started} ms)`));
    try {
      if (pathname.startsWith("/_demo/")) return await handleControl(req, res, pathname);
      stats.requests += 1;
      const route: Route | undefined = KIND_ROUTES[pathname] ?? (pathname.startsWith(RUN_PREFIX) ? "run" : undefined);
      if (route === undefined) {
        return send(
          res,
          404,
          JSON.stringify({ code: "NotFound", message: `No route for ${req.method} ${pathname.slice(0, 200)}` }),
        );
      }
      if (req.method !== "POST") {
        return send(res, 405, JSON.stringify({ code: "MethodNotAllowed", message: "Use POST" }), { Allow: "POST" });
      }
      await handleFunctionCall(route, req, res, pathname);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return send(
          res,
          413,
          JSON.stringify({ code: "PayloadTooLarge", message: `Request body exceeds ${maxBodyBytes} bytes` }),
          { Connection: "close" },
        );
      }
      if (lifetime.signal.aborted || res.destroyed) return; // closing, or the client left mid-latency
      send(res, 500, STATUS_BODIES[500]?.body ?? "");
      log?.(`demo deployment error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  // Never let a client error (e.g. a reset mid-request) surface as an unhandled 'error' event.
  server.on("clientError", (_error, socket) => socket.destroy());
  // WebSocket upgrades: Convex's sync protocol on /api/<version>/sync, nothing else.
  server.on("upgrade", (req, socket, head) => {
    socket.on("error", () => socket.destroy());
    if (!sync.handleUpgrade(req, socket, head)) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const deployment: DemoDeployment = {
    url: `http://${urlHost}:${port}`,
    token: firstToken,
    meetings: meetingIds,
    world,
    injectFault(fault) {
      const remaining = fault.times ?? Number.POSITIVE_INFINITY;
      if (remaining > 0) faults.push({ fault: { ...fault }, remaining });
    },
    clearFaults() {
      faults = [];
    },
    get faults() {
      return faults.map(
        (f) => ({ ...f.fault, ...(Number.isFinite(f.remaining) ? { times: f.remaining } : {}) }) as DemoFault,
      );
    },
    acceptToken(token, userId = DEMO_USER_ID) {
      accepted.set(token, userId);
    },
    revokeToken(token) {
      accepted.delete(token);
    },
    get stats() {
      return { ...stats, byMeeting: { ...stats.byMeeting }, byFunction: { ...stats.byFunction } };
    },
    live,
    sync: {
      get stats() {
        return sync.stats;
      },
      dropConnections: () => sync.dropConnections(),
      setAccepting: (accepting) => sync.setAccepting(accepting),
    },
    resetStats() {
      stats.requests = 0;
      stats.queryRequests = 0;
      stats.byMeeting = {};
      stats.byFunction = {};
      stats.maxConcurrent = stats.inFlight;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        lifetime.abort(new Error("demo deployment closed"));
        live.close();
        sync.close();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
  return deployment;
}
