/**
 * `npm run demo`: a real MCP client round trip, no Connvo account needed. Spawns the bundled
 * server with --demo over stdio (the way Claude Desktop or Cursor would), lists its tools, calls
 * get_active_sessions on a few seeded meetings, and prints exactly what the agent would read.
 */
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { DEMO_MEETINGS } from "../src/demo/seed.js";

const out = (line = "") => process.stdout.write(`${line}\n`);

const transport = new StdioClientTransport({
  command: process.execPath,
  args: ["dist/cli.js", "--demo"],
  stderr: "ignore",
});
const client = new Client({ name: "connvo-mcp-demo", version: "1.0.0" });
await client.connect(transport);
const server = client.getServerVersion();
out(`Connected to ${server?.name} ${server?.version} over stdio (embedded demo deployment).`);

const { tools } = await client.listTools();
for (const tool of tools) {
  out(`\nTool ${tool.name}: ${tool.title}`);
  out(`  input: ${JSON.stringify(tool.inputSchema.properties)}`);
  out(`  annotations: ${JSON.stringify(tool.annotations)}`);
}

const calls: Array<[string, Record<string, unknown>]> = [
  ["a healthy call", { meetingId: DEMO_MEETINGS.healthy.id }],
  ["a poor connection", { meetingId: DEMO_MEETINGS.poorConnection.id }],
  ["someone on two devices", { meetingId: DEMO_MEETINGS.twoDevices.id }],
  ["an all-hands with 400 sessions, 5 listed", { meetingId: DEMO_MEETINGS.large.id, limit: 5 }],
  ["an empty meeting", { meetingId: DEMO_MEETINGS.empty.id }],
  ["a meeting the demo user may not see", { meetingId: DEMO_MEETINGS.forbidden.id }],
  ["a string that is not a meeting ID", { meetingId: "standup-tuesday" }],
];
for (const [label, args] of calls) {
  const result = await client.callTool({ name: "get_active_sessions", arguments: args });
  out(`\n=== get_active_sessions ${JSON.stringify(args)}: ${label}${result.isError ? " (isError)" : ""}`);
  for (const block of result.content) if (block.type === "text") out(block.text);
}
await client.close();
