/**
 * Retries for backend queries. Queries are read-only, so repeating one is safe; retrying is
 * still only worth it for failures that can go away by themselves: network errors, 502/503/504,
 * and 429 (which is also how Convex answers when a deployment's concurrent-query limit is hit).
 * Auth, permission, validation and "bad answer" failures would fail the same way again.
 *
 * Backoff is exponential with full jitter (a random delay in [0, cap)), so many clients that
 * failed together do not come back together; a `Retry-After` the backend sent is a floor. No
 * wait ever runs past the call's deadline: if the backend asks for more time than is left, the
 * call fails now with the rate-limit error that says how long to wait.
 */

import type { CancelSignal } from "../core/cancel.js";
import { type Failure, ToolFailure } from "../core/failures.js";
import type { Clock } from "./clock.js";

export interface RetryPolicy {
  /** Attempts in total, the first included; 1 disables retries. */
  maxAttempts: number;
  /** The backoff cap of the first retry; it doubles for each later one. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A retry is only started if at least this much time would be left for it. */
  minAttemptMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 150,
  maxDelayMs: 2000,
  minAttemptMs: 50,
};

export function isRetryable(failure: Failure): boolean {
  switch (failure.kind) {
    case "unavailable":
    case "rate_limited":
      return true;
    case "unreachable":
      return failure.transient === true;
    default:
      return false;
  }
}

/**
 * How long to wait before attempt `attempt + 1`, or undefined when the call should fail now with
 * `failure`. Pure, so its rules can be tested exhaustively.
 */
export function retryDelay(
  failure: Failure,
  attempt: number,
  remainingMs: number,
  policy: RetryPolicy,
  random: () => number,
): number | undefined {
  if (!isRetryable(failure) || attempt >= policy.maxAttempts) return undefined;
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.floor(random() * cap);
  const retryAfterSec = "retryAfterSec" in failure ? failure.retryAfterSec : undefined;
  const delay = retryAfterSec !== undefined ? Math.max(retryAfterSec * 1000, jittered) : jittered;
  return delay + policy.minAttemptMs <= remainingMs ? delay : undefined;
}

/** Records how many attempts a retryable failure took, for the message. */
export function withAttempts(failure: Failure, attempts: number): Failure {
  if (attempts <= 1) return failure;
  switch (failure.kind) {
    case "unavailable":
    case "unreachable":
    case "rate_limited":
      return { ...failure, attempts };
    default:
      return failure;
  }
}

export interface RetryOptions {
  policy: RetryPolicy;
  clock: Clock;
  /** Aborting it ends the loop at once (the error is rethrown as is, for the caller to classify). */
  signal: CancelSignal;
  /** Read before each wait: a shared call's deadline can grow when a later caller joins. */
  deadlineAt: () => number;
  classify: (error: unknown) => Failure;
  onRetry?: (failure: Failure, attempt: number, delayMs: number) => void;
}

/** Runs `attempt` until it succeeds or `retryDelay` says stop; then throws a ToolFailure. */
export async function withRetries<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, clock, signal } = options;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (signal.aborted) throw error;
      const failure = options.classify(error);
      const delay = retryDelay(failure, n, options.deadlineAt() - clock.now(), policy, clock.random);
      if (delay === undefined) throw new ToolFailure(withAttempts(failure, n));
      options.onRetry?.(failure, n, delay);
      await clock.sleep(delay, signal);
    }
  }
}
