/**
 * A plain HTTP server on loopback that answers by path with handlers a test sets, and records every
 * request it got (url, method, headers, body): for tests of connvo-mcp's own HTTP client.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type RouteHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

export interface SeenRequest {
  url: string;
  method: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface RouteServer {
  /** Handlers by path (the query does not count); any other path answers 404. */
  readonly routes: Map<string, RouteHandler>;
  readonly seen: SeenRequest[];
  /** Listens on a free port; resolves with http://127.0.0.1:PORT. */
  start(): Promise<string>;
  /** Closes the server and every connection, idle or not. */
  close(): Promise<void>;
}

export function routeServer(): RouteServer {
  const routes = new Map<string, RouteHandler>();
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", () => {
      seen.push({ url: req.url ?? "", method: req.method ?? "", headers: req.headers, body });
      const route = routes.get(new URL(req.url ?? "/", "http://x").pathname);
      if (route) route(req, res, body);
      else res.writeHead(404).end("missing");
    });
  });
  return {
    routes,
    seen,
    start: () =>
      new Promise((resolve) =>
        server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
      ),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
