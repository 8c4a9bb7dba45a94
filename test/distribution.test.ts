/**
 * First run and distribution: what a new user downloads and runs. The package declares no runtime
 * dependencies (dist/ is a self-contained bundle), so its unpacked tarball is all `npx` installs:
 * under 5 MB, and it serves from an empty folder with no node_modules. Source maps carry no
 * absolute build path. npm 11's install-script policy is declared. `npm run mcp-config > file`
 * writes clean JSON. `npm run bundle` builds a Claude Desktop bundle; server.json describes the
 * package to the MCP registry. Expected log lines of in-process tests are captured, not printed.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { log } from "../src/core/log.js";
import { ROOT } from "./helpers/paths.js";
import { capturedLogLines } from "./setup/logs.js";

// Spawned servers on a shared 2-core machine: generous bounds, never timings.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
/** The bundle format's placeholders, as they appear in the manifest (not JavaScript templates). */
const placeholder = (name: string) => `\${${name}}`;
let work: string;

function sizeOf(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    total += entry.isDirectory() ? sizeOf(full) : statSync(full).size;
  }
  return total;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "connvo-dist-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("the published package", () => {
  let installed: string;
  beforeAll(() => {
    const [packed] = JSON.parse(
      execFileSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], {
        cwd: ROOT,
        encoding: "utf8",
      }),
    ) as { filename: string }[];
    installed = join(work, "empty", "node_modules", pkg.name);
    mkdirSync(installed, { recursive: true });
    execFileSync("tar", [
      "-xzf",
      join(work, (packed as { filename: string }).filename),
      "-C",
      installed,
      "--strip-components",
      "1",
    ]);
  });

  it("declares no runtime dependencies: everything dist/ needs is bundled", () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    const unpacked = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
    expect(unpacked.dependencies ?? {}).toEqual({});
  });

  it("installs under 5 MB", () => {
    expect(sizeOf(installed) / (1024 * 1024)).toBeLessThan(5);
  });

  it("serves from an empty folder with no node_modules: --help, and a --demo call with a real client", async () => {
    const cwd = join(work, "empty");
    const cli = join(installed, "dist", "cli.js");
    const help = spawnSync(process.execPath, [cli, "--help"], {
      cwd,
      encoding: "utf8",
      env: { PATH: process.env.PATH },
    });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: connvo-mcp/);
    const client = new Client({ name: "distribution", version: "0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [cli, "--demo"],
        cwd,
        env: { PATH: process.env.PATH ?? "" },
        stderr: "ignore",
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain("get_active_sessions");
      const result = (await client.callTool({
        name: "get_active_sessions",
        arguments: { meetingId: "j5731fnp969p6htrp15we5t6448wpza0" },
      })) as CallToolResult;
      expect(result.isError ?? false).toBe(false);
    } finally {
      await client.close();
    }
  });

  it("ships source maps without absolute build paths", () => {
    const dist = join(installed, "dist");
    const maps = readdirSync(dist).filter((name) => name.endsWith(".map"));
    expect(maps.length).toBeGreaterThan(0);
    for (const name of readdirSync(dist)) {
      const text = readFileSync(join(dist, name), "utf8");
      expect(text.includes(ROOT.replace(/\/$/, "")), name).toBe(false);
    }
    for (const name of maps) {
      const map = JSON.parse(readFileSync(join(dist, name), "utf8")) as { sources: string[] };
      for (const source of map.sources) expect(source, name).not.toMatch(/^\/|^[a-z-]+:\//i);
    }
  });
});

describe("npm's install-script policy", () => {
  it("covers every dependency that has an install script, so npm ci has nothing to warn about", () => {
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript)
      .map(([path]) => path.split("node_modules/").pop() as string);
    expect(withScripts.length).toBeGreaterThan(0);
    for (const name of withScripts) expect(Object.keys(pkg.allowScripts ?? {}), name).toContain(name);
  });
});

