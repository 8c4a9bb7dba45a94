/**
 * The OpenAPI registry: generated from the vendored document by code, keyed by function path,
 * current, and the source of every tool's arguments.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { z } from "zod";
import { checkManifest, deriveFromDocument, renderGeneratedModules } from "../scripts/openapi/derive.js";
import { ALL_OPERATIONS } from "../src/openapi/registry.generated.js";
import { exposedOperations, operation, parseList } from "../src/openapi/registry.js";
import { buildInputSchema } from "../src/tools/define.js";
import { ROOT } from "./helpers/paths.js";

const SOURCE = "openapi/connvo-convex-openapi.yaml";
const yamlText = readFileSync(join(ROOT, SOURCE), "utf8");
const manifestText = readFileSync(join(ROOT, "openapi/manifest.json"), "utf8");
const derived = deriveFromDocument(yamlText);

const advertised = (schema: z.ZodObject) =>
  z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" }) as {
    properties: Record<string, unknown>;
    required?: string[];
  };

describe("OpenAPI registry", () => {
  it("the committed generated modules are what the generator makes from the committed document", () => {
    const modules = renderGeneratedModules(derived, checkManifest(manifestText, derived), SOURCE);
    for (const [path, text] of Object.entries(modules)) {
      expect(readFileSync(join(ROOT, path), "utf8"), path).toBe(text);
    }
  });

  it("holds every operation of the document, keyed by full function path (names collide, paths don't)", () => {
    const paths = Object.keys(ALL_OPERATIONS);
    expect(paths).toHaveLength(170);
    const names = paths.map((p) => p.split(":")[1]);
    const colliding = names.filter((name, i) => names.indexOf(name) !== i);
    expect(colliding.length).toBeGreaterThan(40); // e.g. closeSession in two modules
    expect(paths).toContain("meetings/queries:getMeeting");
    expect(ALL_OPERATIONS["meetings/queries:getMeeting"].httpPath).toBe("/api/run/meetings/queries/getMeeting");
    expect(Object.keys(derived.deployments)).toEqual(["dev", "staging", "prod"]);
  });

  it("derives ID arguments from 'ID from table \"X\"' and the kind where the document states it", () => {
    expect(ALL_OPERATIONS["meetings/queries:getMeeting"].idArgs).toEqual({ meetingId: "meetings" });
    expect(ALL_OPERATIONS["prompts/mutations:updatePromptFeedback"].idArgs).toEqual({ promptId: "prompts" });
    expect(ALL_OPERATIONS["insights/queries:getMeetingInsights"]).toMatchObject({ statedKind: "query" });
  });

  it("every manifest entry exists in the document, with a kind that agrees with it", () => {
    const entries = checkManifest(manifestText, derived);
    expect(entries.length).toBeGreaterThanOrEqual(15);
    for (const { path, kind } of entries) {
      expect(derived.operations[path], path).toBeDefined();
      expect(operation(path as never).kind).toBe(kind);
    }
    // Connvo's transcript reads are mutations in its code; the client must send them as such.
    expect(operation("transcripts/ingestion:getTranscriptChunks").kind).toBe("mutation");
  });

  it("refuses a manifest entry that is not in the document, lacks a kind or contradicts it", () => {
    const manifest = (operations: unknown[]) => JSON.stringify({ operations });
    expect(() => checkManifest(manifest([{ path: "meetings/queries:nope", kind: "query" }]), derived)).toThrow(
      /not an operation/,
    );
    expect(() => checkManifest(manifest([{ path: "meetings/queries:getMeeting" }]), derived)).toThrow(/needs a kind/);
    expect(() =>
      checkManifest(manifest([{ path: "insights/queries:getMeetingInsights", kind: "mutation" }]), derived),
    ).toThrow(/is a query per the document/);
  });

  it("never exposes a function the backend notes say must not be wrapped", () => {
    const forbidden = [
      "meetings/lifecycle:getMeetingConnectionInfo",
      "insights/generation:generateInsights",
      "prompts/actions:generatePreCallIdeas",
      "users/queries:getUserById",
      "audit/logging:getAuditLogs",
      "meetings/lifecycle:createMeeting",
    ];
    for (const op of exposedOperations()) expect(forbidden).not.toContain(op.path);
  });

  it("changing the document changes the tool's arguments", () => {
    const doc = parse(yamlText);
    const args = doc.components.schemas["Request_meetings.webrtc.index.getActiveSessions"].properties.args;
    args.properties.meetingId.description = 'ID from table "rooms"';
    args.properties.roomCode = { type: "string" };
    args.required.push("roomCode");
    const changed = deriveFromDocument(stringify(doc)).operations["meetings/webrtc/index:getActiveSessions"];
    expect(changed?.idArgs).toEqual({ meetingId: "rooms" });
    const schema = advertised(buildInputSchema(changed?.argsSchema, undefined, { limit: z.number().optional() }));
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
  const parseSessions = (value: unknown) => parseList("meetings/webrtc/index:getActiveSessions", value);

  it("accepts rows with extra fields and counts broken rows as unreadable", () => {
    const { _id, ...missingId } = good;
    const parsed = parseSessions([good, missingId, { ...good, state: "exploded" }, { ...good, user: {} }, 42]);
    expect(parsed?.rows).toHaveLength(1);
    expect(parsed?.unreadable).toBe(4);
  });

  it("rejects a value that is not a list", () => {
    expect(parseSessions({ not: "an array" })).toBeUndefined();
    expect(parseSessions(null)).toBeUndefined();
  });
});
