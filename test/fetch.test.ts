/**
 * The backend's fetch (src/convex/fetch.ts): undici's request() behind fetch's signature. What
 * callers rely on is checked against a real HTTP server: the Response they get, decoded bodies
 * with the headers as received, fetch's errors (network, cut-off body, abort), redirects, and
 * that ConvexHttpClient and the size limit work through it.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from "node:zlib";
import { ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBodyLimited } from "../src/convex/bodyLimit.js";
import { classifyBackendError } from "../src/convex/classify.js";
import { createFastFetch } from "../src/convex/fetch.js";
import { routeServer } from "./helpers/routeServer.js";

const web = routeServer();
const { routes, seen } = web;
let base: string;

beforeAll(async () => {
  base = await web.start();
});

afterAll(async () => {
  await web.close();
});

const fastFetch = createFastFetch();
const json = { rows: [{ name: "Ada" }, { name: "Grace" }] };
const text = JSON.stringify(json);

describe("fast fetch: a Response as fetch gives it", () => {
  it("answers with status, headers, ok, and a body read once", async () => {
    routes.set("/plain", (_req, res) =>
      res
        .writeHead(201, "Made", { "x-a": "1", "content-type": "application/json", "content-length": text.length })
        .end(text),
    );
    const response = await fastFetch(`${base}/plain?q=1`, {
      method: "post",
      body: "hello",
      headers: { Authorization: "Bearer t" },
    });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe("Made");
    expect(response.ok).toBe(true);
    expect(response.headers.get("X-A")).toBe("1");
    expect(response.headers.get("content-length")).toBe(String(text.length));
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual(json);
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toBeInstanceOf(TypeError);
    const request = seen.at(-1);
    expect(request).toMatchObject({ url: "/plain?q=1", method: "POST", body: "hello" });
    // What fetch adds when the caller did not set it.
    expect(request?.headers).toMatchObject({
      authorization: "Bearer t",
      accept: "*/*",
      "accept-encoding": "gzip, deflate",
      "content-type": "text/plain;charset=UTF-8",
    });
  });

  it("streams the body as a web ReadableStream, and a Response can be made from its headers", async () => {
    routes.set("/stream", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("a".repeat(70_000));
      setTimeout(() => res.end("b"), 5);
    });
    const response = await fastFetch(`${base}/stream`);
    let size = 0;
    for await (const chunk of response.body as ReadableStream<Uint8Array>) size += chunk.byteLength;
    expect(size).toBe(70_001);
    expect(response.bodyUsed).toBe(true);
    const copy = new Response("x", { status: response.status, headers: response.headers });
    expect(copy.headers.get("content-type")).toBe("text/plain");
  });

  it("has no body for HEAD and 204", async () => {
    routes.set("/empty", (_req, res) => res.writeHead(204).end());
    const response = await fastFetch(`${base}/empty`);
    expect(response.body).toBeNull();
    expect(await response.text()).toBe("");
    const head = await fastFetch(`${base}/plain`, { method: "HEAD" });
    expect(head.body).toBeNull();
  });

  it("decodes gzip, deflate (zlib and raw), br and stacked codings, keeping the headers as received", async () => {
    const encodings: Record<string, Buffer> = {
      gzip: gzipSync(text),
      deflate: deflateSync(text),
      "x-gzip": gzipSync(text),
      br: brotliCompressSync(text),
      "gzip, br": brotliCompressSync(gzipSync(text)),
    };
    for (const [encoding, bytes] of Object.entries(encodings)) {
      routes.set("/coded", (_req, res) =>
        res.writeHead(200, { "content-encoding": encoding, "content-length": bytes.length }).end(bytes),
      );
      const response = await fastFetch(`${base}/coded`);
      expect(response.headers.get("content-encoding")).toBe(encoding);
      expect(response.headers.get("content-length")).toBe(String(bytes.length));
      expect(await response.json()).toEqual(json);
    }
    routes.set("/raw", (_req, res) => res.writeHead(200, { "content-encoding": "deflate" }).end(deflateRawSync(text)));
    expect(await (await fastFetch(`${base}/raw`)).text()).toBe(text);
    // An unknown coding is handed over undecoded, as fetch does.
    routes.set("/odd", (_req, res) => res.writeHead(200, { "content-encoding": "identity-ish" }).end("as is"));
    expect(await (await fastFetch(`${base}/odd`)).text()).toBe("as is");
  });

  it("lets a size limit count decoded bytes: a small gzip body that inflates past it is refused", async () => {
    const bomb = gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x20));
    routes.set("/bomb", (_req, res) =>
      res.writeHead(200, { "content-encoding": "gzip", "content-length": bomb.length }).end(bomb),
    );
    const response = await fastFetch(`${base}/bomb`);
    expect(Number(response.headers.get("content-length"))).toBeLessThan(64 * 1024);
    await expect(readBodyLimited(response, 1024 * 1024)).rejects.toMatchObject({ name: "ResponseTooLarge" });
  });
});

