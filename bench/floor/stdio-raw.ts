// The floor of a stdio server that calls the deployment: a bare Node process that answers each
// tools/call with one raw-socket round trip (bench/lib/rawHttp.ts) and the value as JSON text. No
// MCP SDK, no HTTP client, no validation. Reads CONNVO_CONVEX_URL and CONNVO_TOKEN.
import { createInterface } from "node:readline";
import { rawHttp } from "../lib/rawHttp.js";

const raw = rawHttp(process.env.CONNVO_CONVEX_URL ?? "", { Authorization: `Bearer ${process.env.CONNVO_TOKEN}` });
const write = (id: unknown, result: unknown) =>
  process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id, result })}\n`);
createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  if (message.id === undefined) return;
  if (message.method === "initialize") {
    return write(message.id, {
      protocolVersion: message.params.protocolVersion,
      capabilities: { tools: {} },
      serverInfo: { name: "raw", version: "0" },
    });
  }
  if (message.method === "tools/list")
    return write(message.id, { tools: [{ name: "proxy", inputSchema: { type: "object" } }] });
  const body = JSON.stringify({
    path: "meetings/webrtc/index:getActiveSessions",
    format: "convex_encoded_json",
    args: [message.params.arguments],
  });
  raw.post("/api/query", body).then(
    (text) => write(message.id, { content: [{ type: "text", text: JSON.stringify(JSON.parse(text).value) }] }),
    (error) => write(message.id, { content: [{ type: "text", text: String(error) }], isError: true }),
  );
});
