/**
 * Spawns the real bundled server over stdio and connects a real MCP client to it. A recording
 * client transport keeps every raw stdout line and all of stderr, so tests can prove stdout
 * carries only JSON-RPC and that no secret leaks anywhere.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/client";
import type { JSONRPCMessage, Transport } from "@modelcontextprotocol/server";
import { CLI, ROOT } from "./paths.js";

export class RecordingStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly stdoutLines: string[] = [];
  stderr = "";
  private child?: ChildProcess;
  exitCode: number | null = null;
  readonly exited: Promise<number | null>;
  private resolveExit!: (code: number | null) => void;

  constructor(
    private readonly args: string[],
    private readonly env: Record<string, string>,
  ) {
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [CLI, ...this.args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...this.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child = child;
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    createInterface({ input: child.stdout! }).on("line", (line) => {
      this.stdoutLines.push(line);
      let message: JSONRPCMessage;
      try {
        message = JSON.parse(line);
      } catch {
        return; // recorded; the purity assertion reports it
      }
      this.onmessage?.(message);
    });
    child.on("exit", (code) => {
      this.exitCode = code;
      this.resolveExit(code);
      this.onclose?.();
    });
    child.on("error", (error) => this.onerror?.(error));
  }

  async send(message: JSONRPCMessage): Promise<void> {
    this.child?.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  async close(): Promise<void> {
    this.child?.stdin?.end();
    const timer = setTimeout(() => this.child?.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface SpawnedServer {
  client: Client;
  transport: RecordingStdioTransport;
  close(): Promise<void>;
}

export async function spawnStdioServer(
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<SpawnedServer> {
  const transport = new RecordingStdioTransport(options.args ?? [], options.env ?? {});
  const client = new Client({ name: "connvo-mcp-tests", version: "0.0.0" });
  await client.connect(transport);
  return {
    client,
    transport,
    async close() {
      await client.close();
      await transport.close();
    },
  };
}

/** Every stdout line must be one JSON-RPC 2.0 message. Returns the offending lines. */
export function impureStdoutLines(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    try {
      const message = JSON.parse(line);
      return message?.jsonrpc !== "2.0";
    } catch {
      return true;
    }
  });
}
