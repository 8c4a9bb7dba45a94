/**
 * The backend call's exchange (src/convex/exchange.ts): one POST read whole as text over undici's
 * dispatch, against a real HTTP server on loopback. What classify.ts and the size limits rely on,
 * as the fetch path gives it: headers sent, bodies decoded (every coding fetch decodes) and
 * limited in decoded bytes, error bodies cut at their limit, fetch's errors for a refused
 * connection, a cut body, an abort and a redirect; and the same exchange over a plain fetch.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifyBackendError } from "../src/convex/classify.js";
import { type ExchangeRequest, exchangeViaFetch } from "../src/convex/exchange.js";
import { createFastFetch } from "../src/convex/fetch.js";
import { routeServer } from "./helpers/routeServer.js";

const web = routeServer();
const { routes, seen } = web;
let base: string;

beforeAll(async () => {
  base = await web.start();
});

afterAll(async () => {
  await fastFetch.close();
  await web.close();
});

const fastFetch = createFastFetch();
const text = JSON.stringify({ status: "success", value: [{ name: "Ada" }, { name: "Grace" }] });
const WHOLE = { bytes: 1024 * 1024, truncate: false };

const request = (path: string, overrides: Partial<ExchangeRequest> = {}): ExchangeRequest => ({
  url: `${base}${path}`,
  headers: { "content-type": "application/json", authorization: "Bearer t" },
  body: '{"args":[{}]}',
  limit: () => WHOLE,
  ...overrides,
});
const exchange = (path: string, overrides: Partial<ExchangeRequest> = {}) =>
  fastFetch.exchange(request(path, overrides));
/** Both ways: undici's dispatch, and the same exchange over the fetch function. */
const bothWays = (path: string, overrides: Partial<ExchangeRequest> = {}) =>
  Promise.all([exchange(path, overrides), exchangeViaFetch(fastFetch, request(path, overrides))]);

describe("an exchange", () => {
  it("sends the body with the caller's headers and fetch's defaults, and reads status, headers and text", async () => {
    routes.set("/plain", (_req, res) => res.writeHead(201, { "x-a": ["1", "2"], "retry-after": "3" }).end(text));
    for (const answer of await bothWays("/plain")) {
      expect(answer.status).toBe(201);
      expect(answer.text).toBe(text);
      expect(answer.bytes).toBe(Buffer.byteLength(text));
      expect(answer.header("retry-after")).toBe("3");
      expect(answer.header("x-a")).toBe("1, 2");
      expect(answer.header("x-none")).toBeUndefined();
    }
    expect(seen.at(-1)).toMatchObject({ url: "/plain", body: '{"args":[{}]}' });
    expect(seen.at(-1)?.headers).toMatchObject({
      authorization: "Bearer t",
      "content-type": "application/json",
      accept: "*/*",
      "accept-encoding": "gzip, deflate",
    });
  });

  it("reads a body in many chunks, drops a leading byte-order mark, and an empty body is empty", async () => {
    routes.set("/chunks", (_req, res) => {
      res.writeHead(200);
      res.write("\ufeff");
      res.write("é".repeat(40_000));
      setTimeout(() => res.end("!"), 5);
    });
    for (const answer of await bothWays("/chunks")) {
      expect(answer.text).toBe(`${"é".repeat(40_000)}!`);
      expect(answer.bytes).toBe(3 + 80_001);
    }
    routes.set("/empty", (_req, res) => res.writeHead(204).end());
    for (const answer of await bothWays("/empty")) expect(answer.text).toBe("");
  });

  it("decodes gzip, deflate (zlib and raw), br and stacked codings", async () => {
    const encodings: Record<string, Buffer> = {
      gzip: gzipSync(text),
      "x-gzip": gzipSync(text),
      deflate: deflateSync(text),
      br: brotliCompressSync(text),
      "gzip, br": brotliCompressSync(gzipSync(text)),
    };
    for (const [encoding, bytes] of Object.entries(encodings)) {
      routes.set("/coded", (_req, res) =>
        res.writeHead(200, { "content-encoding": encoding, "content-length": bytes.length }).end(bytes),
      );
      for (const answer of await bothWays("/coded")) {
        expect(answer.text).toBe(text);
        expect(answer.bytes).toBe(Buffer.byteLength(text));
        expect(answer.header("content-encoding")).toBe(encoding);
      }
    }
    routes.set("/raw", (_req, res) => res.writeHead(200, { "content-encoding": "deflate" }).end(deflateRawSync(text)));
    expect((await exchange("/raw")).text).toBe(text);
    // An unknown coding is handed over undecoded, as fetch does.
    routes.set("/odd", (_req, res) => res.writeHead(200, { "content-encoding": "identity-ish" }).end("as is"));
    expect((await exchange("/odd")).text).toBe("as is");
  });

  it("limits decoded bytes: declared, streamed, and a small gzip body that inflates past the limit", async () => {
    const limit = { bytes: 64 * 1024, truncate: false };
    routes.set("/declared", (_req, res) => res.writeHead(200, { "content-length": 100_000 }).end("x".repeat(100_000)));
    routes.set("/streamed", (_req, res) => {
      res.writeHead(200);
      res.write("x".repeat(50_000));
      setTimeout(() => res.end("x".repeat(50_000)), 5);
    });
    const bomb = gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x20));
    routes.set("/bomb", (_req, res) =>
      res.writeHead(200, { "content-encoding": "gzip", "content-length": bomb.length }).end(bomb),
    );
    for (const path of ["/declared", "/streamed", "/bomb"]) {
      for (const outcome of await Promise.allSettled([
        exchange(path, { limit: () => limit }),
        exchangeViaFetch(fastFetch, request(path, { limit: () => limit })),
      ])) {
        expect(outcome.status, path).toBe("rejected");
        expect((outcome as PromiseRejectedResult).reason, path).toMatchObject({ name: "ResponseTooLarge" });
      }
    }
    // The connection is still good for the next call.
    expect((await exchange("/plain")).text).toBe(text);
  });

  it("keeps the first bytes of a body whose limit truncates (an error's text), plain or compressed", async () => {
    const cut = { bytes: 10, truncate: true };
    routes.set("/long-error", (_req, res) => res.writeHead(500).end("0123456789abcdef"));
    const bomb = gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x61));
    routes.set("/bomb-error", (_req, res) => res.writeHead(500, { "content-encoding": "gzip" }).end(bomb));
    for (const path of ["/long-error", "/bomb-error"]) {
      for (const answer of await bothWays(path, { limit: () => cut })) {
        expect(answer.status).toBe(500);
        expect(answer.bytes).toBe(10);
        expect(answer.text).toBe(path === "/long-error" ? "0123456789" : "aaaaaaaaaa");
      }
    }
  });

  it("asks for the limit by the answer's status", async () => {
    const asked: number[] = [];
    routes.set("/status", (_req, res) => res.writeHead(560).end(text));
    const answer = await exchange("/status", {
      limit: (status) => {
        asked.push(status);
        return WHOLE;
      },
    });
    expect(asked).toEqual([560]);
    expect(answer.status).toBe(560);
  });
});

