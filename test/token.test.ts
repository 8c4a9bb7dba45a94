/**
 * The user's token over time: CONNVO_TOKEN_FILE (re-read when it changes, including
 * rename-replace), CONNVO_TOKEN_COMMAND (run when missing, expiring or rejected; timeouts kill
 * what it started; its failures are reported without the token), the precedence of the three
 * sources, and the expiry check, both alone and through the backend against the demo deployment.
 */
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import { commandTokenSource } from "../src/config/tokenCommand.js";
import { fileTokenSource } from "../src/config/tokenFile.js";
import { tokenExpiry } from "../src/config/tokenSource.js";
import { createBackendProvider } from "../src/convex/provider.js";
import type { Failure } from "../src/core/failures.js";
import { redact } from "../src/core/log.js";
import { type DemoDeployment, FUNCTION_PATH, startDemoDeployment } from "../src/demo/deployment.js";
import { DEMO_MEETINGS, DEMO_TOKEN_CLAIMS } from "../src/demo/seed.js";
import { failureMessage } from "../src/present/failureText.js";
import { failureOf } from "./helpers/results.js";

let dir: string;
let demo: DemoDeployment;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "connvo-token-"));
  demo = await startDemoDeployment();
});
afterAll(async () => {
  await demo?.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  demo.clearFaults();
  demo.resetStats();
});

let counter = 0;
const fresh = (name: string) => join(dir, `${name}-${++counter}`);
const nowSec = () => Math.floor(Date.now() / 1000);

