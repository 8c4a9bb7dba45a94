/**
 * The layer rule of docs/architecture.md, enforced: a module imports only from its own layer or
 * the layers below it. Reads every import of every source file.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/paths.js";

/** Bottom first. A file belongs to the first layer whose prefix matches its path under src/. */
const LAYERS: [string, string[]][] = [
  ["core", ["core/"]],
  ["config", ["config/", "auth/"]],
  ["backend", ["convex/", "live/"]],
  ["openapi", ["openapi/"]],
  ["present", ["present/"]],
  ["tools", ["tools/", "summary/", "app/"]],
  ["server", ["server.ts", "version.ts"]],
  ["edge", ["transports/", "cli.ts", "commands/", "demo/"]],
];
// version.ts and generated data have no imports of ours; they may be used from anywhere.
const ANYWHERE = [/^version\.ts$/, /\.generated\.ts$/];

function layerOf(path: string): number {
  const index = LAYERS.findIndex(([, prefixes]) => prefixes.some((p) => path === p || path.startsWith(p)));
  if (index < 0) throw new Error(`src/${path} is in no layer of docs/architecture.md`);
  return index;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith(".ts")
        ? [join(dir, entry.name)]
        : [],
  );
}

const SRC = join(ROOT, "src");

describe("layers only point down", () => {
  const files = sourceFiles(SRC).map((file) => relative(SRC, file).split("\\").join("/"));

  it("every source file is in a layer", () => {
    for (const file of files) if (!ANYWHERE.some((re) => re.test(file))) expect(() => layerOf(file)).not.toThrow();
  });

  it("no module imports from a layer above its own", () => {
    const violations: string[] = [];
    let seen = 0;
    for (const file of files) {
      if (ANYWHERE.some((re) => re.test(file))) continue;
      const text = readFileSync(join(SRC, file), "utf8");
      for (const match of text.matchAll(
        /(?:import|export)[^"'`]*?from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g,
      )) {
        const spec = match[1] ?? match[2];
        if (!spec) continue;
        seen += 1;
        const target = relative(SRC, resolve(dirname(join(SRC, file)), spec))
          .split("\\")
          .join("/")
          .replace(/\.js$/, ".ts");
        if (ANYWHERE.some((re) => re.test(target))) continue;
        if (layerOf(target) > layerOf(file)) violations.push(`src/${file} imports src/${target}`);
      }
    }
    expect(violations).toEqual([]);
    // The scan itself works: the source has well over a hundred relative imports.
    expect(seen).toBeGreaterThan(100);
  });

  it("the demo deployment is loaded only with --demo (a dynamic import in the CLI)", () => {
    const cli = readFileSync(join(SRC, "cli.ts"), "utf8");
    expect(cli).not.toMatch(/^import[^;]*from "\.\/demo\//m);
    expect(cli).toMatch(/await import\("\.\/demo\/deployment\.js"\)/);
  });
});

/** The CLI's --version answer as its source writes it (a template literal, spelt out here). */
const VERSION_WRITE = ["process.stdout.write(`$", "{VERSION}\\n`)"].join("");

describe("stdout is the protocol channel in stdio mode", () => {
  const files = sourceFiles(SRC).map((file) => relative(SRC, file).split("\\").join("/"));
  const text = (file: string) => readFileSync(join(SRC, file), "utf8");

  it("is written only by the stdio transport and by CLI paths that return before any server exists", () => {
    const writers: string[] = [];
    for (const file of files) {
      text(file)
        .split("\n")
        .forEach((line) => {
          if (/process\.stdout|console\.(log|info|debug|dir|table)\(/.test(line) && !/^\s*(\/\/|\*)/.test(line))
            writers.push(`${file}:${line.trim()}`);
        });
    }
    expect(writers).toEqual([
      "cli.ts:process.stdout.write(HELP);",
      `cli.ts:${VERSION_WRITE};`,
      "commands/auth.ts:out: (text) => void process.stdout.write(redact(text)),",
      "transports/stdio.ts:this.stdout = options.stdout ?? process.stdout;",
    ]);
  });

  it("the CLI answers --help and --version, and runs the sign-in commands, before it starts any server", () => {
    const cli = text("cli.ts");
    const main = cli.slice(cli.indexOf("export async function main("));
    const firstServer = Math.min(...["runStdio(", "runHttp(", "createServerFactory("].map((s) => main.indexOf(s)));
    expect(firstServer).toBeGreaterThan(0);
    for (const write of ["process.stdout.write(HELP)", VERSION_WRITE, "runAuthCommand("]) {
      const at = main.indexOf(write);
      expect(at, write).toBeGreaterThan(0);
      expect(at, write).toBeLessThan(firstServer);
      // Each answers and returns: nothing after it in its branch reaches a server.
      const branch = main.slice(main.lastIndexOf("\n", at)).split("\n").slice(0, 3).join("\n");
      expect(branch, write).toMatch(/return/);
    }
  });

  it("the sign-in commands are loaded by the CLI alone", () => {
    const importers = files.filter((file) => file !== "cli.ts" && /["']\.{1,2}\/(\.\.\/)*commands\//.test(text(file)));
    expect(importers).toEqual([]);
    expect(text("cli.ts")).toMatch(/await import\("\.\/commands\/auth\.js"\)/);
  });
});
