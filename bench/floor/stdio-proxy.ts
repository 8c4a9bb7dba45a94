// The floor of a stdio server that calls Convex: a bare Node process that answers each tools/call
// with one ConvexHttpClient.query (one client, made once, with connvo-mcp's fetch) and the value
// as JSON text. No MCP SDK, no validation, no summary. Reads CONNVO_CONVEX_URL and CONNVO_TOKEN.
import { ConvexHttpClient } from "convex/browser";
import { createFastFetch } from "../../src/convex/fetch.js";
import { serveBareStdio } from "../lib/bareStdio.js";

const client = new ConvexHttpClient(process.env.CONNVO_CONVEX_URL ?? "", {
  logger: false,
  skipConvexDeploymentUrlCheck: true,
  fetch: createFastFetch(),
});
client.setAuth(process.env.CONNVO_TOKEN ?? "");
serveBareStdio("proxy", async (args) =>
  JSON.stringify(await client.query("meetings/webrtc/index:getActiveSessions" as never, args as never)),
);
