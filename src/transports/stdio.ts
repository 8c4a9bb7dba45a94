/**
 * stdio: what desktop clients spawn. stdout carries only protocol messages (the SDK writes
 * them); everything else goes to stderr. Resolves when the client closes stdin.
 */
import type { McpServer } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { log } from "../core/log.js";

export function runStdio(factory: () => McpServer): Promise<void> {
  const handle = serveStdio(factory, { onerror: (error) => log("warn", `stdio transport: ${error.message}`) });
  return new Promise((resolve) => {
    const done = () => {
      void handle.close().finally(resolve);
    };
    process.stdin.once("end", done);
    process.stdin.once("close", done);
  });
}
