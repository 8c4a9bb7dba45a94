/**
 * Build-time derivation of what the product needs from Connvo's OpenAPI document.
 *
 * Why build time: the full document is ~750 KB of YAML and desktop clients spawn the server at
 * launch, so parsing it on every start would cost cold-start time for nothing. The generated
 * module (src/openapi/generated.ts) is plain data; test/openapi.test.ts proves it is current.
 */
import { parse, stringify } from "yaml";

/** The one operation the product serves today, by its OpenAPI path. */
export const OPERATION_PATHS = ["/api/run/meetings/webrtc/index/getActiveSessions"] as const;

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

export interface DerivedOperation {
  operationId: string;
  httpPath: string;
  functionPath: string;
  summary: string;
  argsSchema: JsonObject;
  responseSchema: JsonObject;
}

export interface Derived {
  title: string;
  version: string;
  deployments: Record<string, string>;
  operations: DerivedOperation[];
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
  const paths = asObject(doc.paths, "paths");
  const operations = OPERATION_PATHS.map((httpPath): DerivedOperation => {
    const post = asObject(asObject(paths[httpPath], `paths.${httpPath}`).post, `paths.${httpPath}.post`);
    const request = asObject(
      resolveRefs(
        asObject(asObject(asObject(post.requestBody, "requestBody").content, "content")["application/json"], "json")
          .schema ?? null,
        doc,
      ),
      `${httpPath} request schema`,
    );
    const args = asObject(asObject(request.properties, "request properties").args, "request args schema");
    const ok = asObject(asObject(post.responses, "responses")["200"], "responses.200");
    const response = asObject(
      resolveRefs(
        asObject(asObject(ok.content, "responses.200.content")["application/json"], "json").schema ?? null,
        doc,
      ),
      `${httpPath} response schema`,
    );
    return {
      operationId: String(post.operationId),
      httpPath,
      functionPath: functionPathFromHttpPath(httpPath),
      summary: String(post.summary ?? ""),
      argsSchema: args,
      responseSchema: response,
    };
  });
  return { title: String(info.title), version: String(info.version), deployments, operations };
}

/** Source text of src/openapi/generated.ts. Deterministic, so "is it current?" is a string compare. */
export function renderGeneratedModule(derived: Derived, sourceName: string): string {
  const constName = (op: DerivedOperation) =>
    op.functionPath
      .split(":")[1]!
      .replace(/[A-Z]/g, (c) => `_${c}`)
      .toUpperCase();
  const lines = [
    `// GENERATED by scripts/generate-openapi.ts from ${sourceName}. Do not edit by hand:`,
    "// change the OpenAPI document and run `npm run generate`.",
    "",
    `export const OPENAPI_TITLE = ${JSON.stringify(derived.title)};`,
    `export const OPENAPI_VERSION = ${JSON.stringify(derived.version)};`,
    "",
    "/** Connvo's Convex deployments, named by the OpenAPI document's servers. */",
    `export const DEPLOYMENTS = ${JSON.stringify(derived.deployments, null, 2)} as const;`,
    "",
  ];
  for (const op of derived.operations) {
    lines.push(
      `/** ${op.summary}: POST ${op.httpPath} (${op.operationId}). */`,
      `export const ${constName(op)}_OPERATION = ${JSON.stringify(op, null, 2)} as const;`,
      "",
    );
  }
  return lines.join("\n");
}

/** Cut the full document down to the parts the product uses (servers, security, its operations). */
export function extractSubset(yamlText: string): string {
  const doc = asObject(parse(yamlText), "the document root");
  const paths = asObject(doc.paths, "paths");
  const components = asObject(doc.components, "components");
  const schemas = asObject(components.schemas, "components.schemas");
  const keptPaths: JsonObject = {};
  const keptSchemas: JsonObject = {};
  const collect = (node: Json): void => {
    if (Array.isArray(node)) {
      for (const item of node) collect(item);
      return;
    }
    if (node === null || typeof node !== "object") return;
    const ref = node.$ref;
    if (typeof ref === "string" && ref.startsWith("#/components/schemas/")) {
      const name = ref.slice("#/components/schemas/".length);
      if (!(name in keptSchemas)) {
        keptSchemas[name] = schemas[name] ?? null;
        collect(keptSchemas[name]);
      }
    }
    for (const value of Object.values(node)) collect(value);
  };
  for (const p of OPERATION_PATHS) {
    keptPaths[p] = paths[p] ?? null;
    collect(keptPaths[p]);
  }
  const subset: JsonObject = {
    openapi: doc.openapi ?? "3.0.3",
    info: doc.info ?? null,
    servers: doc.servers ?? null,
    security: doc.security ?? null,
    paths: keptPaths,
    components: { schemas: keptSchemas, securitySchemes: components.securitySchemes ?? null },
  };
  return stringify(subset, { lineWidth: 0 });
}
