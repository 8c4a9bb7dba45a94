/**
 * classifyBackendError against the error shapes Convex, undici and our fetch wrapper really
 * produce, and the retry rules that depend on the result. Wording is checked only where this
 * issue added it (attempts, size limit); tools/failures.ts owns the rest.
 */
import { ConvexError } from "convex/values";
import { describe, expect, it } from "vitest";
import { ResponseTooLarge } from "../src/convex/bodyLimit.js";
import {
  type ClassifyContext,
  classifyBackendError,
  HttpStatusError,
  parseRetryAfter,
} from "../src/convex/classify.js";
import { DeadlineExceeded } from "../src/convex/client.js";
import { isRetryable } from "../src/convex/retry.js";
import type { Failure } from "../src/core/failures.js";
import { failureMessage } from "../src/present/failureText.js";

const ctx: ClassifyContext = {
  url: "https://connvo-prod.convex.cloud",
  functionPath: "meetings/webrtc/index:getActiveSessions",
  timeoutMs: 10_000,
  resource: { table: "meetings", id: "m123" },
};
const classify = (error: unknown, extra: Partial<ClassifyContext> = {}) =>
  classifyBackendError(error, { ...ctx, ...extra });
const http = (status: number, body = "", retryAfter?: string) => new HttpStatusError(status, body, retryAfter);
const networkError = (code: string, message = "fetch failed") =>
  new TypeError(message, { cause: Object.assign(new Error(code), { code }) });

describe("HTTP statuses", () => {
  it("401: expired vs invalid, with Convex's own text", () => {
    const expired = http(
      401,
      JSON.stringify({ code: "InvalidAuthHeader", message: "Could not validate token: Token expired 81 seconds ago" }),
    );
    expect(classify(expired)).toEqual({ kind: "token_expired", detail: "Token expired 81 seconds ago" });
    expect(
      classify(http(401, JSON.stringify({ code: "InvalidAuthHeader", message: "Could not decode token" }))),
    ).toMatchObject({
      kind: "token_invalid",
    });
    expect(classify(http(401, "not json"))).toMatchObject({ kind: "token_invalid" });
  });

  it("429 (rate limit and Convex's concurrency limit) and 502/503/504 are retryable, with Retry-After", () => {
    const concurrency = JSON.stringify({
      code: "TooManyConcurrentRequests",
      message: "Too many concurrent requests. Your backend is limited to 16 concurrent queries.",
    });
    const limited = classify(http(429, concurrency));
    expect(limited).toEqual({ kind: "rate_limited", retryAfterSec: undefined });
    expect(classify(http(429, "", "7"))).toEqual({ kind: "rate_limited", retryAfterSec: 7 });
    for (const status of [502, 503, 504]) {
      const f = classify(http(status, "", "2"));
      expect(f).toEqual({ kind: "unavailable", status, url: ctx.url, retryAfterSec: 2 });
      expect(isRetryable(f)).toBe(true);
    }
    expect(isRetryable(limited)).toBe(true);
  });

  it("500 and others are not retried; 404 means the function is missing", () => {
    const f = classify(http(500, JSON.stringify({ code: "InternalServerError", message: "Try again later." })));
    expect(f).toEqual({ kind: "backend_error", url: ctx.url, status: 500, code: "InternalServerError" });
    expect(isRetryable(f)).toBe(false);
    expect(classify(http(404))).toMatchObject({ kind: "function_missing" });
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("3")).toBe(3);
    expect(parseRetryAfter("0.2")).toBe(1);
    expect(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1))).toBe(10);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter("-1")).toBeUndefined();
  });
});

describe("Connvo's ConvexError codes", () => {
  it.each([
    ["UNAUTHORIZED", "unauthorized", false],
    ["FORBIDDEN", "forbidden", false],
    ["INSUFFICIENT_PERMISSIONS", "forbidden", false],
    ["MEETING_NOT_FOUND", "not_found", false],
    ["NOT_FOUND", "not_found", false],
    ["VALIDATION_ERROR", "backend_validation", false],
    ["RATE_LIMIT_EXCEEDED", "rate_limited", true],
    ["SOMETHING_NEW", "backend_error", false],
  ] as const)("%s → %s (retryable: %s)", (code, kind, retryable) => {
    const f = classify(new ConvexError({ code, message: "m" }));
    expect(f.kind).toBe(kind);
    expect(isRetryable(f)).toBe(retryable);
  });

  it("RATE_LIMIT_EXCEEDED carries Connvo's retryAfter (ms) as seconds", () => {
    expect(classify(new ConvexError({ code: "RATE_LIMIT_EXCEEDED", message: "m", retryAfter: 1500 }))).toEqual({
      kind: "rate_limited",
      retryAfterSec: 2,
    });
  });
});

