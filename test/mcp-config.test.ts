/** The client configuration the README hands out must actually start a working server. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/paths.js";

type Entry = { command: string; args: string[]; env?: Record<string, string> };

describe("client configuration", () => {
  it("mcp.json is a stdio mcpServers entry that names the token and deployment variables", () => {
    const config = JSON.parse(readFileSync(join(ROOT, "mcp.json"), "utf8")) as { mcpServers: Record<string, Entry> };
    const entry = config.mcpServers.connvo;
    expect(entry?.command).toBe("npx");
    expect(entry?.args).toEqual(["-y", "connvo-mcp"]);
    expect(Object.keys(entry?.env ?? {}).sort()).toEqual(["CONNVO_DEPLOYMENT", "CONNVO_TOKEN"]);
  });

  it("npm run mcp-config prints an entry for this clone that a real client can start", async () => {
    const printed = execFileSync(process.execPath, ["scripts/mcp-config.mjs", "--demo"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    const entry = (JSON.parse(printed) as { mcpServers: { connvo: Entry } }).mcpServers.connvo;
    // The fast start: the launcher, told which node to run (a desktop app may have none on PATH).
    if (process.platform !== "win32") {
      expect(entry.command).toBe(join(ROOT, "dist", "connvo-mcp"));
      expect(entry.env?.CONNVO_MCP_NODE).toBe(process.execPath);
    }
    const client = new Client({ name: "mcp-config-test", version: "0" });
    await client.connect(
      new StdioClientTransport({ command: entry.command, args: entry.args, env: entry.env, stderr: "ignore" }),
    );
    try {
      expect((await client.listTools()).tools.map((t) => t.name)).toContain("get_active_sessions");
    } finally {
      await client.close();
    }
  });
});