describe("fast fetch: fetch's failures", () => {
  it("rejects a refused connection with TypeError('fetch failed') and the cause's code", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await fastFetch(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe("fetch failed");
    expect(((error as Error).cause as { code?: string }).code).toBe("ECONNREFUSED");
    const failure = classifyBackendError(error, { url: base, functionPath: "f", timeoutMs: 1000 });
    expect(failure).toMatchObject({ kind: "unreachable", transient: true });
  });

  it("rejects a body cut short with TypeError('terminated')", async () => {
    routes.set("/cut", (_req, res) => {
      res.writeHead(200, { "content-length": "1000" });
      res.write("partial");
      setTimeout(() => res.destroy(), 5);
    });
    const response = await fastFetch(`${base}/cut`);
    const error = await response.text().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe("terminated");
    expect(classifyBackendError(error, { url: base, functionPath: "f", timeoutMs: 1000 })).toMatchObject({
      kind: "unreachable",
    });
  });

  it("rejects with the signal's reason, before the request and while waiting for the answer", async () => {
    const early = new AbortController();
    early.abort(new Error("early"));
    await expect(fastFetch(`${base}/plain`, { signal: early.signal })).rejects.toThrow("early");
    routes.set("/slow", (_req, res) => setTimeout(() => res.end("late"), 2000));
    const late = new AbortController();
    const pending = fastFetch(`${base}/slow`, { signal: late.signal });
    setTimeout(() => late.abort(new Error("gone")), 20);
    await expect(pending).rejects.toThrow("gone");
  });

  it("redirects: error rejects, manual hands the 3xx over, follow follows", async () => {
    routes.set("/moved", (_req, res) => res.writeHead(307, { location: "/plain" }).end());
    await expect(fastFetch(`${base}/moved`, { redirect: "error" })).rejects.toThrow("fetch failed");
    const manual = await fastFetch(`${base}/moved`, { redirect: "manual" });
    expect(manual.status).toBe(307);
    expect(manual.headers.get("location")).toBe("/plain");
    await manual.text();
    const followed = await fastFetch(`${base}/moved`, { method: "POST", body: "again" });
    expect(followed.status).toBe(201);
    expect(await followed.json()).toEqual(json);
    expect(seen.at(-1)).toMatchObject({ url: "/plain", method: "POST", body: "again" });
  });
});

describe("fast fetch under ConvexHttpClient", () => {
  it("carries a query and its answer", async () => {
    routes.set("/api/query", (_req, res, body) => {
      const request = JSON.parse(body) as { path: string; args: unknown[] };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "success", value: { path: request.path, args: request.args }, logLines: [] }));
    });
    const client = new ConvexHttpClient(base, { logger: false, skipConvexDeploymentUrlCheck: true, fetch: fastFetch });
    client.setAuth("token-for-the-test");
    const value = await client.query("meetings/x:get" as never, { id: "m1" } as never);
    expect(value).toEqual({ path: "meetings/x:get", args: [{ id: "m1" }] });
    expect(seen.at(-1)?.headers.authorization).toBe("Bearer token-for-the-test");
  });
});
