/**
 * `connvo-mcp login | whoami | logout` over the real, spawned CLI against the local authorization
 * server (WorkOS CLI Auth is the device authorization grant; the test plays the user who opens the
 * URL and confirms), and the stdio server using that sign-in: it refreshes the access token
 * itself (rotating refresh tokens written atomically, 0600), shares one refresh between
 * concurrent calls, and answers "run connvo-mcp login" when the refresh token is revoked, while
 * it keeps serving. No token ever appears on stdout, stderr or in a result.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoDeployment, startDemoDeployment } from "../src/demo/deployment.js";
import { type DemoAuthServer, startDemoAuthServer } from "../src/demo/oauth/authServer.js";
import { runCli } from "./helpers/httpServer.js";
import { CLI, ROOT } from "./helpers/paths.js";
import { impureStdoutLines, type SpawnedServer, spawnStdioServer } from "./helpers/stdioServer.js";

let as: DemoAuthServer;
let demo: DemoDeployment;
let dir: string;
let env: Record<string, string>;
/** Everything any command or server printed, for the leak check at the end. */
const printed: string[] = [];

beforeAll(async () => {
  // Access tokens live 30 s: within the 60 s refresh margin, so every call refreshes (and rotates).
  as = await startDemoAuthServer({ accessTokenTtlSec: 30, deviceIntervalSec: 1 });
  demo = await startDemoDeployment({
    jwtProviders: [{ issuer: as.issuer, jwksUrl: as.jwksUri, applicationID: as.connvoClientId }],
  });
  dir = mkdtempSync(join(tmpdir(), "connvo-login-"));
  env = {
    CONNVO_AUTH_ISSUER: as.issuer,
    CONNVO_AUTH_CLIENT_ID: as.connvoClientId,
    CONNVO_MCP_CONFIG_DIR: join(dir, "config"),
    CONNVO_CONVEX_URL: demo.url,
    CONNVO_MCP_NO_BROWSER: "1",
  };
});

afterAll(async () => {
  // Not a token anywhere: access, refresh, exchanged, device codes.
  const all = printed.join("\n");
  for (const secret of as.issued) expect(all).not.toContain(secret);
  await demo.close();
  await as.close();
  rmSync(dir, { recursive: true, force: true });
});

const signInFile = () => join(env.CONNVO_MCP_CONFIG_DIR as string, "signin.json");
const stored = () => JSON.parse(readFileSync(signInFile(), "utf8")) as { refreshToken: string; user: { id: string } };

/** Runs `connvo-mcp login`; `confirm` gets the URL it shows and plays the user's browser. */
function login(confirm: (url: string) => Promise<void>, extraEnv: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, "login"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env, ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let confirmed = false;
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      const url = /\(or open (\S+)\)/.exec(stderr)?.[1];
      if (url && !confirmed) {
        confirmed = true;
        void confirm(url);
      }
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      printed.push(stdout, stderr);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A command that talks to the in-process authorization server (spawnSync would block it). */
function run(args: string[], extraEnv: Record<string, string> = env) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...extraEnv },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("exit", (status) => {
      printed.push(stdout, stderr);
      resolve({ status, stdout, stderr });
    });
  });
}

const approve = async (url: string) => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
};

const textOf = (result: CallToolResult) =>
  result.content.map((part) => (part.type === "text" ? part.text : "")).join("\n");

