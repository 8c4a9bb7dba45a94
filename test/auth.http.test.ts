/**
 * connvo-mcp as an OAuth 2.1 protected resource, in process against the local authorization
 * server and the demo deployment: Protected Resource Metadata, every 401 / 403 / 503 case, key
 * rotation, expiry mid-session (the incoming token and the exchanged one), the token exchange
 * instead of passthrough, and no token in any log line or result.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it } from "vitest";
import { READ_SCOPE, WRITE_SCOPE } from "../src/auth/settings.js";
import { startDemoAuthServer } from "../src/demo/oauth/authServer.js";
import type { Era } from "./helpers/httpServer.js";
import { connectWithOAuth, type OAuthWorld, postMcp, startOAuthWorld, TestOAuthProvider } from "./helpers/oauth.js";
import { capturedLogLines } from "./setup/logs.js";

const worlds: OAuthWorld[] = [];
async function world(options: Parameters<typeof startOAuthWorld>[0] = {}): Promise<OAuthWorld> {
  const started = await startOAuthWorld(options);
  worlds.push(started);
  return started;
}

afterEach(async () => {
  for (const w of worlds.splice(0)) await w.close();
});

const textOf = (result: CallToolResult) =>
  result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");

/** A token the authorization server issued for this MCP server, as a signed-in client holds. */
function userToken(w: OAuthWorld, sub = "user_demo", claims: Record<string, unknown> = {}, expiresInSec = 3600) {
  return w.as.issueToken({ sub, aud: w.url, scope: READ_SCOPE, client_id: "client_test", ...claims }, { expiresInSec });
}

function parseChallenge(header: string | null): Record<string, string> {
  expect(header).toMatch(/^Bearer /);
  const params: Record<string, string> = {};
  for (const match of (header ?? "").matchAll(/(\w+)="([^"]*)"/g)) params[match[1] as string] = match[2] as string;
  return params;
}

describe("Protected Resource Metadata (RFC 9728)", () => {
  it("is served at the path-aware and the root well-known URL, public, naming the resource and the issuer", async () => {
    const w = await world();
    for (const path of ["/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"]) {
      const response = await fetch(`${w.origin}${path}`, { headers: { host: "evil.example" } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        resource: w.url,
        authorization_servers: [w.as.issuer],
        scopes_supported: [READ_SCOPE, WRITE_SCOPE],
        bearer_methods_supported: ["header"],
      });
    }
    expect((await fetch(`${w.origin}/.well-known/oauth-protected-resource/other`)).status).toBe(404);
  });
});

describe("401: no token, or a token that is not good for this server", () => {
  it("without a token: a challenge naming the metadata and the read scope, no error code", async () => {
    const w = await world();
    const answer = await postMcp(w.url, undefined);
    expect(answer.status).toBe(401);
    const challenge = parseChallenge(answer.wwwAuthenticate);
    expect(challenge).toEqual({
      resource_metadata: `${w.origin}/.well-known/oauth-protected-resource/mcp`,
      scope: READ_SCOPE,
    });
  });

  it.each([
    ["not a JWT", async () => "not-a-jwt-at-all-0123456789"],
    ["expired", async (w: OAuthWorld) => userToken(w, "user_demo", {}, -3600)],
    ["issued by another issuer", async (w: OAuthWorld) => userToken(w, "user_demo", { iss: "https://evil.example" })],
    [
      "meant for Connvo's Convex, not this server",
      async (w: OAuthWorld) => userToken(w, "user_demo", { aud: w.as.connvoClientId }),
    ],
    [
      "meant for another MCP server",
      async (w: OAuthWorld) => userToken(w, "user_demo", { aud: "https://other.example/mcp" }),
    ],
    [
      "with a forged signature",
      async (w: OAuthWorld) => {
        const [head, body] = (await userToken(w)).split(".");
        const [, , otherSignature] = (await userToken(w, "priya-raman")).split(".");
        return `${head}.${body}.${otherSignature}`;
      },
    ],
    ["without a subject", async (w: OAuthWorld) => userToken(w, "")],
  ])("a token %s: invalid_token", async (_name, make) => {
    const w = await world();
    const token = await make(w);
    const answer = await postMcp(w.url, token);
    expect(answer.status).toBe(401);
    const challenge = parseChallenge(answer.wwwAuthenticate);
    expect(challenge.error).toBe("invalid_token");
    expect(challenge.resource_metadata).toBe(`${w.origin}/.well-known/oauth-protected-resource/mcp`);
    expect(answer.text).not.toContain(token);
    expect(capturedLogLines().join("")).not.toContain(token);
  });

  it("a token signed with a key the issuer does not publish: invalid_token, after fetching the key set again", async () => {
    const w = await world({ jwksCooldownMs: 0 });
    expect((await postMcp(w.url, await userToken(w))).status).toBe(200);
    const fetched = w.as.stats.jwksRequests;
    // Same issuer and audience, but signed by someone else's key.
    const impostor = await startDemoAuthServer();
    try {
      const forged = await impostor.issueToken({ iss: w.as.issuer, sub: "user_demo", aud: w.url, scope: READ_SCOPE });
      const answer = await postMcp(w.url, forged);
      expect(answer.status).toBe(401);
      expect(parseChallenge(answer.wwwAuthenticate).error).toBe("invalid_token");
      expect(w.as.stats.jwksRequests).toBe(fetched + 1);
    } finally {
      await impostor.close();
    }
  });
});