describe("an exchange's failures, as fetch's", () => {
  it("a refused connection: TypeError('fetch failed') with the cause's code", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await fastFetch.exchange({ ...request("/"), url: `http://127.0.0.1:${port}/` }).catch((e) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe("fetch failed");
    expect(((error as Error).cause as { code?: string }).code).toBe("ECONNREFUSED");
    expect(classifyBackendError(error, { url: base, functionPath: "f", timeoutMs: 1000 })).toMatchObject({
      kind: "unreachable",
      transient: true,
    });
  });

  it("a body cut short: TypeError('terminated'), plain and compressed", async () => {
    routes.set("/cut", (_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("partial");
      setTimeout(() => res.destroy(), 5);
    });
    const zipped = gzipSync("x".repeat(100_000));
    routes.set("/cut-gzip", (_req, res) => {
      res.writeHead(200, { "content-encoding": "gzip", "content-length": String(zipped.length) });
      res.write(zipped.subarray(0, 50));
      setTimeout(() => res.destroy(), 5);
    });
    for (const path of ["/cut", "/cut-gzip"]) {
      const error = await exchange(path).catch((e: unknown) => e);
      expect(error, path).toBeInstanceOf(TypeError);
      expect((error as Error).message, path).toBe("terminated");
    }
  });

  it("an abort: the signal's reason, before the request and while waiting for the answer", async () => {
    const early = new AbortController();
    early.abort(new Error("early"));
    await expect(exchange("/plain", { signal: early.signal })).rejects.toThrow("early");
    routes.set("/slow", (_req, res) => setTimeout(() => res.end("late"), 2000));
    const late = new AbortController();
    const pending = exchange("/slow", { signal: late.signal });
    setTimeout(() => late.abort(new Error("gone")), 20);
    const started = Date.now();
    await expect(pending).rejects.toThrow("gone");
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("a redirect is refused, never followed, and classified as one", async () => {
    routes.set("/moved", (_req, res) => res.writeHead(307, { location: "/plain" }).end());
    const before = seen.length;
    for (const outcome of await Promise.allSettled([
      exchange("/moved"),
      exchangeViaFetch(fastFetch, request("/moved")),
    ])) {
      const error = (outcome as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(TypeError);
      expect(classifyBackendError(error, { url: base, functionPath: "f", timeoutMs: 1000 })).toMatchObject({
        kind: "redirected",
      });
    }
    expect(seen.slice(before).map((r) => r.url)).toEqual(["/moved", "/moved"]);
  });
});
