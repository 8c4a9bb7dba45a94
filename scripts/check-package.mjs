// CI: what `npx connvo-mcp` would install, checked for real. Packs the package as npm would
// publish it, unpacks it into an empty folder (no node_modules anywhere above it), measures its
// installed size (the package declares no runtime dependencies, so that is everything a user
// downloads), and starts it there: --help, then a --demo round trip over stdio (initialize,
// tools/list, a tools/call) with stdin closed after the last request, which must still be
// answered before the process exits 0.
//
//   node scripts/check-package.mjs [--max-mb 5]
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const maxIndex = process.argv.indexOf("--max-mb");
const maxMb = maxIndex === -1 ? 5 : Number(process.argv[maxIndex + 1]);

function sizeOf(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? sizeOf(full) : statSync(full).size;
  }
  return total;
}

function fail(message) {
  process.stderr.write(`check-package: ${message}\n`);
  process.exit(1);
}

const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const runtimeDeps = Object.keys(pkg.dependencies ?? {});
if (runtimeDeps.length > 0) {
  fail(`package.json lists runtime dependencies (${runtimeDeps.join(", ")}); dist/ is self-contained.`);
}

const work = mkdtempSync(path.join(tmpdir(), "connvo-pack-"));
try {
  // --ignore-scripts: dist/ is already built; `prepare` would rebuild it.
  const [packed] = JSON.parse(
    execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], {
      cwd: root,
      encoding: "utf8",
    }),
  );
  const tarball = path.join(work, packed.filename);
  const install = path.join(work, "empty", "node_modules", pkg.name);
  execFileSync("mkdir", ["-p", install]);
  execFileSync("tar", ["-xzf", tarball, "-C", install, "--strip-components", "1"]);
  const installed = sizeOf(install);
  const mb = installed / (1024 * 1024);
  process.stdout.write(
    `${packed.filename}: ${(packed.size / 1024).toFixed(0)} KB packed, ${mb.toFixed(2)} MB installed (${packed.files.length} files, 0 dependencies)\n`,
  );
  if (!(mb < maxMb)) fail(`installed size ${mb.toFixed(2)} MB is not under ${maxMb} MB`);

  const cli = path.join(install, "dist", "cli.js");
  const cwd = path.join(work, "empty");
  const env = { PATH: process.env.PATH ?? "" };
  const help = execFileSync(process.execPath, [cli, "--help"], { cwd, env, encoding: "utf8" });
  if (!/Usage: connvo-mcp/.test(help)) fail("--help did not print the usage");

  const lines = [
    {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "check-package", version: "0" } },
    },
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { jsonrpc: "2.0", id: 2, method: "tools/list", params: {} },
    {
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "get_active_sessions", arguments: { meetingId: "j5731fnp969p6htrp15we5t6448wpza0" } },
    },
  ];
  const child = spawn(process.execPath, [cli, "--demo"], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(lines.map((line) => `${JSON.stringify(line)}\n`).join(""));
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const code = await new Promise((resolve) => child.on("exit", resolve));
  clearTimeout(timer);
  const answers = new Map(
    stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .map((message) => [message.id, message]),
  );
  const tools = answers.get(2)?.result?.tools?.map((tool) => tool.name) ?? [];
  const call = answers.get(3)?.result;
  if (code !== 0) fail(`--demo exited ${code}:\n${stderr}`);
  if (!tools.includes("get_active_sessions")) fail(`tools/list did not list get_active_sessions:\n${stdout}`);
  if (!call || call.isError) fail(`the demo tools/call did not succeed:\n${stdout}\n${stderr}`);
  // And over HTTP: the HTTP chunk is loaded on demand, so it must be in the package too.
  const http = spawn(process.execPath, [cli, "--demo", "--http", "--port", "0"], {
    cwd,
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const url = await new Promise((resolve) => {
    let log = "";
    const timer = setTimeout(() => resolve(undefined), 30_000);
    http.stderr.on("data", (chunk) => {
      log += chunk;
      const match = /listening on (http:\/\/\S+)\/mcp/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    http.on("exit", () => resolve(undefined));
  });
  const health = url
    ? await fetch(`${url}/healthz`).then(
        (r) => r.status,
        () => 0,
      )
    : 0;
  http.kill("SIGTERM");
  if (health !== 200) fail(`--demo --http did not serve /healthz (${url ?? "no listening line"})`);
  process.stdout.write(
    `the unpacked package serves from an empty folder: stdio (${tools.length} tools, a demo call answered) and HTTP\n`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
