/**
 * Token sources from outside: a CONNVO_TOKEN_COMMAND that leaves a daemon behind (in a session of
 * its own, out of reach of the process-group kill), one that writes an opaque token to stderr,
 * and the redactor's handling of short secrets and secrets that were cut short before it saw them.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { commandTokenSource, scrubCommandStderr } from "../src/config/tokenCommand.js";
import { deterministicConvexId } from "../src/convex/ids.js";
import { redact, registerSecret } from "../src/core/log.js";
import { failureMessage } from "../src/present/failureText.js";
import { type HostileBackend, startHostileBackend, success } from "./helpers/hostileBackend.js";
import { CLI, ROOT } from "./helpers/paths.js";
import { failureOf, resultText } from "./helpers/results.js";

// Spawned servers on a shared 2-core machine: generous bounds, never timings.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let dir: string;
let backend: HostileBackend;
const daemons: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "connvo-hostile-token-"));
  backend = await startHostileBackend((_r, res) => success(res, []));
});
afterAll(async () => {
  // The daemons are out of the server's reach by design; the test cleans up after itself.
  for (const pidFile of daemons) {
    const pid = Number(await readFile(pidFile, "utf8").catch(() => ""));
    if (pid > 0) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  await backend?.close();
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
/** A command that starts `sleep 60` in a new session (it keeps stdout and stderr open), then prints `token`. */
function daemonizing(token: string): string {
  const pidFile = join(dir, `daemon-${++counter}.pid`);
  daemons.push(pidFile);
  return `setsid sh -c 'echo $$ > "${pidFile}"; exec sleep 60' & echo ${token}`;
}

describe("a token command that leaves a daemon behind", () => {
  it("gives its token as soon as the shell exits, not when the daemon lets go of its pipes", async () => {
    const token = `tok-daemon-${"a1".repeat(12)}`;
    const started = Date.now();
    const source = commandTokenSource(daemonizing(token), { timeoutMs: 30_000 });
    expect(await source.get()).toBe(token);
    expect(Date.now() - started).toBeLessThan(10_000); // the daemon holds the pipes for 60 s
  });

  it("does not keep the server alive after stdin closes", async () => {
    const token = `tok-daemon-${"b2".repeat(12)}`;
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI],
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        CONNVO_CONVEX_URL: backend.url,
        CONNVO_TOKEN_COMMAND: daemonizing(token),
      },
      stderr: "pipe",
    });
    const client = new Client({ name: "hostile-token", version: "0" });
    await client.connect(transport);
    const result = (await client.callTool({
      name: "get_active_sessions",
      arguments: { meetingId: deterministicConvexId(10001, "daemon") },
    })) as CallToolResult;
    expect(result.isError ?? false, resultText(result)).toBe(false);
    expect(backend.requests.at(-1)?.authorization).toBe(`Bearer ${token}`);
    const pid = transport.pid;
    expect(pid).toBeTypeOf("number");
    // Close only our end of stdin (client.close() would also signal the process) and watch it exit.
    const exited = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 20_000);
      const poll = setInterval(() => {
        try {
          process.kill(pid as number, 0);
        } catch {
          clearInterval(poll);
          clearTimeout(timer);
          resolve(true);
        }
      }, 50);
    });
    (transport as unknown as { _process?: { stdin?: NodeJS.WritableStream } })._process?.stdin?.end();
    expect(await exited).toBe(true); // ends on its own; the daemon sleeps 60 s
    await client.close().catch(() => {});
  });
});

describe("a token command's stderr", () => {
  it("shows what went wrong, but no token-like word, even one never printed on stdout", async () => {
    const opaque = "tok_9f8A7b6C5d4E3f2G1h0j";
    const source = commandTokenSource(
      `echo "refresh failed for ${opaque} at 2026-01-02T03:04:05Z: not signed in" >&2; exit 3`,
      { timeoutMs: 5000 },
    );
    const failure = await failureOf(source.get());
    const message = failureMessage(failure);
    expect(message).toMatch(/exit code 3.*"refresh failed for \[redacted\] at 2026-01-02T03:04:05Z: not signed in"/);
    expect(message).not.toContain(opaque.slice(0, 12));
  });

  it("keeps ordinary words, paths without digits and timestamps", () => {
    expect(scrubCommandStderr("error: /usr/local/bin/connvo-login: not found (2026-01-02T03:04:05.000Z)")).toBe(
      "error: /usr/local/bin/connvo-login: not found (2026-01-02T03:04:05.000Z)",
    );
    expect(scrubCommandStderr("key=AKIA1234567890ABCDEF done")).toBe("key=[redacted] done");
  });
});

describe("the redactor", () => {
  it("redacts a secret shorter than 8 characters where it stands alone, not inside other words", () => {
    registerSecret("q7Zx3");
    expect(redact("token q7Zx3 rejected; see https://x.example/a?t=q7Zx3 and /q7Zx3.png")).toBe(
      "token [redacted] rejected; see https://x.example/a?t=[redacted] and /[redacted].png",
    );
    expect(redact("aq7Zx3b stays")).toBe("aq7Zx3b stays");
  });

  it("recognises a secret that was cut short, from its start or its end", () => {
    const secret = "s3cr3t-Opaque-Token-Value-0123456789-abcdefghij";
    registerSecret(secret);
    expect(redact(`code ${secret.slice(0, 40)}… next`)).toBe("code [redacted]… next");
    expect(redact(`…${secret.slice(-20)} end`)).toBe("…[redacted] end");
    expect(redact(`${secret.slice(0, 15)}`)).toBe(secret.slice(0, 15)); // too short a piece to be sure
  });

  it("also redacts a registered secret in its JSON-escaped form", () => {
    const secret = 'pa"ss\\word-0123456789';
    registerSecret(secret);
    expect(redact(JSON.stringify({ token: secret }))).toBe('{"token":"[redacted]"}');
  });
});

describe("a token source that hangs", () => {
  it("has its own wording, which says nothing was sent to Connvo", () => {
    expect(failureMessage({ kind: "token_timeout", timeoutMs: 10_000, source: { kind: "command" } })).toMatch(
      /still getting an access token from CONNVO_TOKEN_COMMAND when the call's 10 s deadline passed, so nothing was sent to Connvo.*without waiting for input/,
    );
  });
});
