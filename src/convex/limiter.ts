/**
 * A cap on concurrent backend requests. Convex limits a deployment's concurrent queries (16 on the
 * free plan) and answers 429 past it; queueing here, first come first served, keeps one busy agent
 * from using up the whole deployment's budget. Waiting callers leave the queue when their signal
 * aborts (deadline or cancellation), so queueing never outlives a call's deadline.
 */
import type { CancelSignal } from "../core/cancel.js";

export interface Limiter {
  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal?: CancelSignal): Promise<() => void>;
  readonly active: number;
  readonly queued: number;
}

export function createLimiter(max: number): Limiter {
  if (!Number.isInteger(max) || max < 1) throw new RangeError("limiter max must be a positive integer");
  let active = 0;
  const waiting: Array<{ grant: () => void }> = [];

  const releaser = () => {
    let released = false;
    return () => {
      if (released) return; // a double release must not free someone else's slot
      released = true;
      const next = waiting.shift();
      if (next)
        next.grant(); // hand the slot over directly: `active` stays the same
      else active -= 1;
    };
  };

  return {
    get active() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
    acquire(signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (active < max) {
        active += 1;
        return Promise.resolve(releaser());
      }
      return new Promise((resolve, reject) => {
        const entry = {
          grant: () => {
            signal?.removeEventListener("abort", onAbort);
            resolve(releaser());
          },
        };
        const onAbort = () => {
          const index = waiting.indexOf(entry);
          if (index >= 0) waiting.splice(index, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        waiting.push(entry);
      });
    },
  };
}
