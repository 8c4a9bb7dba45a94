// The floor of an MCP SDK server that calls Convex: the same SDK and stdio entry point as
// connvo-mcp (McpServer + serveStdio), one tool that makes one ConvexHttpClient.query (one client,
// made once, with connvo-mcp's fetch) and returns the value as JSON text. No summary, no output
// schema. Reads CONNVO_CONVEX_URL and CONNVO_TOKEN. Bundled like connvo-mcp; the cold-start figure
// also starts it from a startup snapshot of its own.
import { startupSnapshot } from "node:v8";
import { McpServer, preloadSchemas } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { ConvexHttpClient } from "convex/browser";
import { z } from "zod";
import { createFastFetch } from "../../src/convex/fetch.js";

function start() {
  const client = new ConvexHttpClient(process.env.CONNVO_CONVEX_URL ?? "", {
    logger: false,
    skipConvexDeploymentUrlCheck: true,
    fetch: createFastFetch(),
  });
  client.setAuth(process.env.CONNVO_TOKEN ?? "");
  serveStdio(() => {
    const server = new McpServer({ name: "sdk-proxy", version: "0.0.0" }, { capabilities: { tools: {} } });
    server.registerTool(
      "proxy",
      { description: "getActiveSessions, raw", inputSchema: z.object({ meetingId: z.string() }) },
      async ({ meetingId }) => {
        const value = await client.query("meetings/webrtc/index:getActiveSessions" as never, { meetingId } as never);
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