describe("connvo-mcp login, whoami, logout and the stdio server", () => {
  let server: SpawnedServer | undefined;

  afterAll(async () => {
    if (server) {
      printed.push(server.transport.stderr, ...server.transport.stdoutLines);
      await server.close();
    }
  });

  it("login: a code and a URL on stderr, the report on stdout, the refresh token stored 0600 and nothing else", async () => {
    const result = await login(approve);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/open http:\/\/127\.0\.0\.1:\d+\/device and enter the code [A-Z]{4}-[A-Z]{4}/);
    expect(result.stdout).toContain("Signed in to Connvo as Alex Morgan <alex.morgan@example.com> (user user_demo).");
    expect(result.stdout).toContain(`Deployment: CONNVO_CONVEX_URL (${demo.url})`);
    expect(result.stdout).toMatch(/Session ends: \d{4}-\d\d-\d\dT/);
    expect(statSync(signInFile()).mode & 0o777).toBe(0o600);
    expect(statSync(env.CONNVO_MCP_CONFIG_DIR as string).mode & 0o777).toBe(0o700);
    const file = readFileSync(signInFile(), "utf8");
    expect(stored().refreshToken).toMatch(/^rt_/);
    expect(file).not.toMatch(/eyJ/); // no access token is ever stored
  });

  it("whoami: who, on which deployment, and when the session ends; only that on stdout", () => {
    const result = runCli(["whoami"], env);
    printed.push(result.stdout, result.stderr);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Signed in to Connvo as Alex Morgan <alex.morgan@example.com> (user user_demo).");
    expect(result.stdout).toContain(`Deployment: CONNVO_CONVEX_URL (${demo.url})`);
    expect(result.stdout).toMatch(/Session ends: \d{4}-/);
    expect(result.stdout).toContain(`Sign-in file: ${signInFile()}`);
    expect(result.stderr).toBe("");
  });

  it("the stdio server uses the sign-in when no token is set, refreshing (and rotating) before expiry", async () => {
    server = await spawnStdioServer({ env });
    const before = stored().refreshToken;
    const refreshes = as.stats.refreshes;
    const first = (await server.client.callTool({ name: "list_meetings", arguments: {} })) as CallToolResult;
    expect(first.isError).toBeFalsy();
    expect(textOf(first)).toContain("Weekly product sync");
    const person = (await server.client.callTool({ name: "get_person", arguments: {} })) as CallToolResult;
    expect(textOf(person)).toContain("Alex Morgan");
    expect(as.stats.refreshes - refreshes).toBeGreaterThanOrEqual(2); // one per backend call: 30 s tokens
    const after = stored().refreshToken;
    expect(after).not.toBe(before); // rotated, and written back
    expect(statSync(signInFile()).mode & 0o777).toBe(0o600);
    expect(server.transport.stderr).toMatch(/token from the connvo-mcp login sign-in/);
    printed.push(JSON.stringify([first, person]));
  });

  it("concurrent calls share one refresh", async () => {
    const client = server?.client;
    if (!client) throw new Error("no server");
    const refreshes = as.stats.refreshes;
    const results = (await Promise.all(
      Array.from({ length: 10 }, (_, i) => client.callTool({ name: "list_meetings", arguments: { limit: i + 1 } })),
    )) as CallToolResult[];
    expect(results.every((r) => !r.isError)).toBe(true);
    expect(as.stats.refreshes - refreshes).toBe(1);
    printed.push(JSON.stringify(results));
  });

  it("a revoked refresh token: every call says run connvo-mcp login, the server keeps serving, and a new login works without a restart", async () => {
    const client = server?.client;
    if (!client) throw new Error("no server");
    as.revokeUser("user_demo");
    for (let i = 0; i < 2; i++) {
      const result = (await client.callTool({ name: "list_meetings", arguments: {} })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/Run `connvo-mcp login` in a terminal to sign in again/);
      printed.push(JSON.stringify(result));
    }
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    expect((await login(approve)).code).toBe(0);
    const again = (await client.callTool({ name: "list_meetings", arguments: {} })) as CallToolResult;
    expect(again.isError).toBeFalsy();
    expect(impureStdoutLines(server?.transport.stdoutLines ?? [])).toEqual([]);
  });

  it("logout: revokes at the sign-in service and deletes the file; whoami then says not signed in", async () => {
    const token = stored().refreshToken;
    const revocations = as.stats.revocations;
    const result = await run(["logout"]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(
      /^Signed out of Connvo \(Alex Morgan <alex\.morgan@example\.com> \(user user_demo\)\): .*signin\.json was deleted\. The sign-in was revoked at http:\/\/127\.0\.0\.1:\d+\/oauth2\/revoke\.\n$/,
    );
    expect(as.stats.revocations).toBe(revocations + 1);
    expect(() => statSync(signInFile())).toThrow();
    // The revoked token no longer refreshes.
    const refused = await fetch(as.tokenEndpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: token, client_id: as.connvoClientId }),
    });
    expect(refused.status).toBe(400);
    const whoami = runCli(["whoami"], env);
    expect(whoami.status).toBe(1);
    expect(whoami.stdout).toBe("Not signed in to Connvo. Run `connvo-mcp login` to sign in.\n");
  });

  it("after logout the running server says so too, still serving", async () => {
    const client = server?.client;
    if (!client) throw new Error("no server");
    const result = (await client.callTool({ name: "list_meetings", arguments: {} })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/connvo-mcp login/);
    printed.push(JSON.stringify(result));
  });
});

describe("login refusals", () => {
  it("declined in the browser: exit 1, nothing stored", async () => {
    const other = { CONNVO_MCP_CONFIG_DIR: join(dir, "declined") };
    const result = await login(async (url) => {
      await fetch(`${url}&deny=1`);
    }, other);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/not signed in: the sign-in was declined/);
    expect(() => statSync(join(dir, "declined", "signin.json"))).toThrow();
  });

  it("without CONNVO_AUTH_CLIENT_ID: exit 2 naming it; --help answers on stdout", () => {
    const { CONNVO_AUTH_CLIENT_ID: _id, ...rest } = env;
    const result = runCli(["login"], rest);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/CONNVO_AUTH_CLIENT_ID is not set/);
    expect(result.stdout).toBe("");
    const help = runCli(["login", "--help"], env);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: connvo-mcp login/);
  });

  it("the sign-in service unreachable: exit 1 with what to check", () => {
    const result = runCli(["login"], { ...env, CONNVO_AUTH_ISSUER: "http://127.0.0.1:9" });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Could not read the sign-in service's metadata/);
  });
});
