/**
 * `npm run generate`: regenerate src/openapi/generated.ts from openapi/connvo-convex-openapi.yaml.
 * `--extract <full.yaml>` first refreshes the repo's copy from Connvo's full document.
 * `--check` exits 1 when the generated module is out of date (CI runs it through the tests too).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { deriveFromDocument, extractSubset, renderGeneratedModule } from "./openapi/derive.js";

export const SOURCE = "openapi/connvo-convex-openapi.yaml";
export const TARGET = "src/openapi/generated.ts";

const args = process.argv.slice(2);
const extractFrom = args.includes("--extract") ? args[args.indexOf("--extract") + 1] : undefined;
if (extractFrom) {
  writeFileSync(SOURCE, extractSubset(readFileSync(extractFrom, "utf8")));
  process.stderr.write(`wrote ${SOURCE} from ${extractFrom}\n`);
}
const generated = renderGeneratedModule(deriveFromDocument(readFileSync(SOURCE, "utf8")), SOURCE);
if (args.includes("--check")) {
  const current = readFileSync(TARGET, "utf8");
  if (current !== generated) {
    process.stderr.write(`${TARGET} is out of date: run npm run generate\n`);
    process.exit(1);
  }
  process.stderr.write(`${TARGET} is current\n`);
} else {
  writeFileSync(TARGET, generated);
  process.stderr.write(`wrote ${TARGET}\n`);
}