describe("network, size and shape", () => {
  it("transient network errors are retryable; a host that does not exist is not", () => {
    expect(classify(networkError("ECONNREFUSED"))).toEqual({
      kind: "unreachable",
      url: ctx.url,
      cause: "connection refused",
      transient: true,
    });
    expect(classify(networkError("UND_ERR_SOCKET", "terminated"))).toMatchObject({
      cause: "connection closed mid-response",
      transient: true,
    });
    expect(classify(networkError("ECONNRESET"))).toMatchObject({ transient: true });
    const dns = classify(networkError("ENOTFOUND"));
    expect(dns).toMatchObject({ cause: "host name not found", transient: false });
    expect(isRetryable(dns)).toBe(false);
    expect(isRetryable(classify(networkError("CERT_HAS_EXPIRED")))).toBe(false);
    expect(classify(new TypeError("fetch failed"))).toMatchObject({ cause: "network error", transient: true });
  });

  it("an answer over the size limit, malformed JSON, and a body without status", () => {
    expect(classify(new ResponseTooLarge(1024))).toEqual({
      kind: "response_too_large",
      url: ctx.url,
      limitBytes: 1024,
    });
    expect(classify(new SyntaxError("Unexpected end of JSON input"))).toMatchObject({
      kind: "bad_response",
      what: /not valid JSON/,
    });
    expect(classify(new Error('Invalid response: {"value":1}'))).toMatchObject({ kind: "bad_response" });
  });

  it("an abort is a timeout or a cancellation, whatever the error was", () => {
    expect(classify(networkError("ECONNRESET"), { aborted: new DeadlineExceeded(10_000) })).toMatchObject({
      kind: "timeout",
    });
    expect(classify(new Error("x"), { aborted: new Error("client cancelled") })).toEqual({ kind: "cancelled" });
  });
});

describe("wording added for resilience", () => {
  it("says how many attempts were made and what the size limit is", () => {
    const cases: Array<[Failure, RegExp]> = [
      [{ kind: "unavailable", status: 503, url: ctx.url, attempts: 4 }, /\(HTTP 503\).*tried 4 times/],
      [{ kind: "unavailable", status: 503, url: ctx.url, retryAfterSec: 30 }, /Try again in 30 s/],
      [{ kind: "rate_limited", retryAfterSec: 7, attempts: 1 }, /Wait 7 s/],
      [
        { kind: "unreachable", url: ctx.url, cause: "connection refused", attempts: 3 },
        /connection refused.*tried 3 times/,
      ],
      [
        { kind: "response_too_large", url: ctx.url, limitBytes: 8 * 1024 * 1024 },
        /larger than 8 MB.*CONNVO_MAX_RESPONSE_BYTES/,
      ],
      [{ kind: "timeout", url: ctx.url, timeoutMs: 1500 }, /within 1\.5 s.*retries/],
    ];
    for (const [failure, pattern] of cases) expect(failureMessage(failure)).toMatch(pattern);
    expect(failureMessage({ kind: "rate_limited", attempts: 1 })).not.toMatch(/tried/);
  });
});

describe("what really happened (issue 11)", () => {
  it("a redirect (fetch with redirect: error) is a redirect, not a network error, and is not retried", () => {
    const error = new TypeError("fetch failed", { cause: new Error("unexpected redirect") });
    const f = classify(error);
    expect(f).toEqual({ kind: "redirected", url: ctx.url });
    expect(isRetryable(f)).toBe(false);
    expect(failureMessage(f)).toMatch(/answered with a redirect.*never sent anywhere else/);
  });

  it("'[Request ID: X] Server Error' without ConvexError data is function_failed, with the detail and no stack", () => {
    const f = classify(
      new Error(
        "[Request ID: 9a8b7c6d5e4f3a2b] Server Error\nReturnsValidationError: Value does not match validator.\n    at handler (../convex/x.ts:1:2)",
      ),
    );
    expect(f).toEqual({
      kind: "function_failed",
      url: ctx.url,
      functionPath: ctx.functionPath,
      detail: "ReturnsValidationError: Value does not match validator.",
    });
    expect(isRetryable(f)).toBe(false);
    expect(classify(new Error("[Request ID: 1] Server Error"))).toEqual({
      kind: "function_failed",
      url: ctx.url,
      functionPath: ctx.functionPath,
    });
    // Argument validation and a missing function keep their own kinds.
    expect(classify(new Error("[Request ID: 1] Server Error\nArgumentValidationError: x"))).toMatchObject({
      kind: "backend_validation",
    });
    expect(classify(new Error("[Request ID: 1] Server Error\nCould not find public function for 'a:b'"))).toMatchObject(
      {
        kind: "function_missing",
      },
    );
  });

  it("tokens that cannot or must not be sent have wording that says no request was sent", () => {
    expect(failureMessage({ kind: "token_placeholder" })).toMatch(/placeholder.*no request was sent/);
    expect(failureMessage({ kind: "token_unsendable", problem: "non_ascii", position: 3, codePoint: 0x201c })).toMatch(
      /outside printable ASCII \(U\+201C\) at position 4.*no request was sent/,
    );
    expect(failureMessage({ kind: "token_unsendable", problem: "control", position: 0, codePoint: 10 })).toMatch(
      /line break or control character at position 1/,
    );
  });
});