describe("403: a verified token without the scope the request needs", () => {
  it("no read scope: every request is refused with insufficient_scope naming meetings:read", async () => {
    const w = await world();
    const token = await userToken(w, "user_demo", { scope: "openid" });
    const answer = await postMcp(w.url, token);
    expect(answer.status).toBe(403);
    const challenge = parseChallenge(answer.wwwAuthenticate);
    expect(challenge.error).toBe("insufficient_scope");
    expect(challenge.scope).toBe(READ_SCOPE);
  });

  it("read scope only: reads work, a write tool's call is refused naming both scopes", async () => {
    const w = await world({ enableWrites: true });
    const token = await userToken(w);
    const call = (name: string, args: Record<string, unknown>) =>
      postMcp(w.url, token, { jsonrpc: "2.0", id: 2, method: "tools/call", params: { name, arguments: args } });
    const read = await call("list_meetings", {});
    expect(read.status).toBe(200);
    const write = await call("add_meeting_note", { meetingId: w.demo.meetings.retro, text: "hello" });
    expect(write.status).toBe(403);
    const challenge = parseChallenge(write.wwwAuthenticate);
    expect(challenge.error).toBe("insufficient_scope");
    expect(challenge.scope).toBe(`${READ_SCOPE} ${WRITE_SCOPE}`);
    expect(w.demo.stats.byFunction["notes/mutations:applyNoteOperation"]).toBeUndefined();
    const allowed = await userToken(w, "user_demo", { scope: `${READ_SCOPE} ${WRITE_SCOPE}` });
    const written = await postMcp(w.url, allowed, {
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "add_meeting_note", arguments: { meetingId: w.demo.meetings.retro, text: "hello" } },
    });
    expect(written.status).toBe(200);
  });
});

describe("403 with a real SDK client: step-up", () => {
  it("a client signed in for reading asks for the write scope when a write tool answers 403, then writes", async () => {
    const w = await world({ enableWrites: true });
    const provider = new TestOAuthProvider();
    const { client, transport } = await connectWithOAuth(w.url, "legacy", provider);
    try {
      expect(provider.tokens()?.scope?.split(" ")).toContain(READ_SCOPE);
      expect(provider.tokens()?.scope?.split(" ")).not.toContain(WRITE_SCOPE);
      const args = {
        name: "add_meeting_note",
        arguments: { meetingId: w.demo.meetings.retro, text: "Follow up with Acme." },
      };
      // The SDK re-authorizes with the union of scopes; the browser step needs the host (finishAuth).
      await expect(client.callTool(args)).rejects.toThrow();
      expect(provider.authorizations.at(-1)?.searchParams.get("scope")?.split(" ")).toContain(WRITE_SCOPE);
      await transport.finishAuth(provider.callback as URLSearchParams);
      const written = (await client.callTool(args)) as CallToolResult;
      expect(written.isError).toBeFalsy();
      expect(provider.tokens()?.scope?.split(" ")).toContain(WRITE_SCOPE);
    } finally {
      await client.close();
    }
  });
});

describe("503, never 401, when tokens cannot be verified", () => {
  it("the issuer's key set answers 503: 503 with Retry-After", async () => {
    const w = await world();
    w.as.setJwksFault("down");
    const answer = await postMcp(w.url, await userToken(w));
    expect(answer.status).toBe(503);
    expect(answer.wwwAuthenticate).toBeNull();
    expect(Number(answer.retryAfter)).toBeGreaterThan(0);
    w.as.setJwksFault(undefined);
    expect((await postMcp(w.url, await userToken(w))).status).toBe(200);
  });

  it("the issuer is unreachable (metadata and keys): 503; a request without a token still gets its 401", async () => {
    const w = await world();
    const token = await userToken(w);
    await w.as.close();
    const answer = await postMcp(w.url, token);
    expect(answer.status).toBe(503);
    expect(answer.text).toMatch(/cannot be verified right now/);
    expect((await postMcp(w.url, undefined)).status).toBe(401);
  });

  it("a key id the key set lacked moments ago: 503 with Retry-After (a rotation may be under way), not 401", async () => {
    const w = await world({ jwksCooldownMs: 60_000 });
    expect((await postMcp(w.url, await userToken(w))).status).toBe(200);
    await w.as.rotateKeys();
    const fresh = await userToken(w);
    const answer = await postMcp(w.url, fresh);
    expect(answer.status).toBe(503);
    expect(Number(answer.retryAfter)).toBe(60);
  });
});

