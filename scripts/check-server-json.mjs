// Checks server.json (the MCP registry's description of this server) against the rules of the
// registry's server.json schema (https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json)
// that apply to an npm package served over stdio, and against package.json. The schema itself
// cannot be fetched here (CI has no network besides the npm registry), so its rules for the
// fields this file uses are written out below; `mcp-publisher validate` checks the full schema
// before publishing.
//
//   node scripts/check-server-json.mjs [path/to/server.json]
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json";

const isString = (v) => typeof v === "string";
const VERSION_RANGE = /[\^~<>=*\s|]|(^|\.)[xX*](\.|$)|^latest$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Every problem found, as "path: what" lines; empty when the document is valid. */
export function serverJsonProblems(doc, pkg) {
  const problems = [];
  const check = (ok, where, what) => {
    if (!ok) problems.push(`${where}: ${what}`);
  };
  check(doc && typeof doc === "object" && !Array.isArray(doc), "/", "must be an object");
  if (problems.length > 0) return problems;
  const known = new Set([
    "$schema",
    "name",
    "title",
    "description",
    "version",
    "repository",
    "websiteUrl",
    "icons",
    "packages",
    "remotes",
    "_meta",
  ]);
  for (const key of Object.keys(doc)) check(known.has(key), `/${key}`, "is not a server.json field");
  check(doc.$schema === SCHEMA_URL, "/$schema", `must be ${SCHEMA_URL}`);
  check(
    isString(doc.name) &&
      doc.name.length >= 3 &&
      doc.name.length <= 200 &&
      /^[a-zA-Z0-9.-]+\/[a-zA-Z0-9._-]+$/.test(doc.name),
    "/name",
    "must be reverse-DNS namespace/name (3-200 characters, one slash)",
  );
  check(
    doc.title === undefined || (isString(doc.title) && doc.title.length >= 1 && doc.title.length <= 100),
    "/title",
    "must be 1-100 characters",
  );
  check(
    isString(doc.description) && doc.description.length >= 1 && doc.description.length <= 100,
    "/description",
    "must be 1-100 characters",
  );
  check(
    isString(doc.version) && doc.version.length <= 255 && !VERSION_RANGE.test(doc.version),
    "/version",
    "must be one specific version (no range, not latest)",
  );
  check(doc.version === pkg.version, "/version", `must be package.json's version ${pkg.version}`);
  check(Array.isArray(doc.packages) && doc.packages.length > 0, "/packages", "must list the npm package");
  for (const [i, p] of (doc.packages ?? []).entries()) {
    const at = `/packages/${i}`;
    const fields = new Set([
      "registryType",
      "registryBaseUrl",
      "identifier",
      "version",
      "fileSha256",
      "runtimeHint",
      "transport",
      "runtimeArguments",
      "packageArguments",
      "environmentVariables",
    ]);
    for (const key of Object.keys(p)) check(fields.has(key), `${at}/${key}`, "is not a package field");
    check(["npm", "pypi", "nuget", "oci", "mcpb"].includes(p.registryType), `${at}/registryType`, "unknown registry");
    check(isString(p.identifier) && p.identifier.length >= 1, `${at}/identifier`, "is required");
    check(p.transport && typeof p.transport === "object", `${at}/transport`, "is required");
    check(
      ["stdio", "streamable-http", "sse"].includes(p.transport?.type),
      `${at}/transport/type`,
      "must be stdio, streamable-http or sse",
    );
    if (p.registryType === "npm") {
      check(p.identifier === pkg.name, `${at}/identifier`, `must be package.json's name ${pkg.name}`);
      check(
        isString(p.version) && p.version.length >= 1 && !VERSION_RANGE.test(p.version),
        `${at}/version`,
        "must be one specific version",
      );
      check(p.version === pkg.version, `${at}/version`, `must be package.json's version ${pkg.version}`);
      check(
        p.registryBaseUrl === undefined || /^https:\/\//.test(p.registryBaseUrl),
        `${at}/registryBaseUrl`,
        "must be a URL",
      );
    }
    if (p.fileSha256 !== undefined) check(/^[a-f0-9]{64}$/.test(p.fileSha256), `${at}/fileSha256`, "must be 64 hex");
    for (const [j, v] of (p.environmentVariables ?? []).entries()) {
      const ev = `${at}/environmentVariables/${j}`;
      check(isString(v.name) && ENV_NAME.test(v.name), `${ev}/name`, "must be a variable name");
      for (const flag of ["isRequired", "isSecret"]) {
        check(v[flag] === undefined || typeof v[flag] === "boolean", `${ev}/${flag}`, "must be a boolean");
      }
      check(
        v.format === undefined || ["string", "number", "boolean", "filepath"].includes(v.format),
        `${ev}/format`,
        "must be string, number, boolean or filepath",
      );
      for (const text of ["description", "default", "placeholder", "value"]) {
        check(v[text] === undefined || isString(v[text]), `${ev}/${text}`, "must be a string");
      }
      check(
        v.choices === undefined || (Array.isArray(v.choices) && v.choices.every(isString)),
        `${ev}/choices`,
        "must be strings",
      );
      if (v.default !== undefined && v.choices) {
        check(v.choices.includes(v.default), `${ev}/default`, "must be one of the choices");
      }
    }
  }
  return problems;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const file = path.resolve(process.argv[2] ?? path.join(root, "server.json"));
  const doc = JSON.parse(readFileSync(file, "utf8"));
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
  const problems = serverJsonProblems(doc, pkg);
  if (problems.length > 0) {
    process.stderr.write(`${path.relative(root, file)} is not valid:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
    process.exit(1);
  }
  process.stdout.write(
    `${path.relative(root, file)}: valid (${doc.name} ${doc.version}, ${doc.packages.length} package)\n`,
  );
}
