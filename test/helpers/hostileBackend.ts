/**
 * A hostile (or merely broken) Convex deployment on loopback: a tiny node:http server that speaks
 * the part of Convex's wire protocol `ConvexHttpClient` uses (`POST /api/query|mutation|action`
 * with `{path, args: [args]}`; `{status, value | errorMessage, errorData}` back, 560 for a function
 * that threw), and answers every request with whatever the test sets as its `respond` function.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FunctionRequest {
  /** /api/query, /api/mutation or /api/action. */
  endpoint: string;
  /** The Convex function path, e.g. "meetings/webrtc/index:getActiveSessions". */
  path: string;
  args: Record<string, unknown>;
  authorization: string | undefined;
}

export type Respond = (request: FunctionRequest, res: ServerResponse) => void;

export interface HostileBackend {
  url: string;
  /** How the next requests are answered; replace it per scenario. */
  respond: Respond;
  /** Function requests received since start or the last reset. */
  requests: FunctionRequest[];
  reset(): void;
  close(): Promise<void>;
}

/** A successful Convex answer. */
export function success(res: ServerResponse, value: unknown): void {
  json(res, 200, { status: "success", value, logLines: [] });
}

/** A function that threw on the deployment (HTTP 560, as Convex answers it). */
export function udfError(res: ServerResponse, errorMessage: string, errorData?: unknown): void {
  json(res, 560, { status: "error", errorMessage, ...(errorData !== undefined ? { errorData } : {}), logLines: [] });
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}

export async function startHostileBackend(respond: Respond = (_r, res) => success(res, [])): Promise<HostileBackend> {
  const sockets = new Set<import("node:net").Socket>();
  const backend: HostileBackend = {
    url: "",
    respond,
    requests: [],
    reset() {
      backend.requests = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer(async (req, res) => {
    const text = await readBody(req);
    let body: { path?: unknown; args?: unknown } = {};
    try {
      body = JSON.parse(text);
    } catch {
      // answered below like any other request
    }
    const args = Array.isArray(body.args) ? (body.args[0] ?? {}) : (body.args ?? {});
    const request: FunctionRequest = {
      endpoint: new URL(req.url ?? "/", "http://x").pathname,
      path: typeof body.path === "string" ? body.path : "",
      args: args as Record<string, unknown>,
      authorization: req.headers.authorization,
    };
    backend.requests.push(request);
    try {
      backend.respond(request, res);
    } catch (error) {
      if (!res.headersSent) json(res, 500, { code: "TestBackendFailed", message: String(error) });
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  backend.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return backend;
}
