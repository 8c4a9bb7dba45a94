/**
 * Live subscriptions to Convex queries, shared. One `ConvexClient` (Convex's WebSocket sync
 * protocol) per caller key, one query subscription per (caller, function, args) however many
 * watchers follow it, closed `lingerMs` after its last watcher leaves (at once when that watcher
 * was cancelled), and every socket closed when its last subscription is.
 *
 * Each subscription holds the latest state (a value or a Failure) with a version that grows only
 * when the answer changes; watchers wait for a version newer than the one they saw, within their
 * own deadline and cancellation. When no WebSocket opens within `connectTimeoutMs` (a proxy
 * without WebSocket support, a deployment refusing upgrades) or the socket is down that long, the
 * subscription polls the HTTP query every `pollEveryMs` until the socket is back.
 *
 * Auth: the client gets the caller's token from the token source (and asks it for a fresh one when
 * the deployment rejects a token); its logger goes to our stderr logger at debug level, because in
 * stdio mode stdout is the MCP channel. Caps on watches and subscriptions, per caller and in total,
 * answer with a clear failure past them. `shutdown()` ends every watch at once and closes every
 * socket; the process hooks (SIGTERM/SIGINT, stdin end) call it before the transports drain.
 */
import { stableStringify } from "../convex/cache.js";
import { classifyBackendError } from "../convex/classify.js";
import type { CancelSignal } from "../core/cancel.js";
import { type Failure, type ResourceRef, ToolFailure } from "../core/failures.js";
import { log } from "../core/log.js";
import type { LiveSource } from "./source.js";
import { type ConvexClient, loadSyncClient } from "./syncClient.js";

export interface LiveLimits {
  /** Watches one caller may have open at once. */
  maxWatchesPerCaller: number;
  /** Watches open at once over all callers. */
  maxWatches: number;
  /** Distinct subscriptions (meetings) one caller may follow at once. */
  maxSubscriptionsPerCaller: number;
  /** Distinct subscriptions over all callers. */
  maxSubscriptions: number;
  /** How long a subscription stays open after its last watcher left (not cancelled). */
  lingerMs: number;
  /** Without an open WebSocket for this long, poll the HTTP query. */
  connectTimeoutMs: number;
  pollEveryMs: number;
}

export const DEFAULT_LIVE_LIMITS: LiveLimits = {
  maxWatchesPerCaller: 128,
  maxWatches: 1024,
  maxSubscriptionsPerCaller: 16,
  maxSubscriptions: 256,
  lingerMs: 15_000,
  connectTimeoutMs: 3_000,
  pollEveryMs: 2_000,
};

export type LiveVia = "subscription" | "polling";

export type LiveState =
  | { kind: "value"; value: unknown; version: number; at: number; via: LiveVia }
  | { kind: "failure"; failure: Failure; version: number; at: number; via: LiveVia };

export interface LiveLease {
  /** The latest state, or undefined before the first answer. */
  readonly state: LiveState | undefined;
  /**
   * Resolves with the first state newer than `afterVersion`, or with whatever is current when
   * `signal` aborts or the hub shuts down (so callers answer at once).
   */
  next(afterVersion: number, signal: CancelSignal): Promise<LiveState | undefined>;
  /** Called on every new state until released. */
  onState(listener: (state: LiveState) => void): () => void;
  /** Leaves the subscription. `cancelled`: the caller gave up, close it now if no one else follows it. */
  release(options?: { cancelled?: boolean }): void;
}

export interface WatchRequest {
  source: LiveSource;
  path: string;
  args: Record<string, unknown>;
  /** The document the subscription is about, for failure wording. */
  resource?: ResourceRef;
}

/** What a tool gets: the hub, bound to the caller (server.ts binds it per call). */
export interface LiveAccess {
  watch(path: string, args: Record<string, unknown>, options?: { resource?: ResourceRef }): LiveLease;
  /** True once the server began shutting down: answer with what you have. */
  readonly closing: boolean;
}

/** Binds `hub` to one caller's source. */
export function liveAccess(hub: LiveHub, source: () => LiveSource): LiveAccess {
  return {
    watch: (path, args, options) => {
      endWatchesOnShutdown(hub);
      return hub.watch({ source: source(), path, args, resource: options?.resource });
    },
    get closing() {
      return hub.closing;
    },
  };
}

export interface LiveStats {
  watches: number;
  subscriptions: number;
  sockets: number;
  /** Subscriptions answering from the HTTP fallback right now. */
  polling: number;
}

export interface LiveHub {
  /** Joins (or opens) the subscription; throws ToolFailure past a cap or after shutdown. */
  watch(request: WatchRequest): LiveLease;
  /** True once shutdown began: watches answer with what they have. */
  readonly closing: boolean;
  readonly stats: LiveStats;
  /** Ends every watch at once, then closes every subscription and socket. */
  shutdown(): Promise<void>;
}

