/**
 * Spawns the real bundled server with `--http --port 0` and reads the URL it logs on stderr, so
 * tests never guess a free port. Also connects real MCP clients of either protocol era to it.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { request as httpRequest } from "node:http";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { CLI, ROOT } from "./paths.js";

export interface HttpServerProcess {
  /** http://127.0.0.1:PORT/mcp as the server logged it. */
  url: string;
  /** http://HOST:PORT, for other paths. */
  origin: string;
  child: ChildProcess;
  stderr(): string;
  /** Resolves with the exit code (null if killed by a signal). */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL if it is still running after 10 s; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const LISTENING = /listening on (http:\/\/\S+\/mcp)/;

export async function spawnHttpServer(
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<HttpServerProcess> {
  const child = spawn(process.execPath, [CLI, "--http", "--port", "0", ...(options.args ?? [])], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      stderr += chunk;
      const match = LISTENING.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening:\n${stderr}`)));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return { url, origin: new URL(url).origin, child, stderr: () => stderr, exited, stop };
}

/** Runs the CLI to completion (for startup refusals). */
export function runCli(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: 20_000,
  });
}

export type Era = "legacy" | "modern";
export const MODERN_VERSION = "2026-07-28";

/** A real SDK v2 client: `legacy` speaks the 2025 initialize handshake, `modern` is pinned to 2026-07-28. */
export async function connectClient(url: string, era: Era, token?: string): Promise<Client> {
  const client = new Client(
    { name: "connvo-mcp-http-tests", version: "0.0.0" },
    { versionNegotiation: { mode: era === "legacy" ? "legacy" : { pin: MODERN_VERSION } } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: token ? { headers: { Authorization: `Bearer ${token}` } } : undefined,
  });
  await client.connect(transport);
  return client;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One plain HTTP/1.1 request with exactly the headers given (node:http lets tests set Host, which
 * fetch does not). A body may be a string or a number of bytes to send as chunked filler.
 */
export function rawRequest(
  origin: string,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | { chunkedBytes: number };
  },
): Promise<RawResponse> {
  const url = new URL(options.path ?? "/mcp", origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? "POST", headers: options.headers, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          body += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on("error", reject);
      },
    );
    // The server may answer (and close) before the whole body is sent; the answer is what counts.
    req.on("error", (error) => reject(error));
    const body = options.body;
    if (body === undefined) req.end();
    else if (typeof body === "string") req.end(body);
    else {
      const chunk = Buffer.alloc(64 * 1024, "a");
      let sent = 0;
      const pump = () => {
        while (sent < body.chunkedBytes) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    }
  });
}

/** A JSON-RPC initialize request body (2025 era), the first thing a legacy client sends. */
export const INITIALIZE_BODY = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
});

export const MCP_POST_HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
