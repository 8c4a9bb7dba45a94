/**
 * Walks every tool of the inventory: explicit annotations, a description that says what/when/
 * returns/limits within a sane length, an input schema that is the OpenAPI args plus MCP-side
 * options, declared operations that exist with a kind, and one snapshot file per tool as clients
 * see it (test/__toolsnaps__/<tool>.json). Also the inventory's read-only default and allow-list.
 */
import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { operation } from "../src/openapi/registry.js";
import { createServerFactory } from "../src/server.js";
import type { AnyTool } from "../src/tools/define.js";
import { ALL_TOOLS, instructionsFor, selectTools } from "../src/tools/inventory.js";

async function listed(tools?: readonly AnyTool[]) {
  const factory = createServerFactory({
    backendFor: () => {
      throw new Error("no backend in this test");
    },
    tools,
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await factory().connect(serverSide);
  const client = new Client({ name: "t", version: "0" });
  await client.connect(clientSide);
  const { tools: list } = await client.listTools();
  const instructions = client.getInstructions();
  await client.close();
  return { list, instructions };
}

const byName = (name: string) => ALL_TOOLS.find((t) => t.name === name) as AnyTool;

describe("every tool", () => {
  it.each(ALL_TOOLS.map((t) => [t.name] as const))("%s is well defined", (name) => {
    const tool = byName(name);
    expect(tool.name).toMatch(/^[a-z][a-z0-9_]{2,63}$/);
    expect(tool.title.length).toBeGreaterThan(5);
    expect(tool.description.length).toBeGreaterThanOrEqual(200);
    expect(tool.description.length).toBeLessThanOrEqual(1024);
    expect(tool.description).toMatch(/Use it when/);
    expect(tool.description).toMatch(/Returns/);
    expect(tool.description).toMatch(/Limits/);
    for (const hint of ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] as const) {
      expect(typeof tool.annotations[hint], hint).toBe("boolean");
    }
    // The description says plainly whether it changes data, and agrees with the annotations.
    expect(tool.description).toMatch(tool.write ? /Changes Connvo data/ : /Read-only\./);
    expect(tool.write).toBe(!tool.annotations.readOnlyHint);
    if (!tool.write) expect(tool.annotations.destructiveHint).toBe(false);
    expect(tool.operations.length).toBeGreaterThan(0);
    for (const path of tool.operations) expect(["query", "mutation", "action"]).toContain(operation(path).kind);
    for (const [arg, table] of Object.entries(tool.idArgs)) {
      expect(tool.inputSchema.shape[arg], `${name}.${arg}`).toBeDefined();
      expect(table).toMatch(/^[a-zA-Z]+$/);
    }
  });

  it.each(ALL_TOOLS.map((t) => [t.name] as const))(
    "%s advertises the OpenAPI args verbatim, plus its options",
    async (name) => {
      const tool = byName(name);
      const { list } = await listed([tool]);
      const shown = list[0]?.inputSchema as { properties: Record<string, unknown>; required?: string[] };
      const schema = tool.args ? operation(tool.args.from).argsSchema : { properties: {}, required: [] };
      const fromOpenApi = Object.keys(schema.properties ?? {}).filter(
        (key) => !tool.args?.pick || tool.args.pick.includes(key),
      );
      for (const key of fromOpenApi) expect(shown.properties[key], key).toEqual(schema.properties?.[key]);
      for (const key of schema.required ?? []) {
        if (!fromOpenApi.includes(key)) continue;
        // A tool may make an OpenAPI argument optional (get_person without userId: the caller).
        if (tool.args?.optional?.includes(key)) expect(shown.required ?? []).not.toContain(key);
        else expect(shown.required).toContain(key);
      }
      // Everything else is an MCP-side option of the tool.
      const options = Object.keys(shown.properties).filter((key) => !fromOpenApi.includes(key));
      expect(options.sort()).toEqual(Object.keys(tool.options ?? {}).sort());
    },
  );

  it.each(ALL_TOOLS.map((t) => [t.name] as const))("%s matches its snapshot", async (name) => {
    const { list } = await listed(selectTools({ enableWrites: true, tools: [name] }).tools);
    expect(list).toHaveLength(1);
    const [tool] = list;
    expect(tool?.inputSchema.type).toBe("object");
    expect(tool?.outputSchema?.type).toBe("object");
    await expect(`${JSON.stringify(tool, null, 2)}\n`).toMatchFileSnapshot(`__toolsnaps__/${name}.json`);
  });
});

describe("the inventory", () => {
  it("is read-only by default: write tools are listed only with writes enabled", async () => {
    const reads = (await listed()).list.map((t) => t.name);
    const all = (await listed(selectTools({ enableWrites: true }).tools)).list.map((t) => t.name);
    expect(all).toEqual(ALL_TOOLS.map((t) => t.name));
    for (const tool of ALL_TOOLS) expect(reads.includes(tool.name)).toBe(!tool.write);
  });

  it("an allow-list and toolsets narrow it; unknown names and unenabled writes are problems", () => {
    const first = ALL_TOOLS[0] as AnyTool;
    expect(selectTools({ tools: [first.name] }).tools.map((t) => t.name)).toEqual([first.name]);
    expect(selectTools({ toolsets: [first.toolset] }).tools.every((t) => t.toolset === first.toolset)).toBe(true);
    expect(selectTools({ tools: ["nope"] }).problems[0]?.message).toMatch(/"nope", which is not a connvo-mcp tool/);
    expect(selectTools({ toolsets: ["calendar"] }).problems[0]?.message).toMatch(/not a toolset/);
    for (const tool of ALL_TOOLS.filter((t) => t.write)) {
      expect(selectTools({ tools: [tool.name] }).problems[0]?.message).toMatch(/--enable-writes/);
    }
  });

  it("generates the instructions from the offered tools", async () => {
    const { instructions } = await listed();
    expect(instructions).toBe(instructionsFor(selectTools().tools));
    for (const tool of selectTools().tools) expect(instructions).toContain(tool.name);
    expect(instructions).toMatch(/Read-only/);
    const one = instructionsFor([ALL_TOOLS[0] as AnyTool]);
    for (const tool of ALL_TOOLS.slice(1)) expect(one).not.toContain(tool.name);
  });
});
