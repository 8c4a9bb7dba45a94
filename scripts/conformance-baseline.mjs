// Reads conformance-baseline.json for scripts/conformance.sh.
//   suite    <baseline>              prints the pinned suite package
//   counts   <baseline>              prints "<in scope> <out of scope>"
//   yaml     <baseline>              prints the suite's --expected-failures file (the out-of-scope list)
//   verify   <baseline> <resultsDir> checks every in-scope scenario ran and passed, and that every
//                                    scenario that ran is classified; prints one line per problem
// A baseline entry without a reason is an error: "out of scope" must always say why.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const [command, baselinePath, resultsDir] = process.argv.slice(2);
const baseline = JSON.parse(readFileSync(baselinePath, "utf8"));
const inScope = Object.keys(baseline.inScope ?? {});
const outOfScope = Object.keys(baseline.outOfScope ?? {});

function fail(message) {
  console.error(`conformance baseline: ${message}`);
  process.exit(2);
}

for (const [group, entries] of [
  ["inScope", baseline.inScope],
  ["outOfScope", baseline.outOfScope],
]) {
  for (const [name, reason] of Object.entries(entries ?? {})) {
    if (typeof reason !== "string" || reason.trim() === "") fail(`${group}.${name} has no reason`);
  }
}
const both = inScope.filter((name) => outOfScope.includes(name));
if (both.length > 0) fail(`both in and out of scope: ${both.join(", ")}`);

/** Result folders are named server-<scenario>-<ISO timestamp>. */
function results(dir) {
  const out = new Map();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const scenario = entry.name.replace(/^server-/, "").replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, "");
    out.set(scenario, JSON.parse(readFileSync(join(dir, entry.name, "checks.json"), "utf8")));
  }
  return out;
}

if (command === "suite") {
  if (typeof baseline.suite !== "string") fail("no suite package");
  console.log(baseline.suite);
} else if (command === "yaml") {
  console.log("# Generated from conformance-baseline.json (outOfScope) by scripts/conformance.sh");
  console.log("server:");
  for (const name of outOfScope) console.log(`  - ${name}`);
} else if (command === "verify") {
  const ran = results(resultsDir);
  const problems = [];
  for (const name of inScope) {
    const checks = ran.get(name);
    if (!checks) {
      problems.push(`${name}: in scope but did not run`);
      continue;
    }
    const bad = checks.filter((c) => c.status === "FAILURE" || c.status === "WARNING");
    const passed = checks.filter((c) => c.status === "SUCCESS").length;
    if (bad.length > 0)
      problems.push(`${name}: ${bad.map((c) => `${c.status} ${c.id}: ${c.errorMessage ?? ""}`).join("; ")}`);
    else if (passed === 0) problems.push(`${name}: no passing check`);
    else console.log(`in scope  ✓ ${name} (${passed} check${passed === 1 ? "" : "s"} passed)`);
  }
  for (const name of ran.keys()) {
    if (!inScope.includes(name) && !outOfScope.includes(name))
      problems.push(`${name}: not in conformance-baseline.json`);
  }
  for (const problem of problems) console.log(`problem   ✗ ${problem}`);
  process.exit(problems.length === 0 ? 0 : 1);
} else if (command === "counts") {
  console.log(`${inScope.length} ${outOfScope.length}`);
} else {
  fail(`unknown command ${command}`);
}
