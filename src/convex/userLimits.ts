/**
 * A per-user share of the concurrency cap, for HTTP users who signed in with OAuth: each user may
 * hold at most `share` of the runtime's request slots at once (half the cap, at least one), so one
 * busy user cannot take every slot and leave the others waiting. A request first takes one of its
 * user's slots, then one of the server's (first come, first served, as before); both are given
 * back together. Users' limiters are made on first use and dropped once idle.
 *
 * Everything else of the runtime (shared calls, the result cache, fetch) stays shared: those are
 * already keyed by a hash of the Convex token, which is each user's own.
 */
import { createLimiter, type Limiter } from "./limiter.js";
import type { BackendRuntime } from "./runtime.js";

export function userShare(maxConcurrency: number): number {
  return Math.max(1, Math.ceil(maxConcurrency / 2));
}

export interface UserLimits {
  /** The runtime a user's backend uses: the shared one with this user's limiter in front. */
  runtimeFor(user: string): BackendRuntime;
  /** Users with requests in flight or waiting. */
  readonly users: number;
}

export function createUserLimits(
  runtime: BackendRuntime,
  share = userShare(runtime.limits.maxConcurrency),
): UserLimits {
  const byUser = new Map<string, { own: Limiter; holders: number }>();

  function limiterFor(user: string): Limiter {
    const server = runtime.limiter;
    const entry = () => byUser.get(user);
    const dropIfIdle = () => {
      const current = entry();
      if (current && current.holders === 0 && current.own.active === 0 && current.own.queued === 0) byUser.delete(user);
    };
    return {
      get active() {
        return entry()?.own.active ?? 0;
      },
      get queued() {
        return entry()?.own.queued ?? 0;
      },
      async acquire(signal) {
        const current = entry() ?? make(user);
        current.holders += 1;
        let releaseOwn: (() => void) | undefined;
        try {
          releaseOwn = await current.own.acquire(signal);
          const releaseServer = await server.acquire(signal);
          let released = false;
          return () => {
            if (released) return;
            released = true;
            releaseServer();
            releaseOwn?.();
            current.holders -= 1;
            dropIfIdle();
          };
        } catch (error) {
          releaseOwn?.();
          current.holders -= 1;
          dropIfIdle();
          throw error;
        }
      },
    };
  }

  function make(user: string) {
    const created = { own: createLimiter(share), holders: 0 };
    byUser.set(user, created);
    return created;
  }

  const runtimes = new Map<string, BackendRuntime>();
  return {
    runtimeFor(user) {
      // One runtime object per user while the user is active; the limiter looks its state up by name.
      let userRuntime = runtimes.get(user);
      if (!userRuntime) {
        userRuntime = { ...runtime, limiter: limiterFor(user) };
        runtimes.set(user, userRuntime);
        // Bounded: the runtime objects are cheap, but users come and go.
        if (runtimes.size > 10_000) runtimes.delete(runtimes.keys().next().value as string);
      }
      return userRuntime;
    },
    get users() {
      return byUser.size;
    },
  };
}
