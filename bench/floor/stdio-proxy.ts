// The floor of a stdio server that calls Convex: a bare Node process that answers each tools/call
// with one ConvexHttpClient.query (one client, made once, with connvo-mcp's fetch) and the value
// as JSON text. No MCP SDK, no validation, no summary. Reads CONNVO_CONVEX_URL and CONNVO_TOKEN.
import { createInterface } from "node:readline";
import { ConvexHttpClient } from "convex/browser";
import { createFastFetch } from "../../src/convex/fetch.js";

const client = new ConvexHttpClient(process.env.CONNVO_CONVEX_URL ?? "", {
  logger: false,
  skipConvexDeploymentUrlCheck: true,
  fetch: createFastFetch(),
});
client.setAuth(process.env.CONNVO_TOKEN ?? "");
const write = (id: unknown, result: unknown) =>
  process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id, result })}\n`);
createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  if (message.id === undefined) return;
  if (message.method === "initialize") {
    return write(message.id, {
      protocolVersion: message.params.protocolVersion,
      capabilities: { tools: {} },
      serverInfo: { name: "proxy", version: "0" },
    });
  }
  if (message.method === "tools/list")
    return write(message.id, { tools: [{ name: "proxy", inputSchema: { type: "object" } }] });
  client.query("meetings/webrtc/index:getActiveSessions" as never, message.params.arguments).then(
    (value) => write(message.id, { content: [{ type: "text", text: JSON.stringify(value) }] }),
    (error) => write(message.id, { content: [{ type: "text", text: String(error) }], isError: true }),
  );
});
