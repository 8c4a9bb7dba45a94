/**
 * A raw JSON-RPC 2.0 driver over a child process's stdio pipes: newline-delimited messages, as the
 * MCP stdio transport frames them. No SDK on the client side, so the timings include only the
 * server's work and the pipe hops, not a client library's validation.
 */
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { nowMs } from "./stats.js";

export interface JsonRpcResponse {
  jsonrpc: "2.0";
  id: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export const PROTOCOL_VERSION = "2025-06-18";
const REQUEST_TIMEOUT_MS = 30_000;

export class StdioRpc {
  readonly child: ChildProcessWithoutNullStreams;
  readonly spawnedAt: number;
  stderr = "";
  /** stdout lines that were not JSON (a stdio server must never print any). */
  readonly strayLines: string[] = [];
  private buffer = "";
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: JsonRpcResponse) => void; reject: (e: Error) => void }>();
  readonly exited: Promise<number | null>;

  constructor(command: string, args: readonly string[], env: Record<string, string>, cwd: string) {
    this.spawnedAt = nowMs();
    this.child = spawn(command, args, { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code) => {
        const error = new Error(
          `server exited (code ${code}) with requests pending; stderr: ${this.stderr.slice(-600)}`,
        );
        for (const { reject } of this.pending.values()) reject(error);
        this.pending.clear();
        resolve(code);
      }),
    );
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (chunk: string) => this.onData(chunk));
    this.child.stderr.setEncoding("utf8");
    this.child.stderr.on("data", (chunk: string) => {
      // Keep only the tail: some servers log every call.
      this.stderr = (this.stderr + chunk).slice(-8192);
    });
    this.child.stdin.on("error", () => {}); // EPIPE if the child died; the pending request reports it
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let newline = this.buffer.indexOf("\n");
    while (newline >= 0) {
      const line = this.buffer.slice(0, newline);
      this.buffer = this.buffer.slice(newline + 1);
      newline = this.buffer.indexOf("\n");
      if (line.trim() === "") continue;
      let message: JsonRpcResponse;
      try {
        message = JSON.parse(line) as JsonRpcResponse;
      } catch {
        this.strayLines.push(line.slice(0, 200));
        continue;
      }
      if (typeof message.id !== "number") continue; // a notification or a server request
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      waiter?.resolve(message);
    }
  }

  /** Sends a request; resolves with the response (errors included) or rejects if the child exits. */
  request(method: string, params: Record<string, unknown> = {}): Promise<JsonRpcResponse> {
    const id = this.nextId++;
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return Promise.reject(
        new Error(`server already exited; cannot send ${method}; stderr: ${this.stderr.slice(-600)}`),
      );
    }
    return new Promise<JsonRpcResponse>((resolve, reject) => {
      // A benchmark must end: a request unanswered this long fails the run.
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer to ${method} in ${REQUEST_TIMEOUT_MS} ms; stderr: ${this.stderr.slice(-600)}`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, {
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  }

  notify(method: string, params: Record<string, unknown> = {}): void {
    this.child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", method, params })}\n`);
  }

  /** initialize → notifications/initialized → tools/list, as a desktop client does at launch. */
  async handshake(): Promise<JsonRpcResponse> {
    const init = await this.request("initialize", {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: { name: "connvo-mcp-bench", version: "0.0.0" },
    });
    if (init.error) throw new Error(`initialize failed: ${init.error.message}`);
    this.notify("notifications/initialized");
    const list = await this.request("tools/list");
    if (list.error) throw new Error(`tools/list failed: ${list.error.message}`);
    return list;
  }

  /** tools/call; throws on a protocol error or an isError result. */
  async callTool(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const response = await this.request("tools/call", { name, arguments: args });
    if (response.error) throw new Error(`tools/call ${name} failed: ${response.error.message}`);
    const result = response.result as Record<string, unknown>;
    if (result.isError) throw new Error(`tools/call ${name} returned an error: ${textOf(result).slice(0, 400)}`);
    return result;
  }

  /** Resident set size of the child in bytes (Linux /proc VmRSS), or NaN elsewhere. */
  rssBytes(): number {
    try {
      const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
      return match ? Number(match[1]) * 1024 : Number.NaN;
    } catch {
      return Number.NaN;
    }
  }

  /** CPU time (user + system) the child has used so far, in ms (Linux /proc), or NaN elsewhere. */
  cpuMs(): number {
    return processCpuMs(this.pid);
  }

  /** Closes stdin (how MCP clients end a stdio server) and waits; kills after `graceMs`. */
  async close(graceMs = 3000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The concatenated text content of a CallToolResult: what a model that reads text receives. */
export function textOf(result: Record<string, unknown>): string {
  const content = Array.isArray(result.content) ? (result.content as Array<{ type?: string; text?: string }>) : [];
  return content
    .filter((c) => c.type === "text" && typeof c.text === "string")
    .map((c) => c.text)
    .join("\n");
}

let clockTicks: number | undefined;

/** CPU time (user + system) of a process in ms, from /proc/<pid>/stat (clock-tick resolution). */
export function processCpuMs(pid: number): number {
  try {
    clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1000) / clockTicks;
  } catch {
    return Number.NaN;
  }
}
