/**
 * Convex's HTTP wire protocol as src/convex/attempt.ts speaks it (without ConvexHttpClient), against
 * a real HTTP server on loopback: what is sent (endpoint per kind, encoded args, headers) and how
 * answers are decoded, including the values only Convex's encoding carries (int64, bytes), which
 * must still go through convex's own decoder, and the `"$"` texts that merely look like them.
 */
import { ConvexError } from "convex/values";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { callOnce, hasQuotedDollar } from "../src/convex/attempt.js";
import { createFastFetch } from "../src/convex/fetch.js";
import { type HostileBackend, json, startHostileBackend, success, udfError } from "./helpers/hostileBackend.js";

let backend: HostileBackend;
const fetch = createFastFetch();
const TOKEN = "tok_wire_test_0123456789";

const call = (kind: "query" | "mutation" | "action", args: Record<string, unknown> = {}) =>
  callOnce({
    url: backend.url,
    token: TOKEN,
    kind,
    functionPath: "meetings/queries:getMeeting",
    args,
    signal: new AbortController().signal,
    fetch,
    maxResponseBytes: 1024 * 1024,
  });

beforeAll(async () => {
  backend = await startHostileBackend();
});
afterEach(() => backend.reset());
afterAll(async () => {
  await fetch.close();
  await backend.close();
});

describe("the Convex wire protocol without ConvexHttpClient", () => {
  it("sends each kind to its endpoint with Convex's encoding of the args and the bearer token", async () => {
    backend.respond = (_request, res) => success(res, { ok: true });
    for (const kind of ["query", "mutation", "action"] as const) {
      const answer = await call(kind, { meetingId: "m1", big: 5n, bytes: new Uint8Array([1, 2]).buffer });
      expect(answer.value).toEqual({ ok: true });
      expect(answer.bytes).toBeGreaterThan(10);
    }
    expect(backend.requests.map((r) => r.endpoint)).toEqual(["/api/query", "/api/mutation", "/api/action"]);
    const first = backend.requests[0];
    expect(first?.path).toBe("meetings/queries:getMeeting");
    expect(first?.authorization).toBe(`Bearer ${TOKEN}`);
    // convexToJson: an int64 and bytes travel as $integer / $bytes objects.
    expect(first?.args).toEqual({ meetingId: "m1", big: { $integer: "BQAAAAAAAAA=" }, bytes: { $bytes: "AQI=" } });
  });

  it("decodes encoded values with convex's decoder, and leaves plain answers as they are", async () => {
    backend.respond = (_request, res) =>
      success(res, { count: { $integer: "BQAAAAAAAAA=" }, raw: { $bytes: "AQI=" }, nan: { $float: "AAAAAAAA+H8=" } });
    const encoded = (await call("query")).value as { count: bigint; raw: ArrayBuffer; nan: number };
    expect(encoded.count).toBe(5n);
    expect([...new Uint8Array(encoded.raw)]).toEqual([1, 2]);
    expect(Number.isNaN(encoded.nan)).toBe(true);
    // A "$" inside a string is only text.
    backend.respond = (_request, res) => success(res, [{ title: '"$5 off" and $integer', n: 3 }]);
    expect((await call("query")).value).toEqual([{ title: '"$5 off" and $integer', n: 3 }]);
  });

  it("throws convex's ConvexError with decoded data for a function that threw with data, an Error without", async () => {
    backend.respond = (_request, res) =>
      udfError(res, "Uncaught ConvexError: nope", { code: "FORBIDDEN", at: { $integer: "AQAAAAAAAAA=" } });
    const withData = await call("query").catch((error: unknown) => error);
    expect(withData).toBeInstanceOf(ConvexError);
    expect((withData as { data: unknown }).data).toEqual({ code: "FORBIDDEN", at: 1n });
    backend.respond = (_request, res) => udfError(res, "[Request ID: abc] Server Error");
    const plain = await call("query").catch((error: unknown) => error);
    expect(plain).toBeInstanceOf(Error);
    expect(plain).not.toBeInstanceOf(ConvexError);
    expect((plain as Error).message).toBe("[Request ID: abc] Server Error");
  });

  it("reports an answer without a status, and a body that is not JSON, as such", async () => {
    backend.respond = (_request, res) => json(res, 200, { value: 1 });
    await expect(call("query")).rejects.toThrow(/^Invalid response: \{"value":1\}/);
    backend.respond = (_request, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "3" });
      res.end("<h1");
    };
    await expect(call("query")).rejects.toBeInstanceOf(SyntaxError);
  });
});

describe("hasQuotedDollar: what text.includes('\"$') says", () => {
  it("on hand-picked texts and on random ones", () => {
    const texts = [
      '{"a":{"$integer":"x"}}',
      '{"a":"$5"}',
      '{"a":"x $"}',
      "$",
      '"$',
      '$"',
      "",
      '"',
      '{"a":"\\"$"}',
      "a$$b",
      '""$',
    ];
    const alphabet = ['"', "$", "a", "\\", "{"];
    for (let i = 0; i < 2000; i++) {
      let text = "";
      for (let n = Math.floor(Math.random() * 12); n > 0; n--)
        text += alphabet[Math.floor(Math.random() * alphabet.length)];
      texts.push(text);
    }
    for (const text of texts) expect(hasQuotedDollar(text), text).toBe(text.includes('"$'));
  });
});
