/**
 * A bare stdio "MCP server" for the benchmark's floors: newline-delimited JSON-RPC, initialize and
 * tools/list answered by hand, every tools/call answered with the text `call` resolves to. No MCP
 * SDK, no validation: what is left is the process hop and the backend call itself.
 */
import { createInterface } from "node:readline";

export function serveBareStdio(name: string, call: (args: unknown) => Promise<string>): void {
  const write = (id: unknown, result: unknown) =>
    process.stdout.write(`${JSON.stringify({ jsonrpc: "2.0", id, result })}\n`);
  createInterface({ input: process.stdin }).on("line", (line) => {
    const message = JSON.parse(line);
    if (message.id === undefined) return;
    if (message.method === "initialize") {
      return write(message.id, {
        protocolVersion: message.params.protocolVersion,
        capabilities: { tools: {} },
        serverInfo: { name, version: "0" },
      });
    }
    if (message.method === "tools/list") {
      return write(message.id, { tools: [{ name: "proxy", inputSchema: { type: "object" } }] });
    }
    call(message.params.arguments).then(
      (text) => write(message.id, { content: [{ type: "text", text }] }),
      (error) => write(message.id, { content: [{ type: "text", text: String(error) }], isError: true }),
    );
  });
}