describe("npm run mcp-config", () => {
  it("> entry.json writes clean JSON (npm's banner is not in the file)", () => {
    const file = join(work, "entry.json");
    const run = spawnSync("sh", ["-c", `npm run mcp-config > "${file}"`], { cwd: ROOT, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const text = readFileSync(file, "utf8");
    expect(text.startsWith("{"), text.slice(0, 80)).toBe(true);
    const entry = JSON.parse(text).mcpServers.connvo;
    expect(entry.env.CONNVO_TOKEN).toBe("<your Connvo access token>");
    expect(run.stderr).toMatch(/Replace <your Connvo access token>/);
  });

  it("appending to a file leaves what was there", () => {
    const file = join(work, "log.txt");
    const run = spawnSync("sh", ["-c", `echo previous > "${file}" && npm run mcp-config -- --demo >> "${file}"`], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(file, "utf8").startsWith("previous\n")).toBe(true);
  });
});

describe("npm run bundle (MCP Bundle for Claude Desktop)", () => {
  // biome-ignore lint/suspicious/noExplicitAny: a parsed JSON document, checked field by field below
  let manifest: Record<string, any>;
  let archive: string;
  beforeAll(() => {
    const out = execFileSync(process.execPath, ["scripts/bundle-mcpb.mjs"], { cwd: ROOT, encoding: "utf8" });
    expect(out).toMatch(/sha256 [0-9a-f]{64}/);
    archive = join(ROOT, "bundle", `${pkg.name}-${pkg.version}.mcpb`);
    manifest = JSON.parse(execFileSync("unzip", ["-p", archive, "manifest.json"], { encoding: "utf8" }));
  });

  it("has a manifest whose user_config holds the token (sensitive) and the deployment", () => {
    expect(manifest).toMatchObject({
      manifest_version: "0.3",
      name: pkg.name,
      version: pkg.version,
      server: {
        type: "node",
        entry_point: "dist/cli.js",
        mcp_config: {
          command: "node",
          env: {
            CONNVO_TOKEN: placeholder("user_config.connvo_token"),
            CONNVO_DEPLOYMENT: placeholder("user_config.deployment"),
          },
        },
      },
      user_config: {
        connvo_token: { type: "string", sensitive: true, required: true },
        deployment: { type: "string", default: "prod" },
      },
    });
    expect(manifest.tools.map((t: { name: string }) => t.name)).toContain("get_active_sessions");
  });

  it("is a valid zip whose server runs from where it is unpacked, as Claude Desktop runs it", async () => {
    expect(spawnSync("unzip", ["-tq", archive], { encoding: "utf8" }).status).toBe(0);
    const target = join(work, "unpacked-bundle");
    execFileSync("unzip", ["-q", archive, "-d", target]);
    expect(JSON.parse(readFileSync(join(target, "manifest.json"), "utf8"))).toEqual(manifest);
    const args = (manifest.server.mcp_config.args as string[]).map((a) => a.replace(placeholder("__dirname"), target));
    const client = new Client({ name: "bundle", version: "0" });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [...args, "--demo"],
        cwd: target,
        env: { PATH: process.env.PATH ?? "" },
        stderr: "ignore",
      }),
    );
    try {
      expect((await client.listTools()).tools.length).toBe(manifest.tools.length);
    } finally {
      await client.close();
    }
  });

  it("is the same bytes when built again", () => {
    const first = readFileSync(archive);
    execFileSync(process.execPath, ["scripts/bundle-mcpb.mjs"], { cwd: ROOT });
    expect(readFileSync(archive).equals(first)).toBe(true);
  });
});

describe("server.json for the MCP registry", () => {
  it("is valid and matches package.json", async () => {
    const { serverJsonProblems } = (await import("../scripts/check-server-json.mjs" as string)) as {
      serverJsonProblems: (doc: unknown, pkg: unknown) => string[];
    };
    const doc = JSON.parse(readFileSync(join(ROOT, "server.json"), "utf8"));
    expect(serverJsonProblems(doc, pkg)).toEqual([]);
    const token = doc.packages[0].environmentVariables.find((v: { name: string }) => v.name === "CONNVO_TOKEN");
    expect(token).toMatchObject({ isRequired: true, isSecret: true });
    // The checker does catch what the registry would refuse.
    expect(serverJsonProblems({ ...doc, description: "x".repeat(101), version: "^1.0.0" }, pkg)).toHaveLength(3);
  });
});

describe("test output", () => {
  it("log lines of the code under test are captured, not written to stderr", () => {
    const write = vi.spyOn(process.stderr, "write");
    try {
      log("warn", "an expected warning from an error-path test");
      expect(write).not.toHaveBeenCalled();
      expect(capturedLogLines().join("")).toMatch(/connvo-mcp warn: an expected warning/);
    } finally {
      write.mockRestore();
    }
  });
});
