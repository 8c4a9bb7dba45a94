// The floor of a stdio hop: a bare Node process that answers each newline-delimited JSON-RPC
// request with a fixed result. No SDK, no validation, no backend call.
import { createInterface } from "node:readline";

const TOOLS = { tools: [{ name: "echo", inputSchema: { type: "object" } }] };
createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  if (message.id === undefined) return;
  const result =
    message.method === "initialize"
      ? {
          protocolVersion: message.params.protocolVersion,
          capabilities: { tools: {} },
          serverInfo: { name: "echo", version: "0" },
        }
      : message.method === "tools/list"
        ? TOOLS
        : { content: [{ type: "text", text: "ok" }] };
  process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id: message.id, result })}\n`);
});
