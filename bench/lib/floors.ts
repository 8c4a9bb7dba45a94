/**
 * The floors, built the way connvo-mcp is built: bench/floor/*.ts bundled with the build's own
 * options (scripts/build.mjs: one CommonJS bundle, undici and others loaded from files next to it) into
 * a temporary directory, and the SDK floor also as a startup snapshot with the launcher's V8 flags.
 * Differences to connvo-mcp are then our own code, not the way it is packaged.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./subjects.js";

export interface Floors {
  dir: string;
  /** Bundled scripts by name (stdio-raw, stdio-proxy, sdk-proxy, http-proxy). */
  script(name: "stdio-raw" | "stdio-proxy" | "sdk-proxy" | "http-proxy"): string;
  stdioEcho: string;
  /** The SDK floor's snapshot and the flags it must be started with; undefined if it failed. */
  sdkSnapshot?: { blob: string; flags: string[] };
  close(): void;
}

interface BuildModule {
  mainBundleOptions: Record<string, unknown>;
  LAUNCH_FLAGS: string[];
}

export async function buildFloors(progress: (text: string) => void): Promise<Floors> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "connvo-mcp-floors-"));
  const { mainBundleOptions, LAUNCH_FLAGS } = (await import(path.join(ROOT, "scripts", "build.mjs"))) as BuildModule;
  const { build } = await import("esbuild");
  const names = ["stdio-raw", "stdio-proxy", "sdk-proxy", "http-proxy"] as const;
  await build({
    ...mainBundleOptions,
    entryPoints: Object.fromEntries(names.map((n) => [n, path.join(ROOT, "bench", "floor", `${n}.ts`)])),
    outdir: dir,
    outExtension: { ".js": ".cjs" },
    logLevel: "error",
  });
  // The files a bundle loads from beside itself (undici, the JSON Schema validator, ...).
  for (const file of readdirSync(path.join(ROOT, "dist"))) {
    if (file.endsWith(".cjs") && file !== "connvo-mcp.cjs")
      copyFileSync(path.join(ROOT, "dist", file), path.join(dir, file));
  }
  const script = (name: (typeof names)[number]) => path.join(dir, `${name}.cjs`);

  let sdkSnapshot: Floors["sdkSnapshot"];
  const blob = path.join(dir, "sdk-proxy.blob");
  const made = spawnSync(
    process.execPath,
    [...LAUNCH_FLAGS, "--snapshot-blob", blob, "--build-snapshot", script("sdk-proxy")],
    { encoding: "utf8", env: { PATH: process.env.PATH ?? "" } },
  );
  if (made.status === 0) sdkSnapshot = { blob, flags: LAUNCH_FLAGS };
  else progress(`the SDK floor's snapshot was not built (${made.status}): ${made.stderr.slice(-300)}`);

  return {
    dir,
    script,
    stdioEcho: path.join(ROOT, "bench", "floor", "stdio-echo.mjs"),
    sdkSnapshot,
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
