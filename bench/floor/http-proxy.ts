// The floor of a Streamable HTTP server that calls Convex: a bare node:http server (no MCP SDK, no
// validation, no summary) that answers initialize and tools/list by hand, each tools/call with
// connvo-mcp's own backend call (./backendCall.ts) as JSON text in an application/json body, and a
// notification with 202. Listens on 127.0.0.1 (port from --port, 0 by default) and says where on
// stderr as connvo-mcp does. Reads CONNVO_CONVEX_URL and CONNVO_TOKEN.
import http from "node:http";
import { floorBackendCall } from "./backendCall.js";

const call = floorBackendCall();
const portFlag = process.argv.indexOf("--port");
const port = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : 0;

function answer(res: http.ServerResponse, id: unknown, result: unknown): void {
  const body = JSON.stringify({ jsonrpc: "2.0", id, result });
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const message = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
    if (message.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    if (message.method === "initialize") {
      return answer(res, message.id, {
        protocolVersion: message.params.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name: "http-proxy", version: "0" },
      });
    }
    if (message.method === "tools/list") {
      return answer(res, message.id, { tools: [{ name: "proxy", inputSchema: { type: "object" } }] });
    }
    call(message.params.arguments).then(
      (value) => answer(res, message.id, { content: [{ type: "text", text: JSON.stringify(value) }] }),
      (error) => answer(res, message.id, { content: [{ type: "text", text: String(error) }], isError: true }),
    );
  });
});
server.listen(port, "127.0.0.1", () => {
  const { port: bound } = server.address() as import("node:net").AddressInfo;
  process.stderr.write(`http-proxy: listening on http://127.0.0.1:${bound}/mcp\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
