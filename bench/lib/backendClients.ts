/**
 * Ways to make one getActiveSessions call to the deployment, cheapest first: the round-trip
 * figure measures each in this process and from a child process (bench/floor/roundtrip-child.ts),
 * and the per-call figure uses the direct clients as its floors.
 *
 * The fetch implementations compared under ConvexHttpClient (which takes a `fetch` option):
 * connvo-mcp's (src/convex/fetch.ts: undici's request() behind fetch's signature), a fetch written
 * on node:http with a keep-alive Agent (the alternative the choice was measured against),
 * undici's own fetch over a tuned keep-alive Agent, and Node 20's global fetch.
 */
import http from "node:http";
import axios from "axios";
import { ConvexHttpClient } from "convex/browser";
import { Agent, fetch as undiciFetch, request as undiciRequest } from "undici";
import { callOnce } from "../../src/convex/attempt.js";
import { createFastFetch } from "../../src/convex/fetch.js";
import { rawHttp } from "./rawHttp.js";

export const FUNCTION_PATH = "meetings/webrtc/index:getActiveSessions";

export interface BackendTarget {
  url: string;
  token: string;
  meetingId: string;
}

export type Call = () => Promise<unknown>;

export interface ClientSubject {
  id: string;
  label: string;
  make(target: BackendTarget): { call: Call; close(): void };
}

/** A fetch on node:http with a keep-alive Agent: the body is read, then wrapped in a Response. */
function nodeHttpFetch(agent: http.Agent): typeof fetch {
  return ((input: string | URL, init: RequestInit = {}) =>
    new Promise<Response>((resolve, reject) => {
      const req = http.request(
        String(input),
        {
          method: init.method ?? "GET",
          headers: init.headers as http.OutgoingHttpHeaders,
          agent,
          signal: init.signal ?? undefined,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("error", reject);
          res.on("end", () =>
            resolve(
              new Response(Buffer.concat(chunks), {
                status: res.statusCode,
                statusText: res.statusMessage,
                headers: res.headers as Record<string, string>,
              }),
            ),
          );
        },
      );
      req.on("error", reject);
      req.end(init.body as string | undefined);
    })) as typeof fetch;
}

function convexClient(target: BackendTarget, fetchImpl: typeof fetch | undefined) {
  const client = new ConvexHttpClient(target.url, {
    logger: false,
    skipConvexDeploymentUrlCheck: true,
    fetch: fetchImpl,
  });
  client.setAuth(target.token);
  const args = { meetingId: target.meetingId };
  return () => client.query(FUNCTION_PATH as never, args as never);
}

const queryBody = (target: BackendTarget) =>
  JSON.stringify({ path: FUNCTION_PATH, format: "convex_encoded_json", args: [{ meetingId: target.meetingId }] });

export const CLIENT_SUBJECTS: ClientSubject[] = [
  {
    id: "raw socket",
    label: "raw persistent TCP socket, hand-written HTTP/1.1",
    make(target) {
      const raw = rawHttp(target.url, { Authorization: `Bearer ${target.token}` });
      const body = queryBody(target);
      return { call: async () => JSON.parse(await raw.post("/api/query", body)), close: () => raw.close() };
    },
  },
  {
    id: "undici.request",
    label: "undici request() over a keep-alive Agent",
    make(target) {
      const agent = new Agent({ keepAliveTimeout: 30_000 });
      const body = queryBody(target);
      const headers = { "content-type": "application/json", authorization: `Bearer ${target.token}` };
      const url = `${target.url}/api/query`;
      return {
        call: async () => (await undiciRequest(url, { method: "POST", headers, body, dispatcher: agent })).body.json(),
        close: () => void agent.close(),
      };
    },
  },
  {
    id: "node:http",
    label: "node:http with a keep-alive Agent",
    make(target) {
      const agent = new http.Agent({ keepAlive: true });
      const body = queryBody(target);
      const headers = { "content-type": "application/json", authorization: `Bearer ${target.token}` };
      const url = `${target.url}/api/query`;
      return {
        call: () =>
          new Promise((resolve, reject) => {
            const req = http.request(url, { method: "POST", headers, agent }, (res) => {
              let text = "";
              res.setEncoding("utf8");
              res.on("data", (chunk: string) => {
                text += chunk;
              });
              res.on("end", () => resolve(JSON.parse(text)));
            });
            req.on("error", reject);
            req.end(body);
          }),
        close: () => agent.destroy(),
      };
    },
  },
  {
    id: "connvo-mcp call",
    label: "connvo-mcp's backend call (src/convex/attempt.ts: Convex's wire protocol over its fetch)",
    make(target) {
      const fast = createFastFetch();
      const args = { meetingId: target.meetingId };
      const signal = new AbortController().signal;
      const call = async () =>
        (
          await callOnce({
            url: target.url,
            token: target.token,
            kind: "query",
            functionPath: FUNCTION_PATH,
            args,
            signal,
            fetch: fast,
            maxResponseBytes: 8 * 1024 * 1024,
          })
        ).value;
      return { call, close: () => void fast.close() };
    },
  },
  {
    id: "CHC + connvo-mcp fetch",
    label: "ConvexHttpClient + connvo-mcp's fetch (undici request(), src/convex/fetch.ts)",
    make(target) {
      const fast = createFastFetch();
      return { call: convexClient(target, fast), close: () => void fast.close() };
    },
  },
  {
    id: "CHC + node:http fetch",
    label: "ConvexHttpClient + a fetch on node:http (keep-alive Agent)",
    make(target) {
      const agent = new http.Agent({ keepAlive: true });
      return { call: convexClient(target, nodeHttpFetch(agent)), close: () => agent.destroy() };
    },
  },
  {
    id: "CHC + undici fetch",
    label: "ConvexHttpClient + undici's fetch over a keep-alive Agent",
    make(target) {
      const agent = new Agent({ keepAliveTimeout: 30_000 });
      const f = ((input: string, init?: RequestInit) =>
        undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch;
      return { call: convexClient(target, f), close: () => void agent.close() };
    },
  },
  {
    id: "CHC + Node fetch",
    label: "ConvexHttpClient + Node 20's global fetch (connvo-mcp before)",
    make(target) {
      return { call: convexClient(target, undefined), close: () => {} };
    },
  },
  {
    id: "axios",
    label: "axios (the peer's HTTP client), keep-alive Agent",
    make(target) {
      const agent = new http.Agent({ keepAlive: true });
      const client = axios.create({ httpAgent: agent });
      const body = queryBody(target);
      const headers = { "content-type": "application/json", authorization: `Bearer ${target.token}` };
      const url = `${target.url}/api/query`;
      return { call: async () => (await client.post(url, body, { headers })).data, close: () => agent.destroy() };
    },
  },
];
