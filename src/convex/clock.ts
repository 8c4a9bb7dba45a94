/**
 * Time and randomness behind an interface, so retry and cache logic can be unit-tested with a
 * fake clock instead of real sleeps and Math.random.
 */
import type { CancelSignal } from "../core/cancel.js";

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
  sleep(ms: number, signal?: CancelSignal): Promise<void>;
  /** Uniform in [0, 1), as Math.random. */
  random(): number;
}

export function abortableSleep(ms: number, signal?: CancelSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export const systemClock: Clock = { now: Date.now, sleep: abortableSleep, random: Math.random };

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts. The promise
 * keeps running (it may be shared with other callers); only this caller stops waiting for it.
 */
export function untilAborted<T>(promise: Promise<T>, signal: CancelSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
