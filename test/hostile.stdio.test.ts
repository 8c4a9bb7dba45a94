/**
 * stdio from outside, against the real bundled server: a line over the 10 MiB message limit,
 * batches and malformed messages, a script that pipes its requests and closes stdin at once, and a
 * burst of answers the client reads slowly. Each ends with the same server still answering a
 * normal call through a real MCP client (or, for end-of-file, with every answer written and exit 0).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/client";
import type { CallToolResult, JSONRPCMessage, Transport } from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it, vi } from "vitest";
import { deterministicConvexId } from "../src/convex/ids.js";
import { type HostileBackend, startHostileBackend, success } from "./helpers/hostileBackend.js";
import { CLI, ROOT } from "./helpers/paths.js";
import { resultText } from "./helpers/results.js";

const MEETING = deterministicConvexId(10001, "stdio-meeting");
// Spawned servers and 10 MiB lines on a shared 2-core machine: generous bounds, never timings.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 30_000 });
const DEMO_MEETING = "j5731fnp969p6htrp15we5t6448wpza0";

/** A client transport over a spawned server that can also write raw bytes to its stdin. */
class RawStdio implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly lines: string[] = [];
  stderr = "";
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string>) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
    // A server that died mid-write (the failure these tests look for) must fail the test, not vitest.
    this.child.stdin?.on("error", () => {});
    this.child.stderr?.setEncoding("utf8");
    this.child.stderr?.on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    if (!this.child.stdout) throw new Error("no stdout pipe");
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      this.lines.push(line);
      try {
        this.onmessage?.(JSON.parse(line));
      } catch {
        // recorded in lines
      }
    });
  }
  async start() {}
  async send(message: JSONRPCMessage) {
    this.writeRaw(`${JSON.stringify(message)}\n`);
  }
  writeRaw(data: string | Buffer) {
    this.child.stdin?.write(data);
  }
  /** Messages the server wrote with this id. */
  answersTo(id: number | string): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((m) => m.id === id);
  }
  async waitFor<T>(check: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; stderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  async close() {
    this.child.stdin?.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(timer);
    this.onclose?.();
  }
}

const opened: RawStdio[] = [];
const backends: HostileBackend[] = [];
afterEach(async () => {
  for (const t of opened.splice(0)) await t.close();
  for (const b of backends.splice(0)) await b.close();
});

async function connect(args: string[] = ["--demo"], env: Record<string, string> = {}) {
  const transport = new RawStdio(args, env);
  opened.push(transport);
  const client = new Client({ name: "hostile-stdio", version: "0" });
  await client.connect(transport);
  return { client, transport };
}

async function expectNormalCall(client: Client, meetingId = DEMO_MEETING) {
  const result = (await client.callTool({ name: "get_active_sessions", arguments: { meetingId } })) as CallToolResult;
  expect(result.isError ?? false, resultText(result)).toBe(false);
}

describe("a message over the 10 MiB limit", () => {
  it("is discarded with an error reply and a line on stderr, and the session goes on", async () => {
    const { client, transport } = await connect();
    const huge = JSON.stringify({
      method: "tools/call",
      params: { name: "get_active_sessions", arguments: { meetingId: "x".repeat(11 * 1024 * 1024) } },
      jsonrpc: "2.0",
      id: 9001,
    });
    // In pieces, as a pipe delivers it.
    for (let i = 0; i < huge.length; i += 1 << 20) transport.writeRaw(huge.slice(i, i + (1 << 20)));
    transport.writeRaw("\n");
    const [reply] = await transport.waitFor(() => {
      const answers = transport.answersTo(9001);
      return answers.length > 0 ? answers : undefined;
    }, "the reply to the oversized request");
    expect(reply).toMatchObject({ error: { code: -32600, message: expect.stringMatching(/larger than 10 MiB/) } });
    expect(transport.stderr).toMatch(/discarded a message of \d+ bytes, over the 10 MiB limit.*still serving/);
    expect(transport.child.exitCode).toBeNull();
    await expectNormalCall(client);
  });

  it("also without a recoverable id, and when it is the last thing before end-of-file", async () => {
    const { client, transport } = await connect();
    transport.writeRaw(`[${"1,".repeat(6 * 1024 * 1024)}1]\n`);
    await transport.waitFor(() => (/discarded a message/.test(transport.stderr) ? true : undefined), "stderr");
    await expectNormalCall(client);
    transport.writeRaw("y".repeat(11 * 1024 * 1024));
    transport.child.stdin?.end();
    expect(await transport.exited).toBe(0);
  });
});

