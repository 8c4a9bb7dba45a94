/**
 * The pieces under per-user sign-in, each against the real local authorization server: the demo
 * deployment's verification as Connvo's convex/auth.config.ts does it (issuer, audience =
 * application ID, RS256 via JWKS), and the token exchange (RFC 8693) with its bounded cache keyed
 * by the incoming token's hash and one exchange in flight per user.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenExchanger, type TokenExchanger } from "../src/auth/exchange.js";
import { READ_SCOPE } from "../src/auth/settings.js";
import { type Failure, ToolFailure } from "../src/core/failures.js";
import { authenticateAsync, createJwtKeys } from "../src/demo/auth.js";
import { startDemoDeployment } from "../src/demo/deployment.js";
import { type DemoAuthServer, startDemoAuthServer } from "../src/demo/oauth/authServer.js";
import { DEMO_TOKEN, DEMO_USER_ID, userIdFor } from "../src/demo/seed.js";
import { failureMessage } from "../src/present/failureText.js";
import { adjustableClock } from "./helpers/oauth.js";

const MCP_URL = "http://127.0.0.1:1/mcp";

let as: DemoAuthServer;
const clock = adjustableClock();
beforeAll(async () => {
  as = await startDemoAuthServer({ now: clock.now });
});
afterAll(async () => {
  await as.close();
});

const failureOf = async (promise: Promise<unknown>): Promise<Failure> => {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ToolFailure) return error.failure;
    throw error;
  }
  throw new Error("expected a failure");
};

describe("the demo deployment verifies tokens as Connvo's auth.config.ts does", () => {
  const providers = () => [{ issuer: as.issuer, jwksUrl: as.jwksUri, applicationID: as.connvoClientId }];
  const check = (token: string, jwt = createJwtKeys(providers())) =>
    authenticateAsync(`Bearer ${token}`, new Map([[DEMO_TOKEN, DEMO_USER_ID]]), clock.now, jwt);

  it("accepts a token for its application ID, signed by the issuer's key, as the person named by sub", async () => {
    const token = await as.issueToken({ sub: "priya-raman", aud: as.connvoClientId });
    expect(await check(token)).toEqual({ kind: "user", userId: userIdFor("priya-raman") });
  });

  it("refuses a token meant for the MCP server (no provider for that audience), as Convex does", async () => {
    const token = await as.issueToken({ sub: "user_demo", aud: MCP_URL, scope: READ_SCOPE });
    expect(await check(token)).toMatchObject({ kind: "rejected", code: "NoAuthProvider" });
  });

  it("refuses a forged signature, another issuer and an expired token", async () => {
    const good = await as.issueToken({ sub: "user_demo", aud: as.connvoClientId });
    const other = await as.issueToken({ sub: "priya-raman", aud: as.connvoClientId });
    const [head, body] = good.split(".");
    const forged = `${head}.${body}.${other.split(".")[2]}`;
    expect(await check(forged)).toMatchObject({ kind: "rejected", message: "Could not decode token" });
    const foreign = await as.issueToken({ iss: "https://evil.example", sub: "user_demo", aud: as.connvoClientId });
    expect(await check(foreign)).toMatchObject({ kind: "rejected", code: "NoAuthProvider" });
    const expired = await as.issueToken({ sub: "user_demo", aud: as.connvoClientId }, { expiresInSec: -120 });
    expect(await check(expired)).toMatchObject({ kind: "rejected", message: expect.stringMatching(/Token expired/) });
  });

  it("fetches the key set again for a key id it does not know (rotation), and still takes the exact-match demo tokens", async () => {
    const jwt = createJwtKeys(providers());
    expect(await check(await as.issueToken({ sub: "user_demo", aud: as.connvoClientId }), jwt)).toMatchObject({
      kind: "user",
    });
    const before = as.stats.jwksRequests;
    await as.rotateKeys();
    expect(await check(await as.issueToken({ sub: "user_demo", aud: as.connvoClientId }), jwt)).toMatchObject({
      kind: "user",
    });
    expect(as.stats.jwksRequests).toBe(before + 1);
    expect(await check(DEMO_TOKEN, jwt)).toEqual({ kind: "user", userId: DEMO_USER_ID });
  });

  it("over HTTP: who the user is decides the answer", async () => {
    const demo = await startDemoDeployment({ jwtProviders: providers() });
    try {
      const ask = async (token: string) => {
        const response = await fetch(`${demo.url}/api/query`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ path: "users/queries:getCurrentUser", args: [{}] }),
        });
        return { status: response.status, body: await response.text() };
      };
      expect((await ask(await as.issueToken({ sub: "priya-raman", aud: as.connvoClientId }))).body).toContain(
        "Priya Raman",
      );
      expect((await ask(await as.issueToken({ sub: "user_demo", aud: as.connvoClientId }))).body).toContain(
        "Alex Morgan",
      );
      const forMcp = await ask(await as.issueToken({ sub: "user_demo", aud: MCP_URL }));
      expect(forMcp.status).toBe(401);
      expect(forMcp.body).toContain("NoAuthProvider");
    } finally {
      await demo.close();
    }
  });
});

describe("the token exchange (RFC 8693)", () => {
  const exchanger = (options: Partial<Parameters<typeof createTokenExchanger>[0]> = {}): TokenExchanger =>
    createTokenExchanger({
      tokenEndpoint: () => Promise.resolve({ ok: true, url: as.tokenEndpoint }),
      clientId: as.serverClient.clientId,
      clientSecret: as.serverClient.clientSecret,
      audience: as.connvoClientId,
      now: clock.now,
      ...options,
    });
  const incoming = (sub = "user_demo") => as.issueToken({ sub, aud: MCP_URL, scope: READ_SCOPE });

  it("gives a token for Connvo's audience for the same user, never the incoming one", async () => {
    const x = exchanger();
    const token = await incoming();
    const exchanged = await x.exchange(token, "u1");
    expect(exchanged).not.toBe(token);
    const claims = JSON.parse(Buffer.from(exchanged.split(".")[1] as string, "base64url").toString("utf8"));
    expect(claims).toMatchObject({ sub: "user_demo", aud: as.connvoClientId, act: { sub: as.serverClient.clientId } });
  });

  it("20 concurrent calls with one token make one exchange; later calls are served from the cache", async () => {
    const x = exchanger();
    const token = await incoming();
    const before = as.stats.exchanges;
    const results = await Promise.all(Array.from({ length: 20 }, () => x.exchange(token, "u1")));
    expect(new Set(results).size).toBe(1);
    await x.exchange(token, "u1");
    expect(as.stats.exchanges - before).toBe(1);
  });

  it("one exchange in flight per user: a user's second token waits for the first; another user does not", async () => {
    let inFlight = new Map<string, number>();
    const most = new Map<string, number>();
    const counting = async (input: string, init?: RequestInit) => {
      const subject = new URLSearchParams(String(init?.body)).get("subject_token") ?? "";
      const sub = JSON.parse(Buffer.from(subject.split(".")[1] as string, "base64url").toString("utf8")).sub as string;
      inFlight.set(sub, (inFlight.get(sub) ?? 0) + 1);
      most.set(sub, Math.max(most.get(sub) ?? 0, inFlight.get(sub) ?? 0));
      try {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return await fetch(input, init);
      } finally {
        inFlight.set(sub, (inFlight.get(sub) ?? 1) - 1);
      }
    };
    const x = exchanger({ fetch: counting });
    const alexTokens = await Promise.all([incoming(), incoming(), incoming()]);
    const priyaTokens = await Promise.all([incoming("priya-raman"), incoming("priya-raman")]);
    await Promise.all([
      ...alexTokens.map((t) => x.exchange(t, "u_alex")),
      ...priyaTokens.map((t) => x.exchange(t, "u_priya")),
    ]);
    expect(most.get("user_demo")).toBe(1);
    expect(most.get("priya-raman")).toBe(1);
    expect(x.size).toBe(5);
    inFlight = new Map();
  });

  it("keeps at most maxEntries, least recently used first out", async () => {
    const x = exchanger({ maxEntries: 3 });
    const tokens = await Promise.all(Array.from({ length: 5 }, () => incoming()));
    for (const t of tokens) await x.exchange(t, "u1");
    expect(x.size).toBe(3);
    const before = as.stats.exchanges;
    await x.exchange(tokens[4] as string, "u1"); // kept
    expect(as.stats.exchanges).toBe(before);
    await x.exchange(tokens[0] as string, "u1"); // evicted: exchanged again
    expect(as.stats.exchanges).toBe(before + 1);
  });

  it("exchanges again shortly before the exchanged token expires", async () => {
    const x = exchanger();
    const token = await incoming();
    const first = await x.exchange(token, "u1");
    clock.advance(241_000); // 300 s token, 60 s margin
    const second = await x.exchange(token, "u1");
    expect(second).not.toBe(first);
  });

  it("says what went wrong, with no token in the failure or its wording", async () => {
    const token = await incoming();
    const refused = await failureOf(exchanger().exchange("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.bogus", "u1"));
    expect(refused).toMatchObject({
      kind: "auth_server",
      during: "exchange",
      problem: "refused",
      error: "invalid_grant",
    });
    const target = await failureOf(exchanger({ audience: "not-registered" }).exchange(token, "u1"));
    expect(target).toMatchObject({ problem: "misconfigured", error: "invalid_target" });
    const secret = await failureOf(exchanger({ clientSecret: "wrong" }).exchange(token, "u1"));
    expect(secret).toMatchObject({ problem: "misconfigured", error: "invalid_client" });
    const gone = await failureOf(
      exchanger({
        tokenEndpoint: () => Promise.resolve({ ok: true, url: "http://127.0.0.1:9/oauth2/token" }),
      }).exchange(token, "u1"),
    );
    expect(gone).toMatchObject({ problem: "unreachable" });
    for (const failure of [refused, target, secret, gone]) {
      const text = `${JSON.stringify(failure)} ${failureMessage(failure)}`;
      expect(text).not.toContain(token);
      expect(text).not.toContain(as.serverClient.clientSecret);
    }
    expect(failureMessage(secret)).toMatch(/CONNVO_AUTH_CLIENT_SECRET/);
    expect(failureMessage(refused)).toMatch(/Sign in to Connvo again in the MCP client/);
  });
});
