/**
 * src/core/cancel.ts: the cheap controller-and-signal the backend plumbing uses instead of Node's
 * AbortController. It must behave as an AbortSignal does for everything connvo-mcp reads of one,
 * so each behaviour is checked against a real AbortController doing the same.
 */
import { describe, expect, it } from "vitest";
import { Cancel, type CancelSignal, toAbortSignal } from "../src/core/cancel.js";

type Made = { signal: CancelSignal; abort(reason?: unknown): void };
const makers: [string, () => Made][] = [
  ["Cancel", () => new Cancel() as unknown as Made & Cancel & { signal: Cancel }],
  ["AbortController", () => new AbortController()],
];
// A Cancel is its own signal.
const signalOf = (made: Made): CancelSignal => (made instanceof Cancel ? made : made.signal);

describe.each(makers)("%s", (_name, make) => {
  it("aborts once, with the reason given or an AbortError", () => {
    const a = make();
    const s = signalOf(a);
    expect(s.aborted).toBe(false);
    expect(() => s.throwIfAborted()).not.toThrow();
    const reason = new Error("first");
    a.abort(reason);
    a.abort(new Error("second"));
    expect(s.aborted).toBe(true);
    expect(s.reason).toBe(reason);
    expect(() => s.throwIfAborted()).toThrow("first");
    const b = make();
    b.abort();
    expect(signalOf(b).reason).toBeInstanceOf(DOMException);
    expect((signalOf(b).reason as DOMException).name).toBe("AbortError");
  });

  it("calls listeners at once, in order, once each; not removed ones, not ones added after", () => {
    const a = make();
    const s = signalOf(a);
    const seen: string[] = [];
    const one = () => seen.push("one");
    const two = () => seen.push(`two:${String((s.reason as Error).message)}`);
    const gone = () => seen.push("gone");
    s.addEventListener("abort", one, { once: true });
    s.addEventListener("abort", one, { once: true }); // the same listener twice counts once
    s.addEventListener("abort", gone);
    s.addEventListener("abort", two);
    s.removeEventListener("abort", gone);
    a.abort(new Error("why"));
    expect(seen).toEqual(["one", "two:why"]);
    a.abort(new Error("again"));
    s.addEventListener("abort", () => seen.push("late"));
    expect(seen).toEqual(["one", "two:why"]);
  });
});

describe("toAbortSignal", () => {
  it("returns a real AbortSignal as it is", () => {
    const controller = new AbortController();
    expect(toAbortSignal(controller.signal)).toBe(controller.signal);
  });

  it("follows a Cancel, aborted before or after it is asked for, with the same reason", () => {
    const later = new Cancel();
    const web = toAbortSignal(later);
    expect(web).toBeInstanceOf(AbortSignal);
    expect(toAbortSignal(later)).toBe(web);
    expect(web.aborted).toBe(false);
    const reason = new Error("deadline");
    later.abort(reason);
    expect(web.aborted).toBe(true);
    expect(web.reason).toBe(reason);
    const before = new Cancel();
    before.abort(reason);
    expect(toAbortSignal(before).reason).toBe(reason);
  });

  it("follows any other CancelSignal", () => {
    const inner = new Cancel();
    const wrapped: CancelSignal = {
      get aborted() {
        return inner.aborted;
      },
      get reason() {
        return inner.reason;
      },
      throwIfAborted: () => inner.throwIfAborted(),
      addEventListener: (type, listener) => inner.addEventListener(type, listener),
      removeEventListener: (type, listener) => inner.removeEventListener(type, listener),
    };
    const web = toAbortSignal(wrapped);
    inner.abort(new Error("x"));
    expect(web.aborted).toBe(true);
    expect((web.reason as Error).message).toBe("x");
  });
});
