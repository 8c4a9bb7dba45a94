/**
 * Build-time derivation of what the product needs from Connvo's OpenAPI document (the whole
 * document is vendored in openapi/; nothing reads a folder outside the repo).
 *
 * Output, all plain data with no imports (so any layer may read it):
 * - src/openapi/registry.generated.ts: EVERY operation of the document, keyed by its full Convex
 *   function path (`meetings/queries:getMeeting`; function names alone collide across modules),
 *   with its args JSON Schema, its response value schema, the kind where the document states it,
 *   and which arguments are IDs of which table (from `ID from table "X"`).
 * - src/openapi/exposed.generated.ts: the operations of openapi/manifest.json (what the product
 *   calls), each with its kind from the manifest. The server imports only this, so the bundle does
 *   not carry 170 operations it never calls.
 * - src/config/deployments.generated.ts: the deployments named by the document's servers.
 *
 * Why build time: the document is ~750 KB of YAML and desktop clients spawn the server at launch;
 * parsing it on every start would cost cold-start time for nothing. test/openapi.test.ts proves the
 * generated modules are current.
 */
import { parse } from "yaml";
import { tableOfIdDescription } from "../../src/openapi/tableOfId.js";

export type FunctionKind = "query" | "mutation" | "action";
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function asObject(value: unknown, where: string): JsonObject {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`OpenAPI document: expected an object at ${where}`);
  }
  return value as JsonObject;
}

/** Resolve every local `$ref` recursively, so generated schemas are self-contained. */
function resolveRefs(node: Json, doc: JsonObject, seen: string[] = []): Json {
  if (Array.isArray(node)) return node.map((item) => resolveRefs(item, doc, seen));
  if (node === null || typeof node !== "object") return node;
  const ref = node.$ref;
  if (typeof ref === "string") {
    if (seen.includes(ref)) throw new Error(`OpenAPI document: circular $ref ${ref}`);
    return resolveRefs(lookupRef(ref, doc), doc, [...seen, ref]);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) out[key] = resolveRefs(value, doc, seen);
  return out;
}

function lookupRef(ref: string, doc: JsonObject): Json {
  if (!ref.startsWith("#/")) throw new Error(`OpenAPI document: only local $refs are supported (${ref})`);
  let node: Json = doc;
  for (const part of ref.slice(2).split("/")) {
    node = asObject(node, ref)[part.replace(/~1/g, "/").replace(/~0/g, "~")] ?? null;
  }
  if (node === null) throw new Error(`OpenAPI document: $ref ${ref} points nowhere`);
  return node;
}

/** `/api/run/meetings/webrtc/index/getActiveSessions` → `meetings/webrtc/index:getActiveSessions`. */
export function functionPathFromHttpPath(httpPath: string): string {
  const prefix = "/api/run/";
  if (!httpPath.startsWith(prefix)) throw new Error(`OpenAPI document: ${httpPath} is not a Convex /api/run path`);
  const parts = httpPath.slice(prefix.length).split("/");
  const fn = parts.pop();
  if (!fn || parts.length === 0) throw new Error(`OpenAPI document: ${httpPath} names no module`);
  return `${parts.join("/")}:${fn}`;
}

/** Server description "Dev Convex deployment" → "dev". */
function deploymentName(description: string, url: string): string {
  const word = description.trim().split(/\s+/)[0]?.toLowerCase();
  if (!word) throw new Error(`OpenAPI document: server ${url} has no description to name it by`);
  return word;
}

/** The kind where the document states it: "Calls a query at the path insights/queries.js:...". */
function statedKind(description: string): FunctionKind | undefined {
  const kind = /Calls an? (query|mutation|action) at the path/.exec(description)?.[1];
  return kind as FunctionKind | undefined;
}

export interface DerivedOperation {
  path: string;
  httpPath: string;
  operationId: string;
  tag: string;
  summary: string;
  /** The kind the document states, when it does (most operations do not). */
  statedKind?: FunctionKind;
  argsSchema: JsonObject;
  /** The schema of the function's return value (the `value` of a success answer). */
  valueSchema: JsonObject;
  /** Top-level arguments that are document IDs, and of which table. */
  idArgs: Record<string, string>;
}

export interface Derived {
  title: string;
  version: string;
  deployments: Record<string, string>;
  operations: Record<string, DerivedOperation>;
}

function jsonSchemaOf(content: Json, where: string, doc: JsonObject): JsonObject {
  const json = asObject(asObject(content, `${where}.content`)["application/json"], `${where} application/json`);
  return asObject(resolveRefs(json.schema ?? null, doc), `${where} schema`);
}

