/**
 * Every user is themselves: two people signed in at once over HTTP (Alex Morgan and Priya Raman
 * of the demo world) each see only their own meetings, with the result cache on, with identical
 * concurrent calls, under load; per-user state (exchanged tokens, cache and shared calls keyed by
 * each user's own Convex token, a per-user share of the concurrency cap) keeps them apart.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import { createBackendProvider } from "../src/convex/provider.js";
import { createBackendRuntime } from "../src/convex/runtime.js";
import { createUserLimits, userShare } from "../src/convex/userLimits.js";
import type { CallerTokens } from "../src/core/identity.js";
import { startDemoDeployment } from "../src/demo/deployment.js";
import { PEOPLE } from "../src/demo/world/people.js";
import type { Era } from "./helpers/httpServer.js";
import { connectWithOAuth, type OAuthWorld, startOAuthWorld, TestOAuthProvider } from "./helpers/oauth.js";
import { expectNotParticipant, resultText } from "./helpers/results.js";
import { capturedLogLines } from "./setup/logs.js";

const LIST = "meetings/queries:listUserMeetings";

describe.each<Era>(["legacy", "modern"])("two users at once over HTTP (%s era)", (era) => {
  let w: OAuthWorld;
  beforeAll(async () => {
    w = await startOAuthWorld({ env: { CONNVO_CACHE_TTL_MS: "60000" } });
  });
  afterAll(async () => {
    await w.close();
  });

  it("each sees only their own meetings; Priya is refused Alex's private meeting; cache and shared calls never cross", async () => {
    const alexAuth = new TestOAuthProvider();
    const priyaAuth = new TestOAuthProvider("priya");
    const [alex, priya] = await Promise.all([
      connectWithOAuth(w.url, era, alexAuth),
      connectWithOAuth(w.url, era, priyaAuth),
    ]);
    try {
      w.demo.resetStats();
      const exchangesBefore = w.as.stats.exchanges;
      const list = (client: typeof alex.client) =>
        client.callTool({ name: "list_meetings", arguments: { when: "all", limit: 50 } }) as Promise<CallToolResult>;
      // 25 identical concurrent calls per user, interleaved.
      const calls = Array.from({ length: 50 }, (_, i) => list(i % 2 === 0 ? alex.client : priya.client));
      const results = await Promise.all(calls);
      // The same meetings in every answer of a user (the lead's "as of" time may differ).
      const titles = (result: CallToolResult) =>
        [...resultText(result).matchAll(/"title":"([^"]*)"/g)].map((m) => m[1]).join("|");
      const alexTexts = new Set(results.filter((_, i) => i % 2 === 0).map(titles));
      const priyaTexts = new Set(results.filter((_, i) => i % 2 === 1).map(titles));
      expect(alexTexts.size).toBe(1);
      expect(priyaTexts.size).toBe(1);
      const [alexText] = [...alexTexts] as [string];
      const [priyaText] = [...priyaTexts] as [string];
      expect(alexText).toContain("Acme Corp renewal call");
      expect(alexText).toContain("Weekly product sync");
      expect(priyaText).toContain("Weekly product sync");
      expect(priyaText).not.toContain("Acme Corp renewal call");
      expect(priyaText).not.toContain("Customer interview: Globex");
      expect(alexText).not.toContain("Board meeting (private)");
      // One request per user (shared, then cached), one exchange per user.
      expect(w.demo.stats.byFunction[LIST]).toBe(2);
      expect(w.as.stats.exchanges - exchangesBefore).toBe(2);

      const acme = w.demo.meetings.acmeRenewal as string;
      await expectNotParticipant(priya.client, acme);
      const alexOnAcme = (await alex.client.callTool({
        name: "get_meeting",
        arguments: { meetingId: acme },
      })) as CallToolResult;
      expect(alexOnAcme.isError).toBeFalsy();
      expect(resultText(alexOnAcme)).toContain("Acme Corp renewal call");
      const board = w.demo.meetings.forbidden as string;
      const alexOnBoard = (await alex.client.callTool({
        name: "get_meeting",
        arguments: { meetingId: board },
      })) as CallToolResult;
      expect(alexOnBoard.isError).toBe(true);

      const me = async (client: typeof alex.client) =>
        resultText((await client.callTool({ name: "get_person", arguments: {} })) as CallToolResult);
      expect(await me(alex.client)).toContain("Alex Morgan");
      expect(await me(priya.client)).toContain("Priya Raman");

      // Logs name users by a short hash, never a token or an email.
      const logs = capturedLogLines().join("");
      for (const secret of w.as.issued) expect(logs).not.toContain(secret);
      expect(logs).not.toMatch(/alex\.morgan@|priya\.raman@/);
    } finally {
      await alex.client.close();
      await priya.client.close();
    }
  });

  it("under load: 200 mixed calls from both users at once, every answer for the right person", async () => {
    const alex = await connectWithOAuth(w.url, era, new TestOAuthProvider());
    const priya = await connectWithOAuth(w.url, era, new TestOAuthProvider("priya-raman"));
    try {
      const acme = w.demo.meetings.acmeRenewal as string;
      const sync = w.demo.meetings.healthy as string;
      const jobs = Array.from({ length: 200 }, (_, i) => {
        const who = i % 2 === 0 ? "alex" : "priya";
        const client = who === "alex" ? alex.client : priya.client;
        const kind = i % 4 < 2 ? "acme" : "sync";
        return client
          .callTool({ name: "get_meeting", arguments: { meetingId: kind === "acme" ? acme : sync } })
          .then((result) => ({ who, kind, result: result as CallToolResult }));
      });
      for (const { who, kind, result } of await Promise.all(jobs)) {
        if (kind === "sync") {
          expect(result.isError).toBeFalsy();
          expect(resultText(result)).toContain("Weekly product sync");
        } else if (who === "alex") {
          expect(result.isError).toBeFalsy();
        } else {
          expect(result.isError).toBe(true);
          expect(resultText(result)).toMatch(/not a participant/);
        }
      }
    } finally {
      await alex.client.close();
      await priya.client.close();
    }
  });
});

describe("a per-user share of the concurrency cap", () => {
  it("one user holds at most half the slots; another user's request gets a free slot at once", async () => {
    const runtime = createBackendRuntime({ limits: { maxConcurrency: 4 } });
    const users = createUserLimits(runtime);
    expect(userShare(4)).toBe(2);
    const a = users.runtimeFor("u_alex").limiter;
    const b = users.runtimeFor("u_priya").limiter;
    const held: Array<() => void> = [];
    let granted = 0;
    const waiting = Array.from({ length: 10 }, () =>
      a.acquire().then((release) => {
        granted += 1;
        held.push(release);
      }),
    );
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    await tick();
    expect(granted).toBe(2);
    expect(runtime.limiter.active).toBe(2);
    expect(a.queued).toBe(8);
    const releaseB = await b.acquire(); // not behind Alex's eight
    expect(runtime.limiter.active).toBe(3);
    releaseB();
    while (granted < 10) {
      held.shift()?.();
      await tick();
      expect(a.active).toBeLessThanOrEqual(2);
      expect(runtime.limiter.active).toBeLessThanOrEqual(2);
    }
    for (const release of held.splice(0)) release();
    await Promise.all(waiting);
    expect(runtime.limiter.active).toBe(0);
    expect(users.users).toBe(0); // idle users' limiters are dropped
  });

  it("the cap of 1 still serves everyone, one at a time; a waiting call leaves when its signal aborts", async () => {
    const runtime = createBackendRuntime({ limits: { maxConcurrency: 1 } });
    const users = createUserLimits(runtime);
    const release = await users.runtimeFor("u1").limiter.acquire();
    const controller = new AbortController();
    const waiting = users.runtimeFor("u2").limiter.acquire(controller.signal);
    controller.abort(new Error("deadline"));
    await expect(waiting).rejects.toThrow("deadline");
    release();
    const next = await users.runtimeFor("u2").limiter.acquire();
    next();
    expect(users.users).toBe(0);
  });

  it("through the provider: two OAuth users' backends share the cap, but each has its own share and its own cache entries", async () => {
    const demo = await startDemoDeployment();
    try {
      const alexToken = demo.token;
      const other = `${demo.token}x`;
      demo.acceptToken(other, PEOPLE.priya.id);
      const tokens = (token: string): CallerTokens => ({
        info: { kind: "oauth" },
        get: () => Promise.resolve(token),
        afterRejection: () => Promise.resolve(undefined),
      });
      const provider = createBackendProvider(
        loadConfig({
          CONNVO_CONVEX_URL: demo.url,
          CONNVO_TOKEN: demo.token,
          CONNVO_CACHE_TTL_MS: "60000",
          CONNVO_MAX_CONCURRENCY: "2",
        }),
      );
      const alex = provider({ kind: "user", subject: "u_a", tokens: tokens(alexToken), scopes: [] });
      const someone = provider({ kind: "user", subject: "u_b", tokens: tokens(other), scopes: [] });
      demo.injectFault({ kind: "latency", ms: 100 });
      const args = { meetingId: demo.meetings.healthy };
      await Promise.all([
        ...Array.from({ length: 5 }, () => alex.query("meetings/webrtc/index:getActiveSessions", args)),
        ...Array.from({ length: 5 }, () => someone.query("meetings/webrtc/index:getActiveSessions", args)),
      ]);
      expect(demo.stats.queryRequests).toBe(2); // one per user: shared within, never across
      await alex.query("meetings/webrtc/index:getActiveSessions", args);
      expect(demo.stats.queryRequests).toBe(2); // cached for Alex's token
      expect(demo.stats.maxConcurrent).toBeLessThanOrEqual(2);
    } finally {
      await demo.close();
    }
  });
});