interface Socket {
  key: string;
  source: LiveSource;
  client: ConvexClient | undefined;
  /** The client failed to load or construct: its subscriptions poll. */
  broken: boolean;
  connected: boolean;
  entries: Set<Entry>;
  authFailure: Failure | undefined;
  lastAuthError: string | undefined;
  stopConnectionState?: () => void;
}

interface Entry {
  key: string;
  callerKey: string;
  request: WatchRequest;
  socket: Socket;
  state: LiveState | undefined;
  json: string | undefined;
  version: number;
  waiters: Set<() => void>;
  listeners: Set<(state: LiveState) => void>;
  leases: number;
  unsubscribe?: () => void;
  fallbackTimer?: NodeJS.Timeout;
  lingerTimer?: NodeJS.Timeout;
  poll?: AbortController;
  closed: boolean;
}

const tooMany = (what: "watches" | "callerWatches" | "meetings" | "callerMeetings", limit: number) =>
  new ToolFailure({ kind: "limit_reached", what, limit });

export function createLiveHub(options: { limits?: Partial<LiveLimits>; now?: () => number } = {}): LiveHub {
  const limits: LiveLimits = { ...DEFAULT_LIVE_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;
  const sockets = new Map<string, Socket>();
  const entries = new Map<string, Entry>();
  const watchesByCaller = new Map<string, number>();
  let watches = 0;
  let closing = false;

  const count = (map: Map<string, number>, key: string, delta: number) => {
    const next = (map.get(key) ?? 0) + delta;
    if (next <= 0) map.delete(key);
    else map.set(key, next);
  };

  function setState(
    entry: Entry,
    next: { kind: "value"; value: unknown } | { kind: "failure"; failure: Failure },
    via: LiveVia,
  ) {
    if (entry.closed) return;
    const json = next.kind === "value" ? `v${JSON.stringify(next.value)}` : `f${JSON.stringify(next.failure)}`;
    if (json === entry.json && entry.state?.via === via) return;
    entry.json = json;
    entry.version += 1;
    entry.state =
      next.kind === "value"
        ? { kind: "value", value: next.value, version: entry.version, at: now(), via }
        : { kind: "failure", failure: next.failure, version: entry.version, at: now(), via };
    const state = entry.state;
    for (const wake of [...entry.waiters]) wake();
    for (const listener of [...entry.listeners]) {
      try {
        listener(state);
      } catch (error) {
        log("warn", `live listener failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  function classify(entry: Entry, error: unknown): Failure {
    if (error instanceof ToolFailure) return error.failure;
    return classifyBackendError(error, {
      url: entry.request.source.url,
      functionPath: entry.request.path,
      timeoutMs: limits.connectTimeoutMs,
      resource: entry.request.resource,
    });
  }

  // ---- polling fallback ----------------------------------------------------------------------

  function startPolling(entry: Entry): void {
    if (entry.closed || entry.poll || closing) return;
    const controller = new AbortController();
    entry.poll = controller;
    log("debug", `live: polling ${entry.request.path} over HTTP (no WebSocket)`);
    void (async () => {
      while (!controller.signal.aborted && !entry.closed) {
        try {
          const value = await entry.request.source.query(entry.request.path, entry.request.args, controller.signal);
          if (!controller.signal.aborted) setState(entry, { kind: "value", value }, "polling");
        } catch (error) {
          if (controller.signal.aborted) break;
          setState(entry, { kind: "failure", failure: classify(entry, error) }, "polling");
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, limits.pollEveryMs);
          timer.unref();
          controller.signal.addEventListener(
            "abort",
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
    })();
  }

  function stopPolling(entry: Entry): void {
    entry.poll?.abort();
    entry.poll = undefined;
  }

  /** Poll unless the socket is (or gets) connected within the connect timeout. */
  function armFallback(entry: Entry): void {
    clearTimeout(entry.fallbackTimer);
    if (entry.closed || entry.poll) return;
    entry.fallbackTimer = setTimeout(() => {
      entry.fallbackTimer = undefined;
      if (!entry.socket.connected || entry.socket.broken) startPolling(entry);
    }, limits.connectTimeoutMs);
    entry.fallbackTimer.unref();
  }

  // ---- sockets -------------------------------------------------------------------------------

  function socketFor(source: LiveSource): Socket {
    const existing = sockets.get(source.key);
    if (existing) return existing;
    const socket: Socket = {
      key: source.key,
      source,
      client: undefined,
      broken: source.tokens === undefined,
      connected: false,
      entries: new Set(),
      authFailure: undefined,
      lastAuthError: undefined,
    };
    sockets.set(source.key, socket);
    if (!socket.broken) void openClient(socket);
    return socket;
  }

  async function openClient(socket: Socket): Promise<void> {
    const tokens = socket.source.tokens;
    if (!tokens) return;
    try {
      const { ConvexClient, WebSocket } = await loadSyncClient();
      if (socket.entries.size === 0 || closing || sockets.get(socket.key) !== socket) return;
      const logLine =
        (level: string) =>
        (...parts: unknown[]) => {
          const text = parts.map((p) => (p instanceof Error ? p.message : String(p))).join(" ");
          if (/Failed to authenticate/i.test(text)) socket.lastAuthError = text;
          log("debug", `convex sync client ${level}: ${text.slice(0, 300)}`);
        };
      const client = new ConvexClient(socket.source.url, {
        webSocketConstructor: WebSocket as never,
        skipConvexDeploymentUrlCheck: true,
        unsavedChangesWarning: false,
        expectAuth: true,
        // Reuse the token until it nears expiry instead of asking the source again right away.
        initialAuthTokenReuse: true,
        // Its verbose lines are dropped (they quote the token's last characters); the rest go to our
        // stderr logger at debug level, redacted. Never stdout: in stdio mode that is the MCP channel.
        logger: { logVerbose: () => undefined, log: logLine("info"), warn: logLine("warn"), error: logLine("error") },
      } as ConstructorParameters<typeof ConvexClient>[1]);
      socket.client = client;
      let last: string | undefined;
      client.setAuth(
        async ({ forceRefreshToken }) => {
          try {
            const token = await tokens.get();
            if (!forceRefreshToken || token !== last) {
              last = token;
              return token;
            }
            // Rejected (or about to expire): a refreshing source may have a newer one.
            const fresh = await tokens.afterRejection(token);
            last = fresh ?? token;
            return last;
          } catch (error) {
            const failure = error instanceof ToolFailure ? error.failure : undefined;
            if (failure) socket.authFailure = failure;
            return null;
          }
        },
        (authenticated) => {
          if (authenticated) {
            socket.authFailure = undefined;
            return;
          }
          const detail = socket.lastAuthError?.match(/Failed to authenticate: "([^"]*)"/)?.[1];
          socket.authFailure ??= /expired/i.test(detail ?? "")
            ? { kind: "token_expired", detail, source: tokens.info }
            : { kind: "token_invalid", detail, source: tokens.info };
          for (const entry of socket.entries)
            setState(entry, { kind: "failure", failure: socket.authFailure }, "subscription");
        },
      );
      socket.stopConnectionState = client.subscribeToConnectionState((state) => {
        const connected = state.isWebSocketConnected;
        if (connected === socket.connected) return;
        socket.connected = connected;
        for (const entry of socket.entries) {
          if (connected) {
            clearTimeout(entry.fallbackTimer);
            entry.fallbackTimer = undefined;
          } else armFallback(entry);
        }
      });
      for (const entry of socket.entries) subscribe(entry);
    } catch (error) {
      socket.broken = true;
      log(
        "warn",
        `live: no WebSocket client (${error instanceof Error ? error.message : String(error)}); polling instead`,
      );
      for (const entry of socket.entries) startPolling(entry);
    }
  }

  function subscribe(entry: Entry): void {
    const client = entry.socket.client;
    if (!client || entry.unsubscribe || entry.closed) return;
    entry.unsubscribe = client.onUpdate(
      entry.request.path as never,
      entry.request.args as never,
      (value: unknown) => {
        // A socket that answers makes the fallback unnecessary.
        stopPolling(entry);
        setState(entry, { kind: "value", value }, "subscription");
      },
      (error: Error) => setState(entry, { kind: "failure", failure: classify(entry, error) }, "subscription"),
    );
  }

  function closeSocket(socket: Socket): void {
    if (sockets.get(socket.key) === socket) sockets.delete(socket.key);
    socket.stopConnectionState?.();
    const client = socket.client;
    socket.client = undefined;
    if (client) void client.close().catch(() => undefined);
  }

  // ---- subscriptions -------------------------------------------------------------------------

  function closeEntry(entry: Entry): void {
    if (entry.closed) return;
    entry.closed = true;
    entries.delete(entry.key);
    clearTimeout(entry.fallbackTimer);
    clearTimeout(entry.lingerTimer);
    stopPolling(entry);
    try {
      entry.unsubscribe?.();
    } catch {
      // The client may already be closed.
    }
    for (const wake of [...entry.waiters]) wake();
    entry.listeners.clear();
    entry.socket.entries.delete(entry);
    if (entry.socket.entries.size === 0) closeSocket(entry.socket);
  }

  function entryFor(request: WatchRequest): Entry {
    const callerKey = request.source.key;
    const key = `${callerKey}\u0000${request.path}\u0000${stableStringify(request.args)}`;
    const existing = entries.get(key);
    if (existing) {
      clearTimeout(existing.lingerTimer);
      existing.lingerTimer = undefined;
      return existing;
    }
    let mine = 0;
    for (const e of entries.values()) if (e.callerKey === callerKey) mine += 1;
    if (mine >= limits.maxSubscriptionsPerCaller) {
      throw tooMany("callerMeetings", limits.maxSubscriptionsPerCaller);
    }
    if (entries.size >= limits.maxSubscriptions) {
      throw tooMany("meetings", limits.maxSubscriptions);
    }
    const socket = socketFor(request.source);
    const entry: Entry = {
      key,
      callerKey,
      request,
      socket,
      state: undefined,
      json: undefined,
      version: 0,
      waiters: new Set(),
      listeners: new Set(),
      leases: 0,
      closed: false,
    };
    entries.set(key, entry);
    socket.entries.add(entry);
    if (socket.broken) startPolling(entry);
    else {
      subscribe(entry);
      if (!socket.connected) armFallback(entry);
    }
    if (socket.authFailure) setState(entry, { kind: "failure", failure: socket.authFailure }, "subscription");
    return entry;
  }

  function watch(request: WatchRequest): LiveLease {
    if (closing) throw new ToolFailure({ kind: "cancelled" });
    const callerKey = request.source.key;
    if ((watchesByCaller.get(callerKey) ?? 0) >= limits.maxWatchesPerCaller) {
      throw tooMany("callerWatches", limits.maxWatchesPerCaller);
    }
    if (watches >= limits.maxWatches) {
      throw tooMany("watches", limits.maxWatches);
    }
    const entry = entryFor(request);
    entry.leases += 1;
    watches += 1;
    count(watchesByCaller, callerKey, 1);
    let released = false;
    const mine = new Set<(state: LiveState) => void>();
    return {
      get state() {
        return entry.state;
      },
      next(afterVersion, signal) {
        if ((entry.state && entry.state.version > afterVersion) || signal.aborted || closing || entry.closed) {
          return Promise.resolve(entry.state);
        }
        return new Promise((resolve) => {
          const done = () => {
            entry.waiters.delete(done);
            signal.removeEventListener("abort", done);
            resolve(entry.state);
          };
          entry.waiters.add(done);
          signal.addEventListener("abort", done, { once: true });
        });
      },
      onState(listener) {
        mine.add(listener);
        entry.listeners.add(listener);
        return () => {
          mine.delete(listener);
          entry.listeners.delete(listener);
        };
      },
      release(releaseOptions = {}) {
        if (released) return;
        released = true;
        for (const listener of mine) entry.listeners.delete(listener);
        watches -= 1;
        count(watchesByCaller, callerKey, -1);
        entry.leases -= 1;
        if (entry.leases > 0 || entry.closed) return;
        // A failed subscription (a refused token, no access) is not kept: the next watch starts afresh.
        if (releaseOptions.cancelled || closing || limits.lingerMs <= 0 || entry.state?.kind === "failure") {
          return closeEntry(entry);
        }
        entry.lingerTimer = setTimeout(() => {
          if (entry.leases === 0) closeEntry(entry);
        }, limits.lingerMs);
        entry.lingerTimer.unref();
      },
    };
  }

  return {
    watch,
    get closing() {
      return closing;
    },
    get stats() {
      let polling = 0;
      for (const e of entries.values()) if (e.poll) polling += 1;
      return { watches, subscriptions: entries.size, sockets: sockets.size, polling };
    },
    async shutdown() {
      if (closing) return;
      closing = true;
      // Waiters answer first (with what they have), then everything closes.
      for (const entry of entries.values()) for (const wake of [...entry.waiters]) wake();
      await Promise.resolve();
      for (const entry of [...entries.values()]) closeEntry(entry);
      for (const socket of [...sockets.values()]) closeSocket(socket);
    },
  };
}

/**
 * Ends the hub's watches when the process is told to stop (SIGTERM/SIGINT) or its stdin ends (a
 * stdio client closing the session), before the transports wait for calls in flight. Installed
 * once, on the first watch. A signal nobody else handles keeps its default meaning: the process
 * re-raises it after the watches ended.
 */
export function endWatchesOnShutdown(hub: LiveHub): void {
  if (installed.has(hub)) return;
  installed.add(hub);
  const end = () => void hub.shutdown();
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const onSignal = () => {
      end();
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
  process.stdin.once("end", end);
}
const installed = new WeakSet<LiveHub>();
