/**
 * `npm run demo`: a real agent's path through the toolkit, no Connvo account needed. Spawns the
 * bundled server with --demo over stdio (the way Claude Desktop or Cursor would) and asks what a
 * meeting assistant asks: what is on today, who is in the live meeting and how their connections
 * are, what was said in the last 5 minutes, and what came out of yesterday's meeting. It prints
 * exactly what the agent reads, then the demo meeting IDs to try in any client.
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
out(`Connected to ${server?.name} ${server?.version} over stdio (embedded demo deployment, read-only).`);
const { tools } = await client.listTools();
out(`Tools: ${tools.map((t) => t.name).join(", ")}`);

interface Listed {
  meetings: { meetingId: string; title: string; state: string; startLocal?: string }[];
}

async function ask(question: string, name: string, args: Record<string, unknown>) {
  out(`\n=== "${question}" → ${name} ${JSON.stringify(args)}`);
  const result = await client.callTool({ name, arguments: args });
  for (const block of result.content) if (block.type === "text") out(block.text);
  if (result.isError) throw new Error(`${name} failed`);
  return result.structuredContent as Record<string, unknown>;
}

const today = (await ask("What's on my calendar today?", "list_meetings", { when: "today" })) as unknown as Listed;
const live = today.meetings.find((m) => m.state === "live");
if (!live) throw new Error("the demo world has no live meeting");
await ask("Who is in the live meeting, and who hasn't joined?", "get_meeting", { meetingId: live.meetingId });
await ask("How are their connections?", "get_active_sessions", { meetingId: live.meetingId });
await ask("What was said in the last 5 minutes?", "get_transcript", { meetingId: live.meetingId, lastMinutes: 5 });
const past = (await ask("Which meetings did I have recently?", "list_meetings", {
  when: "past",
  limit: 5,
})) as unknown as Listed;
const yesterday = past.meetings[0];
if (!yesterday) throw new Error("the demo world has no past meeting");
await ask("What did we decide yesterday, and what are the action items?", "get_meeting_summary", {
  meetingId: yesterday.meetingId,
});
await ask("A meeting I may not see", "get_active_sessions", { meetingId: DEMO_MEETINGS.forbidden.id }).catch(
  () => undefined,
);

const all = (await client.callTool({ name: "list_meetings", arguments: { limit: 100 } }))
  .structuredContent as unknown as Listed;
out("\nDemo meetings to try in any client (connvo-mcp --demo):");
for (const m of all.meetings) out(`  ${m.meetingId}  ${m.state.padEnd(9)} ${m.title}`);
await client.close();
