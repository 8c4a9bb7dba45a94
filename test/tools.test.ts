/**
 * Walks every tool: explicit annotations, a description that says what/when/returns/limits
 * within a sane length, object schemas, and a snapshot of each definition as clients see it.
 */
import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { createServerFactory } from "../src/server.js";
import { ALL_TOOLS } from "../src/tools/index.js";

async function listedTools() {
  const factory = createServerFactory({
    backendFor: () => {
      throw new Error("no backend in this test");
    },
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await factory().connect(serverSide);
  const client = new Client({ name: "t", version: "0" });
  await client.connect(clientSide);
  const { tools } = await client.listTools();
  await client.close();
  return tools;
}

describe("every tool", () => {
  it.each(ALL_TOOLS.map((t) => [t.name, t] as const))("%s is well defined", (_name, tool) => {
    expect(tool.name).toMatch(/^[a-z][a-z0-9_]{2,63}$/);
    expect(tool.title.length).toBeGreaterThan(5);
    expect(tool.description.length).toBeGreaterThanOrEqual(200);
    expect(tool.description.length).toBeLessThanOrEqual(1024);
    expect(tool.description).toMatch(/Use it when/);
    expect(tool.description).toMatch(/Returns/);
    expect(tool.description).toMatch(/Limits/);
    for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
      expect(typeof tool.annotations[hint]).toBe("boolean");
    }
    // Read-only by default: nothing this server offers today may change Connvo data.
    expect(tool.annotations.readOnlyHint).toBe(true);
    expect(tool.annotations.destructiveHint).toBe(false);
  });

  it("lists exactly the registered tools with object schemas, and matches the snapshot", async () => {
    const tools = await listedTools();
    expect(tools.map((t) => t.name)).toEqual(ALL_TOOLS.map((t) => t.name));
    for (const tool of tools) {
      expect(tool.inputSchema.type).toBe("object");
      expect(tool.outputSchema?.type).toBe("object");
    }
    await expect(JSON.stringify(tools, null, 2)).toMatchFileSnapshot("__snapshots__/tools.json");
  });
});
