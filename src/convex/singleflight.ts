/**
 * Shared calls: concurrent identical calls (the key says what "identical" means) share one
 * execution of `work`. Each caller waits with its own signal (its own deadline and MCP
 * cancellation); a caller that leaves stops waiting but does not disturb the others. Only when
 * every caller has left is the shared work aborted, so nobody's backend request keeps running
 * for no one.
 */
import { Cancel, type CancelSignal } from "../core/cancel.js";

export interface Flight {
  /** Aborted when every caller waiting for this flight has left. */
  readonly signal: CancelSignal;
  /** The latest deadline among the callers waiting (a later joiner extends it). */
  deadlineAt(): number;
}

export interface SingleFlight<T> {
  run(key: string, signal: CancelSignal, deadlineAt: number, work: (flight: Flight) => Promise<T>): Promise<T>;
  /** Flights currently running (for tests and diagnostics). */
  readonly size: number;
}

interface Entry<T> {
  controller: Cancel;
  waiters: number;
  deadlineAt: number;
  promise: Promise<T>;
}

export function createSingleFlight<T>(): SingleFlight<T> {
  const flights = new Map<string, Entry<T>>();

  function start(key: string, deadlineAt: number, work: (flight: Flight) => Promise<T>): Entry<T> {
    const controller = new Cancel();
    const entry = { controller, waiters: 0, deadlineAt } as Entry<T>;
    const flight: Flight = { signal: controller, deadlineAt: () => entry.deadlineAt };
    // `then` so that a synchronous throw in `work` becomes a rejection like any other.
    entry.promise = Promise.resolve()
      .then(() => work(flight))
      .finally(() => {
        if (flights.get(key) === entry) flights.delete(key);
      });
    // When every waiter has left, nobody handles the outcome; it must not become an unhandled rejection.
    entry.promise.catch(() => {});
    flights.set(key, entry);
    return entry;
  }

  return {
    get size() {
      return flights.size;
    },
    run(key, signal, deadlineAt, work) {
      if (signal.aborted) return Promise.reject(signal.reason);
      let entry = flights.get(key);
      if (entry) entry.deadlineAt = Math.max(entry.deadlineAt, deadlineAt);
      else entry = start(key, deadlineAt, work);
      const joined = entry;
      joined.waiters += 1;
      return new Promise<T>((resolve, reject) => {
        let left = false;
        const leave = () => {
          if (left) return false;
          left = true;
          joined.waiters -= 1;
          signal.removeEventListener("abort", onAbort);
          return true;
        };
        const onAbort = () => {
          if (!leave()) return;
          if (joined.waiters === 0) {
            // Forget it first so that a caller arriving now starts a fresh flight, not a dying one.
            if (flights.get(key) === joined) flights.delete(key);
            joined.controller.abort(signal.reason);
          }
          reject(signal.reason);
        };
        signal.addEventListener("abort", onAbort, { once: true });
        joined.promise.then(
          (value) => {
            if (leave()) resolve(value);
          },
          (error: unknown) => {
            if (leave()) reject(error);
          },
        );
      });
    },
  };
}