describe("key rotation", () => {
  it("a token signed with a new key is accepted: the key set is fetched again for an unknown key id", async () => {
    const w = await world({ jwksCooldownMs: 0 });
    expect((await postMcp(w.url, await userToken(w))).status).toBe(200);
    const fetched = w.as.stats.jwksRequests;
    await w.as.rotateKeys();
    expect((await postMcp(w.url, await userToken(w))).status).toBe(200);
    expect(w.as.stats.jwksRequests).toBe(fetched + 1);
    // The old key is still published: tokens signed before the rotation keep working.
    expect((await postMcp(w.url, await userToken(w, "user_demo", {}, 3600))).status).toBe(200);
  });

  it("mid-session: a real client keeps calling across a rotation, and the deployment follows it too", async () => {
    const w = await world({ jwksCooldownMs: 0 });
    const provider = new TestOAuthProvider();
    const { client } = await connectWithOAuth(w.url, "legacy", provider);
    try {
      const before = (await client.callTool({ name: "list_meetings", arguments: {} })) as CallToolResult;
      expect(before.isError).toBeFalsy();
      const fetched = w.as.stats.jwksRequests;
      await w.as.rotateKeys({ dropOld: true });
      // Later: the client's token expires; its refreshed one and the new exchange are signed with
      // the new key, which connvo-mcp and the deployment each fetch when they first see its id.
      w.clock.advance(2 * 3600 * 1000);
      const after = (await client.callTool({ name: "list_meetings", arguments: { when: "past" } })) as CallToolResult;
      expect(after.isError).toBeFalsy();
      expect(w.as.stats.refreshes).toBe(1);
      expect(w.as.stats.exchanges).toBe(2);
      expect(w.as.stats.jwksRequests).toBe(fetched + 2);
    } finally {
      await client.close();
    }
  });
});

describe.each<Era>(["legacy", "modern"])("a real SDK client (%s era), in process", (era) => {
  it("signs in from the 401 and is served as its own user, with a token exchanged for Convex", async () => {
    const w = await world();
    const provider = new TestOAuthProvider();
    const { client } = await connectWithOAuth(w.url, era, provider);
    try {
      const result = (await client.callTool({ name: "get_person", arguments: {} })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toContain("Alex Morgan");
      expect(w.as.stats.exchanges).toBe(1);
      // The deployment refuses a token meant for this server (test/auth.demo.test.ts): it got an exchanged one.
      const sent = provider.accessToken as string;
      expect(sent).toBeTruthy();
      const tokens = w.as.issued;
      expect(tokens.length).toBeGreaterThan(2);
      const everything = [...capturedLogLines(), JSON.stringify(result)].join("\n");
      for (const secret of tokens) expect(everything).not.toContain(secret);
    } finally {
      await client.close();
    }
  });
});

describe("expiry mid-session", () => {
  it("the client's token expires: 401, the client refreshes and the call goes on", async () => {
    const w = await world();
    const provider = new TestOAuthProvider();
    const { client } = await connectWithOAuth(w.url, "legacy", provider);
    try {
      expect(((await client.callTool({ name: "list_meetings", arguments: {} })) as CallToolResult).isError).toBeFalsy();
      const first = provider.accessToken;
      w.clock.advance(2 * 3600 * 1000); // past the access token's hour (and its 60 s tolerance)
      const later = (await client.callTool({ name: "list_meetings", arguments: {} })) as CallToolResult;
      expect(later.isError).toBeFalsy();
      expect(provider.accessToken).not.toBe(first);
      expect(w.as.stats.refreshes).toBe(1);
      expect(await postMcp(w.url, first)).toMatchObject({ status: 401 });
    } finally {
      await client.close();
    }
  });

  it("the exchanged token expires while the client's is valid: a new exchange, the client notices nothing", async () => {
    const w = await world({ authServer: { exchangedTokenTtlSec: 300 } });
    const provider = new TestOAuthProvider();
    const { client } = await connectWithOAuth(w.url, "legacy", provider);
    try {
      await client.callTool({ name: "list_meetings", arguments: {} });
      await client.callTool({ name: "list_meetings", arguments: { when: "past" } });
      expect(w.as.stats.exchanges).toBe(1); // kept, keyed by the incoming token's hash
      w.clock.advance(250 * 1000); // within the 60 s margin of the exchanged token's 300 s
      const result = (await client.callTool({ name: "list_meetings", arguments: {} })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(w.as.stats.exchanges).toBe(2);
      expect(w.as.stats.refreshes).toBe(0);
    } finally {
      await client.close();
    }
  });
});
