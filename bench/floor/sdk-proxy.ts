// The floor of an MCP SDK server that calls Convex: the same SDK and stdio entry point as
// connvo-mcp (McpServer + serveStdio), one tool that makes connvo-mcp's own backend call
// (./backendCall.ts) and returns the value as JSON text. No summary, no output
// schema. Reads CONNVO_CONVEX_URL and CONNVO_TOKEN. Bundled like connvo-mcp; the cold-start figure
// also starts it from a startup snapshot of its own.
import { startupSnapshot } from "node:v8";
import { McpServer, preloadSchemas } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { z } from "zod";
import { floorBackendCall } from "./backendCall.js";

function start() {
  const call = floorBackendCall();
  serveStdio(() => {
    const server = new McpServer({ name: "sdk-proxy", version: "0.0.0" }, { capabilities: { tools: {} } });
    server.registerTool(
      "proxy",
      { description: "getActiveSessions, raw", inputSchema: z.object({ meetingId: z.string() }) },
      async ({ meetingId }) => {
        const value = await call({ meetingId });
        return { content: [{ type: "text", text: JSON.stringify(value) }] };
      },
    );
    return server;
  });
}

if (startupSnapshot.isBuildingSnapshot()) {
  preloadSchemas();
  startupSnapshot.setDeserializeMainFunction(start);
} else start();