/** A JWT the demo deployment accepts once `acceptToken`ed (it checks iss/aud/exp, then exact match). */
function jwt(expSec: number, nonce = `n${++counter}`): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part({ ...DEMO_TOKEN_CLAIMS, exp: expSec, jti: nonce })}.sig`;
}

describe("precedence and settings", () => {
  it("CONNVO_TOKEN_COMMAND > CONNVO_TOKEN_FILE > CONNVO_TOKEN, and says which lost", () => {
    const all = loadConfig({
      CONNVO_TOKEN: "tok-env-123456",
      CONNVO_TOKEN_FILE: "/tmp/t",
      CONNVO_TOKEN_COMMAND: "gh auth token",
    });
    expect(all.problems).toEqual([]);
    expect(all.tokenSetting).toEqual({ kind: "command", command: "gh auth token", timeoutMs: 10_000 });
    expect(all.ignoredTokenVariables).toEqual(["CONNVO_TOKEN_FILE", "CONNVO_TOKEN"]);
    const fileAndEnv = loadConfig({ CONNVO_TOKEN: "tok-env-123456", CONNVO_TOKEN_FILE: "~/connvo/token" });
    expect(fileAndEnv.tokenSetting).toMatchObject({ kind: "file" });
    expect((fileAndEnv.tokenSetting as { path: string }).path).not.toContain("~");
    expect(loadConfig({ CONNVO_TOKEN: "tok-env-123456" }).tokenSetting).toEqual({
      kind: "env",
      token: "tok-env-123456",
    });
    // Blank values count as unset.
    expect(loadConfig({ CONNVO_TOKEN: "tok-env-123456", CONNVO_TOKEN_COMMAND: "  " }).tokenSetting?.kind).toBe("env");
  });

  it("none set: one problem naming all three ways", () => {
    const config = loadConfig({});
    expect(config.problems).toHaveLength(1);
    expect(config.problems[0]?.message).toMatch(/CONNVO_TOKEN is not set.*CONNVO_TOKEN_FILE.*CONNVO_TOKEN_COMMAND/);
  });

  it("validates the limit settings, with defaults", () => {
    const ok = loadConfig({ CONNVO_TOKEN: "tok-env-123456" });
    expect(ok.backend).toEqual({ maxConcurrency: 8, cacheTtlMs: 0, maxResponseBytes: 16 * 1024 * 1024, maxRetries: 4 });
    for (const [variable, value] of [
      ["CONNVO_MAX_CONCURRENCY", "0"],
      ["CONNVO_MAX_CONCURRENCY", "lots"],
      ["CONNVO_CACHE_TTL_MS", "-1"],
      ["CONNVO_MAX_RESPONSE_BYTES", "1.5"],
      ["CONNVO_MAX_RETRIES", "99"],
      ["CONNVO_TOKEN_COMMAND_TIMEOUT_MS", "5"],
    ] as const) {
      const config = loadConfig({ CONNVO_TOKEN: "tok-env-123456", CONNVO_TOKEN_COMMAND: "x", [variable]: value });
      expect(
        config.problems.map((p) => p.variable),
        `${variable}=${value}`,
      ).toEqual([variable]);
      expect(config.problems[0]?.message).toMatch(/must be a whole number .* between/);
    }
  });
});

describe("the expiry check", () => {
  it("reads exp without verifying, and ignores what is not a JWT", () => {
    expect(tokenExpiry(jwt(2_000_000_000))).toBe(2_000_000_000_000);
    expect(tokenExpiry("opaque-token")).toBeUndefined();
    expect(tokenExpiry("a.b.c")).toBeUndefined();
  });

  it("says when the token expired (ISO time, how long ago) and how to refresh, per source", () => {
    const expiredAt = Date.UTC(2026, 0, 2, 3, 4, 5);
    const message = (source: Extract<Failure, { kind: "token_expired_local" }>["source"]) =>
      failureMessage({ kind: "token_expired_local", expiredAt, now: expiredAt + 5 * 60_000, source });
    expect(message({ kind: "env" })).toMatch(
      /from CONNVO_TOKEN expired at 2026-01-02T03:04:05\.000Z \(5 min ago\), so no request was sent.*CONNVO_TOKEN/,
    );
    expect(message({ kind: "file", path: "/run/connvo/token" })).toMatch(
      /CONNVO_TOKEN_FILE \(\/run\/connvo\/token\).*Write a fresh access token to \/run\/connvo\/token/,
    );
    expect(message({ kind: "command" })).toMatch(/CONNVO_TOKEN_COMMAND.*Run the command yourself/);
    expect(message({ kind: "caller" })).toMatch(/sent with/);
  });

  it("an expired CONNVO_TOKEN fails with no backend call", async () => {
    const expired = jwt(nowSec() - 90);
    const backend = createBackendProvider(loadConfig({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: expired }))({
      kind: "local",
    });
    const failure = await failureOf(backend.query(FUNCTION_PATH, { meetingId: DEMO_MEETINGS.healthy.id }));
    expect(failure.kind).toBe("token_expired_local");
    expect(failureMessage(failure)).toMatch(/expired at \d{4}-\d\d-\d\dT.*\(\d+ (s|min) ago\)/);
    expect(demo.stats.queryRequests).toBe(0);
  });
});

describe("CONNVO_TOKEN_FILE", () => {
  it("reads the token (a pasted 'Bearer ' and newline are fine) and registers it as a secret", async () => {
    const path = fresh("token");
    const token = jwt(nowSec() + 3600);
    await writeFile(path, `Bearer ${token}\n`);
    const source = fileTokenSource(path);
    expect(await source.get()).toBe(token);
    expect(redact(`x ${token} y`)).toBe("x [redacted] y");
    source.close();
  });

  it("notices a rewrite, a rename-replace, and a same-size rewrite with the old mtime", async () => {
    const path = fresh("token");
    const [a, b, c, d] = ["A", "B", "C", "D"].map((x) => `${x}`.repeat(40));
    await writeFile(path, a as string);
    const source = fileTokenSource(path);
    expect(await source.get()).toBe(a);
    await writeFile(path, `${b}\n`);
    expect(await source.get()).toBe(b);
    // An editor or sidecar writes a new file and renames it over the old one.
    const tmp = `${path}.tmp`;
    await writeFile(tmp, c as string);
    await rename(tmp, path);
    expect(await source.get()).toBe(c);
    const before = await stat(path);
    await writeFile(path, d as string);
    await utimes(path, before.atime, before.mtime);
    expect(await source.get()).toBe(d);
    source.close();
  });

  it("reports a missing, empty, non-file or junk-filled token file, and recovers without restart", async () => {
    const path = fresh("token");
    const source = fileTokenSource(path);
    const missing = await failureOf(source.get());
    expect(missing).toMatchObject({ kind: "token_file", problem: "missing" });
    expect(failureMessage(missing)).toMatch(/CONNVO_TOKEN_FILE points at .*token-\d+, which does not exist/);
    await writeFile(path, "   \n");
    expect(await failureOf(source.get())).toMatchObject({ problem: "empty" });
    await writeFile(path, "first-secret-value second-secret-value");
    const junk = await failureOf(source.get());
    expect(junk).toMatchObject({ problem: "not_a_token" });
    expect(failureMessage(junk)).not.toMatch(/secret-value/);
    const token = "tok_".repeat(10);
    await writeFile(path, token);
    expect(await source.get()).toBe(token);
    source.close();
    const folder = fresh("folder");
    await mkdir(folder);
    expect(await failureOf(fileTokenSource(folder).get())).toMatchObject({ problem: "not_a_file" });
  });

  it("reports an unreadable file with its error code", async () => {
    // chmod 000 does not stop root (CI runs as root), so use a regular file the kernel refuses to
    // read whoever asks: /proc/self/mem fails with EIO. Elsewhere fall back to chmod 000.
    let path = "/proc/self/mem";
    let code = "EIO";
    if (process.platform !== "linux") {
      path = fresh("token");
      await writeFile(path, "x".repeat(40));
      await chmod(path, 0o000);
      code = "EACCES";
    }
    const failure = await failureOf(fileTokenSource(path).get());
    expect(failure).toMatchObject({ problem: "unreadable", code });
    expect(failureMessage(failure)).toMatch(new RegExp(`cannot read CONNVO_TOKEN_FILE .* \\(${code}\\)`));
  });

  it("a rotated file is used on the next call, without restarting (through the backend)", async () => {
    const path = fresh("token");
    const [a, b] = [jwt(nowSec() + 3600), jwt(nowSec() + 7200)];
    demo.acceptToken(a as string);
    await writeFile(path, a as string);
    const config = loadConfig({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN_FILE: path });
    const backend = createBackendProvider(config)({ kind: "local" });
    const call = () => backend.query(FUNCTION_PATH, { meetingId: DEMO_MEETINGS.healthy.id });
    await expect(call()).resolves.toBeInstanceOf(Array);
    demo.revokeToken(a as string);
    demo.acceptToken(b as string);
    await writeFile(path, b as string);
    await expect(call()).resolves.toBeInstanceOf(Array);
    // A rejected token whose file did not change: the error names the file and how to fix it.
    demo.revokeToken(b as string);
    const failure = await failureOf(call());
    expect(failure).toMatchObject({ kind: "token_invalid", source: { kind: "file", path } });
    expect(failureMessage(failure)).toMatch(/Write a fresh access token to .*re-reads the file/);
  });
});

describe("CONNVO_TOKEN_COMMAND", () => {
  /** A command that logs each run to `runs` and prints the token file's content. */
  async function scripted(initial: string) {
    const tokenPath = fresh("cmd-token");
    const runs = fresh("runs");
    await writeFile(tokenPath, initial);
    await writeFile(runs, "");
    return {
      command: `echo run >> '${runs}'; cat '${tokenPath}'`,
      setToken: (t: string) => writeFile(tokenPath, t),
      runs: async () => (await readFile(runs, "utf8")).split("\n").filter(Boolean).length,
    };
  }

  it("runs once for concurrent callers, then reuses the token until it is about to expire", async () => {
    let now = Date.now();
    const token = jwt(Math.floor(now / 1000) + 3600);
    const s = await scripted(token);
    const source = commandTokenSource(s.command, { timeoutMs: 5000, now: () => now });
    expect(await Promise.all(Array.from({ length: 10 }, () => source.get()))).toEqual(Array(10).fill(token));
    expect(await source.get()).toBe(token);
    expect(await s.runs()).toBe(1);
    expect(redact(token)).toBe("[redacted]");
    // 30 s before expiry (inside the 60 s window): refresh.
    now += 3570_000;
    const next = jwt(Math.floor(now / 1000) + 3600);
    await s.setToken(next);
    expect(await source.get()).toBe(next);
    expect(await s.runs()).toBe(2);
  });

  it("keeps a still-valid token when a refresh fails, but not an expired one", async () => {
    let now = Date.now();
    const token = jwt(Math.floor(now / 1000) + 30);
    const flag = fresh("fail-flag");
    const command = `if [ -f '${flag}' ]; then echo 'sign in again' >&2; exit 3; fi; echo '${token}'`;
    const source = commandTokenSource(command, { timeoutMs: 5000, now: () => now });
    expect(await source.get()).toBe(token);
    await writeFile(flag, "");
    expect(await source.get()).toBe(token); // expiring within 60 s, refresh failed: still usable
    now += 31_000;
    const failure = await failureOf(source.get());
    expect(failure).toMatchObject({ kind: "token_command", problem: "failed", exitCode: 3, stderr: "sign in again" });
    expect(failureMessage(failure)).toMatch(
      /CONNVO_TOKEN_COMMAND failed \(exit code 3\).*"sign in again".*Run the command yourself/,
    );
  });

  it("reports its failures without the token, even when the command prints the token to stderr", async () => {
    const canary = `canary-${"x".repeat(30)}`;
    const source = commandTokenSource(`echo ${canary}; echo "debug: got ${canary}" >&2; exit 1`, { timeoutMs: 5000 });
    const failure = await failureOf(source.get());
    expect(failure).toMatchObject({ problem: "failed", exitCode: 1 });
    expect(failureMessage(failure)).toMatch(/debug: got \[redacted\]/);
    expect(failureMessage(failure)).not.toContain(canary);
  });

  it("never shows the command itself (it may contain secrets)", async () => {
    const failure = await failureOf(commandTokenSource("exit 7 # api-key-1234567890", { timeoutMs: 5000 }).get());
    expect(failureMessage(failure)).not.toContain("api-key");
  });

  it("empty and multi-line outputs are errors that say what the command must print", async () => {
    expect(failureMessage(await failureOf(commandTokenSource("true", { timeoutMs: 5000 }).get()))).toMatch(
      /printed nothing.*gh auth token/,
    );
    expect(
      failureMessage(await failureOf(commandTokenSource("echo one; echo two", { timeoutMs: 5000 }).get())),
    ).toMatch(/more than one word or line/);
  });

  it("a command that hangs is stopped at its timeout, with everything it started", async () => {
    const pidFile = fresh("pid");
    const source = commandTokenSource(`sleep 30 & echo $! > '${pidFile}'; wait`, { timeoutMs: 300 });
    const started = performance.now();
    const failure = await failureOf(source.get());
    expect(failure).toMatchObject({ problem: "timeout", timeoutMs: 300 });
    expect(performance.now() - started).toBeLessThan(10_000); // the command sleeps 30 s
    expect(failureMessage(failure)).toMatch(/did not finish within 0\.3 s.*CONNVO_TOKEN_COMMAND_TIMEOUT_MS/);
    const pid = Number(await readFile(pidFile, "utf8"));
    await new Promise((r) => setTimeout(r, 50));
    expect(await isRunning(pid)).toBe(false); // the grandchild is gone too
  });

  it("a command that waits for input gets none (stdin is closed)", async () => {
    const failure = await failureOf(commandTokenSource('read answer; test -n "$answer"', { timeoutMs: 2000 }).get());
    expect(failure).toMatchObject({ problem: "failed" });
  });

  it("after a 401 it runs the command again and retries the call once (through the backend)", async () => {
    const rejected = jwt(nowSec() + 3600);
    const accepted = jwt(nowSec() + 3600);
    demo.acceptToken(accepted);
    const [a, b, runs] = [fresh("a"), fresh("b"), fresh("runs")];
    await Promise.all([writeFile(a, rejected), writeFile(b, accepted), writeFile(runs, "")]);
    // The first run prints a token the backend rejects; later runs a good one.
    const command = `n=$(wc -l < '${runs}'); echo run >> '${runs}'; if [ "$n" -eq 0 ]; then cat '${a}'; else cat '${b}'; fi`;
    const backend = createBackendProvider(loadConfig({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN_COMMAND: command }))({
      kind: "local",
    });
    await expect(backend.query(FUNCTION_PATH, { meetingId: DEMO_MEETINGS.healthy.id })).resolves.toBeInstanceOf(Array);
    expect((await readFile(runs, "utf8")).split("\n").filter(Boolean)).toHaveLength(2);
    expect(demo.stats.queryRequests).toBe(2);
  });

  it("gives up after one refresh when the command keeps printing a rejected token", async () => {
    const s = await scripted(jwt(nowSec() + 3600));
    const backend = createBackendProvider(loadConfig({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN_COMMAND: s.command }))(
      {
        kind: "local",
      },
    );
    const failure = await failureOf(backend.query(FUNCTION_PATH, { meetingId: DEMO_MEETINGS.healthy.id }));
    expect(failure).toMatchObject({ kind: "token_invalid", source: { kind: "command" } });
    expect(failureMessage(failure)).toMatch(/run again after a rejection.*Run the command yourself/);
    expect(await s.runs()).toBe(2);
    expect(demo.stats.queryRequests).toBe(1);
  });

  it("an expired token is refreshed before any request is made", async () => {
    const expired = jwt(nowSec() - 10);
    const good = jwt(nowSec() + 3600);
    demo.acceptToken(good);
    const s = await scripted(expired);
    const backend = createBackendProvider(loadConfig({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN_COMMAND: s.command }))(
      {
        kind: "local",
      },
    );
    const call = () => backend.query(FUNCTION_PATH, { meetingId: DEMO_MEETINGS.healthy.id });
    // The command itself prints an expired token: said so, no request.
    const failure = await failureOf(call());
    expect(failure).toMatchObject({ kind: "token_expired_local", source: { kind: "command" } });
    expect(demo.stats.queryRequests).toBe(0);
    await s.setToken(good);
    await expect(call()).resolves.toBeInstanceOf(Array);
    expect(demo.stats.queryRequests).toBe(1);
  });
});

/** Dead or a zombie (a container's PID 1 may never reap it) counts as not running. */
async function isRunning(pid: number): Promise<boolean> {
  if (process.platform !== "linux") {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return status !== "" && !/^State:\s+Z/m.test(status);
}
