// The floor of a stdio server that calls the deployment: a bare Node process that answers each
// tools/call with one raw-socket round trip (bench/lib/rawHttp.ts) and the value as JSON text. No
// MCP SDK, no HTTP client, no validation. Reads CONNVO_CONVEX_URL and CONNVO_TOKEN.
import { serveBareStdio } from "../lib/bareStdio.js";
import { rawHttp } from "../lib/rawHttp.js";

const raw = rawHttp(process.env.CONNVO_CONVEX_URL ?? "", { Authorization: `Bearer ${process.env.CONNVO_TOKEN}` });
serveBareStdio("raw", async (args) => {
  const body = JSON.stringify({
    path: "meetings/webrtc/index:getActiveSessions",
    format: "convex_encoded_json",
    args: [args],
  });
  return JSON.stringify(JSON.parse(await raw.post("/api/query", body)).value);
});