describe("messages JSON-RPC would answer with an error", () => {
  it("a batch, a request that is not JSON-RPC, and a line that is not JSON get -32600 / -32700", async () => {
    const { client, transport } = await connect();
    transport.writeRaw(
      `${JSON.stringify([
        { jsonrpc: "2.0", id: 71, method: "tools/list" },
        { jsonrpc: "2.0", id: "b", method: "ping" },
        { jsonrpc: "2.0", method: "notifications/initialized" },
      ])}\n`,
    );
    transport.writeRaw(`${JSON.stringify({ jsonrpc: "2.0", id: 72, method: 5 })}\n`);
    transport.writeRaw(`${JSON.stringify({ id: 73, method: "tools/list" })}\n`);
    transport.writeRaw("this is not json\n");
    for (const id of [71, "b", 72, 73]) {
      const [reply] = await transport.waitFor(() => {
        const answers = transport.answersTo(id);
        return answers.length > 0 ? answers : undefined;
      }, `the reply to ${id}`);
      expect(reply).toMatchObject({ jsonrpc: "2.0", error: { code: -32600 } });
    }
    await transport.waitFor(
      () => (transport.lines.some((l) => l.includes("-32700")) ? true : undefined),
      "the parse error",
    );
    await expectNormalCall(client);
  });
});

describe("a script that pipes its requests and closes stdin", () => {
  const initialize = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "script", version: "0" } },
  };
  const callTool = (id: number, meetingId: string) => ({
    jsonrpc: "2.0",
    id,
    method: "tools/call",
    params: { name: "get_active_sessions", arguments: { meetingId } },
  });

  async function pipe(lines: object[], env: Record<string, string>, args: string[] = []) {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => {
      stdout += c;
    });
    child.stderr.on("data", (c) => {
      stderr += c;
    });
    child.stdin.end(lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    clearTimeout(timer);
    const messages = stdout
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id?: number; result?: CallToolResult; error?: unknown });
    return { code, messages, stderr };
  }

  it("gets every answer: the calls in flight at end-of-file finish, then the server exits 0", async () => {
    const backend = await startHostileBackend((_r, res) => {
      // Slow enough that stdin has long ended when the answers come.
      setTimeout(() => success(res, []), 300);
    });
    backends.push(backend);
    const { code, messages, stderr } = await pipe(
      [initialize, { jsonrpc: "2.0", method: "notifications/initialized" }, callTool(2, MEETING), callTool(3, MEETING)],
      { CONNVO_CONVEX_URL: backend.url, CONNVO_TOKEN: "tok-script-0123456789abcdef" },
    );
    expect(code, stderr).toBe(0);
    expect(messages.map((m) => m.id).sort()).toEqual([1, 2, 3]);
    for (const id of [2, 3]) {
      const answer = messages.find((m) => m.id === id)?.result;
      expect(answer?.isError ?? false, JSON.stringify(answer)).toBe(false);
    }
  });

  it("with --demo, as the README's one-liner does", async () => {
    const { code, messages } = await pipe([initialize, callTool(2, DEMO_MEETING)], {}, ["--demo"]);
    expect(code).toBe(0);
    expect(messages.find((m) => m.id === 2)?.result?.isError ?? false).toBe(false);
  });

  it("a call that cannot finish is answered at its deadline, and the server still exits", async () => {
    const backend = await startHostileBackend(() => {
      // never answers
    });
    backends.push(backend);
    const started = Date.now();
    const { code, messages } = await pipe([initialize, callTool(2, MEETING)], {
      CONNVO_CONVEX_URL: backend.url,
      CONNVO_TOKEN: "tok-script-0123456789abcdef",
      CONNVO_TIMEOUT_MS: "1000",
    });
    expect(code).toBe(0);
    expect(resultText(messages.find((m) => m.id === 2)?.result as CallToolResult)).toMatch(/did not answer within 1 s/);
    expect(Date.now() - started).toBeLessThan(20_000); // ends at its deadline; the backend would hang forever
  });
});

describe("a burst of answers the client reads slowly", () => {
  it("writes them all without MaxListenersExceededWarning", async () => {
    const { client, transport } = await connect();
    transport.child.stdout?.pause();
    const calls = Array.from(
      { length: 300 },
      () =>
        client.callTool({
          name: "get_active_sessions",
          arguments: { meetingId: DEMO_MEETING, format: "detailed" },
        }) as Promise<CallToolResult>,
    );
    // Let the answers pile up in the pipe (64 KB) while nobody reads, then read them.
    await new Promise((r) => setTimeout(r, 1500));
    transport.child.stdout?.resume();
    const results = await Promise.all(calls);
    expect(results.every((r) => !r.isError)).toBe(true);
    expect(transport.stderr).not.toMatch(/MaxListenersExceededWarning/);
  });
});