function deriveOperation(httpPath: string, item: Json, doc: JsonObject): DerivedOperation {
  const post = asObject(asObject(item, `paths.${httpPath}`).post, `paths.${httpPath}.post`);
  const request = jsonSchemaOf(asObject(post.requestBody, "requestBody").content ?? null, httpPath, doc);
  const args = asObject(asObject(request.properties, `${httpPath} request properties`).args, `${httpPath} args`);
  const ok = asObject(asObject(post.responses, "responses")["200"], `${httpPath} responses.200`);
  const response = jsonSchemaOf(ok.content ?? null, `${httpPath} responses.200`, doc);
  const valueSchema = asObject(asObject(response.properties, `${httpPath} response`).value ?? {}, `${httpPath} value`);
  const idArgs: Record<string, string> = {};
  for (const [name, schema] of Object.entries(asObject(args.properties ?? {}, `${httpPath} args.properties`))) {
    const table = tableOfIdDescription(asObject(schema, `${httpPath} args.${name}`).description);
    if (table) idArgs[name] = table;
  }
  const description = typeof post.description === "string" ? post.description : "";
  const kind = statedKind(description);
  return {
    path: functionPathFromHttpPath(httpPath),
    httpPath,
    operationId: String(post.operationId),
    tag: Array.isArray(post.tags) ? String(post.tags[0] ?? "") : "",
    summary: String(post.summary ?? ""),
    ...(kind ? { statedKind: kind } : {}),
    argsSchema: args,
    valueSchema,
    idArgs,
  };
}

export function deriveFromDocument(yamlText: string): Derived {
  const doc = asObject(parse(yamlText), "the document root");
  const info = asObject(doc.info, "info");
  const servers = doc.servers;
  if (!Array.isArray(servers) || servers.length === 0) throw new Error("OpenAPI document: no servers");
  const deployments: Record<string, string> = {};
  for (const server of servers) {
    const s = asObject(server, "servers[]");
    const url = String(s.url);
    deployments[deploymentName(String(s.description ?? ""), url)] = url;
  }
  const operations: Record<string, DerivedOperation> = {};
  for (const [httpPath, item] of Object.entries(asObject(doc.paths, "paths"))) {
    const op = deriveOperation(httpPath, item, doc);
    if (operations[op.path]) throw new Error(`OpenAPI document: two operations for ${op.path}`);
    operations[op.path] = op;
  }
  return { title: String(info.title), version: String(info.version), deployments, operations };
}

export interface ManifestEntry {
  path: string;
  kind: FunctionKind;
}

/** openapi/manifest.json, checked against the document: every entry exists and agrees with it. */
export function checkManifest(manifestText: string, derived: Derived): ManifestEntry[] {
  const manifest = JSON.parse(manifestText) as { operations?: unknown };
  if (!Array.isArray(manifest.operations)) throw new Error("openapi/manifest.json: no operations list");
  const seen = new Set<string>();
  return manifest.operations.map((raw): ManifestEntry => {
    const entry = raw as Partial<ManifestEntry>;
    const path = String(entry.path);
    const op = derived.operations[path];
    if (!op) throw new Error(`openapi/manifest.json: ${path} is not an operation of the OpenAPI document`);
    if (entry.kind !== "query" && entry.kind !== "mutation" && entry.kind !== "action") {
      throw new Error(`openapi/manifest.json: ${path} needs a kind (query, mutation or action)`);
    }
    if (op.statedKind && op.statedKind !== entry.kind) {
      throw new Error(`openapi/manifest.json: ${path} is a ${op.statedKind} per the document, not a ${entry.kind}`);
    }
    if (seen.has(path)) throw new Error(`openapi/manifest.json: ${path} is listed twice`);
    seen.add(path);
    return { path, kind: entry.kind };
  });
}

const HEADER = (source: string) => [
  `// GENERATED by scripts/generate-openapi.ts from ${source}. Do not edit by hand:`,
  "// change the document (or openapi/manifest.json) and run `npm run generate`.",
  "",
];

/** Source text of the three generated modules, by repo path. Deterministic: "current?" is a string compare. */
export function renderGeneratedModules(derived: Derived, manifest: ManifestEntry[], source: string) {
  const sorted = Object.keys(derived.operations).sort();
  const registry = [
    ...HEADER(source),
    `export const OPENAPI_TITLE = ${JSON.stringify(derived.title)};`,
    `export const OPENAPI_VERSION = ${JSON.stringify(derived.version)};`,
    "",
    `/** All ${sorted.length} operations of Connvo's OpenAPI document, keyed by Convex function path. */`,
    `export const ALL_OPERATIONS = ${JSON.stringify(
      Object.fromEntries(sorted.map((path) => [path, derived.operations[path]])),
      null,
      1,
    )} as const;`,
    "",
  ].join("\n");
  const exposed = [
    ...HEADER(`${source} and openapi/manifest.json`),
    "/** The operations connvo-mcp calls (openapi/manifest.json), with their kind. */",
    `export const EXPOSED_OPERATIONS = ${JSON.stringify(
      Object.fromEntries(
        manifest.map(({ path, kind }) => {
          const { statedKind: _stated, ...op } = derived.operations[path] as DerivedOperation;
          return [path, { ...op, kind }];
        }),
      ),
      null,
      2,
    )} as const;`,
    "",
  ].join("\n");
  const deployments = [
    ...HEADER(source),
    "/** Connvo's Convex deployments, named by the OpenAPI document's servers. */",
    `export const DEPLOYMENTS = ${JSON.stringify(derived.deployments, null, 2)} as const;`,
    "",
  ].join("\n");
  return {
    "src/openapi/registry.generated.ts": registry,
    "src/openapi/exposed.generated.ts": exposed,
    "src/config/deployments.generated.ts": deployments,
  };
}
