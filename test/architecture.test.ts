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
