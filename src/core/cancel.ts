/**
 * Cancellation inside connvo-mcp. Every backend call needs a few cancellation signals (the
 * request's, its deadline's, a shared call's), and on Node 20 each `AbortSignal` costs ~5 µs to
 * make (its EventTarget machinery) and ~0.5 µs per listener: ~30 µs of CPU a call, the largest
 * single item of a stdio call's profile after the backend's own HTTP client (bench/NOTES.md).
 *
 * `CancelSignal` is what connvo-mcp's code reads of a signal (a real AbortSignal is one, so the
 * SDK's request signals and tests' signals are passed as they are); `Cancel` is a controller and
 * its signal in one object, for a few dozen nanoseconds. Where an API needs a real AbortSignal
 * (fetch), `toAbortSignal` makes one that follows it.
 */

export interface CancelSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  throwIfAborted(): void;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

export class Cancel implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Array<() => void> | undefined;
  private web: AbortController | undefined;

  /** As AbortController.abort: once; the reason defaults to an AbortError; listeners run at once, in order. */
  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    this.web?.abort(this.reason);
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        listener.call(this);
      } catch (error) {
        // As an EventTarget does: the other listeners still run; the error is thrown on its own.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  /** Like a signal's "abort" listener: called once, never after the abort happened (as there is no second). */
  addEventListener(_type: "abort", listener: () => void): void {
    if (this.aborted) return;
    if (!this.listeners) this.listeners = [listener];
    else if (!this.listeners.includes(listener)) this.listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const listeners = this.listeners;
    if (!listeners) return;
    const at = listeners.indexOf(listener);
    if (at >= 0) listeners.splice(at, 1);
  }

  /** A real AbortSignal that aborts with this (made once, when first asked for). */
  get abortSignal(): AbortSignal {
    if (!this.web) {
      this.web = new AbortController();
      if (this.aborted) this.web.abort(this.reason);
    }
    return this.web.signal;
  }
}

/** `signal` as a real AbortSignal, for APIs that need one. */
export function toAbortSignal(signal: CancelSignal): AbortSignal {
  if (signal instanceof AbortSignal) return signal;
  if (signal instanceof Cancel) return signal.abortSignal;
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
  return controller.signal;
}
