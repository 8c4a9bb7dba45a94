/**
 * `npm run generate`: regenerate the modules derived from openapi/connvo-convex-openapi.yaml and
 * openapi/manifest.json (see scripts/openapi/derive.ts). `--check` exits 1 when one is out of date.
 * To take a newer Connvo document, copy it over openapi/connvo-convex-openapi.yaml and run this.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { checkManifest, deriveFromDocument, renderGeneratedModules } from "./openapi/derive.js";

export const SOURCE = "openapi/connvo-convex-openapi.yaml";
export const MANIFEST = "openapi/manifest.json";

const derived = deriveFromDocument(readFileSync(SOURCE, "utf8"));
const modules = renderGeneratedModules(derived, checkManifest(readFileSync(MANIFEST, "utf8"), derived), SOURCE);
const check = process.argv.includes("--check");
let stale = false;
for (const [target, text] of Object.entries(modules)) {
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {}
  if (current === text) continue;
  if (check) {
    process.stderr.write(`${target} is out of date: run npm run generate\n`);
    stale = true;
  } else {
    writeFileSync(target, text);
    process.stderr.write(`wrote ${target}\n`);
  }
}
if (stale) process.exit(1);
