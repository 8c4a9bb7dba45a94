import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { z } from "zod";
import { deriveFromDocument, renderGeneratedModule } from "../scripts/openapi/derive.js";
import { parseActiveSessions } from "../src/openapi/activeSessions.js";
import { GET_ACTIVE_SESSIONS_OPERATION } from "../src/openapi/generated.js";
import { createGetActiveSessionsTool } from "../src/tools/getActiveSessions.js";
import { ROOT } from "./helpers/paths.js";

const SOURCE = "openapi/connvo-convex-openapi.yaml";
const yamlText = readFileSync(join(ROOT, SOURCE), "utf8");

/** The JSON Schema a client sees in tools/list for this tool. */
function advertised(tool = createGetActiveSessionsTool()) {
  return z.toJSONSchema(tool.inputSchema, { io: "input", target: "draft-2020-12" }) as {
    properties: Record<string, unknown>;
    required: string[];
  };
}

describe("OpenAPI derivation", () => {
  it("the committed generated module is what the generator makes from the committed document", () => {
    const current = readFileSync(join(ROOT, "src/openapi/generated.ts"), "utf8");
    expect(renderGeneratedModule(deriveFromDocument(yamlText), SOURCE)).toBe(current);
  });

  it("the repo's document carries the same getActiveSessions schemas as Connvo's full document", () => {
    const full = join(ROOT, "../shared/openapi/connvo-convex-openapi.yaml");
    let fullText: string;
    try {
      fullText = readFileSync(full, "utf8");
    } catch {
      return expect.fail(`Connvo's full OpenAPI document is expected at ${full}`);
    }
    expect(deriveFromDocument(fullText)).toEqual(deriveFromDocument(yamlText));
  });

  it("derives the Convex function path and the three deployments", () => {
    const derived = deriveFromDocument(yamlText);
    expect(derived.operations[0]?.functionPath).toBe("meetings/webrtc/index:getActiveSessions");
    expect(Object.keys(derived.deployments)).toEqual(["dev", "staging", "prod"]);
    expect(derived.deployments.prod).toBe("https://Connvo-prod.convex.cloud");
  });

  it("the advertised meetingId schema equals the OpenAPI request's args.meetingId", () => {
    const openapiArgs = GET_ACTIVE_SESSIONS_OPERATION.argsSchema;
    const schema = advertised();
    expect(schema.properties.meetingId).toEqual(openapiArgs.properties.meetingId);
    expect(schema.properties.meetingId).toEqual({ type: "string", description: 'ID from table "meetings"' });
    expect(schema.required).toEqual([...openapiArgs.required]);
    // MCP-side options are added, never required.
    expect(Object.keys(schema.properties).sort()).toEqual(["format", "limit", "meetingId"]);
  });

  it("changing the document changes the tool", () => {
    const doc = parse(yamlText);
    const args = doc.components.schemas["Request_meetings.webrtc.index.getActiveSessions"].properties.args;
    args.properties.meetingId.description = 'ID from table "rooms"';
    args.properties.roomCode = { type: "string" };
    args.required.push("roomCode");
    const changed = stringify(doc);
    expect(changed).not.toBe(yamlText);
    const op = deriveFromDocument(changed).operations[0]!;
    const schema = advertised(createGetActiveSessionsTool(op));
    expect(schema.properties.meetingId).toEqual({ type: "string", description: 'ID from table "rooms"' });
    expect(schema.properties.roomCode).toEqual({ type: "string" });
    expect(schema.required).toEqual(["meetingId", "roomCode"]);
  });
});

describe("response validation from the OpenAPI response schema", () => {
  const good = {
    _id: "x",
    _creationTime: 1,
    meetingId: "m",
    sessionId: "s",
    state: "connected",
    userId: "u",
    user: { _id: "u", displayName: "Ada" },
    createdAt: 1,
    updatedAt: 2,
    extraFieldFromANewerBackend: true,
  };

  it("accepts rows with extra fields and counts broken rows as unreadable", () => {
    const { _id, ...missingId } = good;
    const parsed = parseActiveSessions([good, missingId, { ...good, state: "exploded" }, { ...good, user: {} }, 42]);
    expect(parsed?.rows).toHaveLength(1);
    expect(parsed?.unreadable).toBe(4);
  });

  it("rejects a value that is not a list", () => {
    expect(parseActiveSessions({ not: "an array" })).toBeUndefined();
    expect(parseActiveSessions(null)).toBeUndefined();
  });
});
