/**
 * The meeting panel in a real browser: Debian's Chromium (headless, driven by playwright-core)
 * loads a test host page that renders the panel with ext-apps' own host bridge, from a real
 * get_active_sessions result of the demo deployment served by the bundled CLI over stdio. The
 * panel then follows the meeting by calling watch_meeting through the host. Asserts what a
 * person sees: rows, badges, order, attention reasons, an update after the demo world changes,
 * hostile names shown as text, dark theme, a narrow host; and that nothing is fetched and no
 * Content-Security-Policy violation happens. Screenshots go to test/output/ (gitignored);
 * UPDATE_DOCS_SCREENSHOT=1 also refreshes docs/panel.png.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { type BrowserContext, chromium, type Frame, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PANEL_URI } from "../../src/app/meta.js";
import { type DemoDeployment, startDemoDeployment } from "../../src/demo/deployment.js";
import { HOSTILE_NAMES } from "../../src/demo/seed.js";
import { ROOT } from "../helpers/paths.js";
import { dataOf, startToolkit, type Toolkit } from "../helpers/toolkit.js";

const CHROMIUM = "/usr/bin/chromium";
const OUTPUT = join(ROOT, "test", "output");

interface Row {
  userId: string;
  name: string;
  status: string;
  badge: string | null;
  reasons: string[];
  needs: boolean;
  time: string;
}

let demo: DemoDeployment;
let kit: Toolkit;
let context: BrowserContext;
let userDataDir: string;
let hostScript: string;
let panelHtml: string;
const requests: string[] = [];
const consoleLines: string[] = [];

async function openPanel(
  meetingId: string,
  options: { theme?: "light" | "dark"; width?: number } = {},
): Promise<{ page: Page; frame: Frame; result: Record<string, unknown> }> {
  const result = await kit.call("get_active_sessions", { meetingId });
  expect(result.isError).toBeFalsy();
  const page = await context.newPage();
  page.on("request", (request) => requests.push(request.url()));
  page.on("console", (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  await page.exposeFunction("__callTool", async (params: { name: string; arguments?: Record<string, unknown> }) =>
    kit.client.callTool({ name: params.name, arguments: params.arguments ?? {} }),
  );
  await page.setViewportSize({ width: (options.width ?? 640) + 40, height: 900 });
  await page.setContent(
    `<!doctype html><html><body style="margin:16px;background:#888"><script>${hostScript}</script></body></html>`,
  );
  await page.evaluate((opts) => window.__host.start(opts), {
    html: panelHtml,
    toolName: "get_active_sessions",
    args: { meetingId },
    result: result as unknown as Record<string, unknown>,
    theme: options.theme ?? "light",
    width: options.width ?? 640,
  });
  const frame = page.frames().find((f) => f !== page.mainFrame());
  if (!frame) throw new Error("the panel frame did not load");
  await frame.waitForSelector("li[data-user-id]", { timeout: 15_000 });
  return { page, frame, result: result as unknown as Record<string, unknown> };
}

const rowsOf = (frame: Frame): Promise<Row[]> =>
  frame.$$eval("#people li[data-user-id]", (items) =>
    items.map((li) => ({
      userId: (li as HTMLElement).dataset.userId ?? "",
      name: li.querySelector(".name")?.textContent ?? "",
      status: li.querySelector(".status")?.textContent ?? "",
      badge: li.querySelector(".badge")?.textContent ?? null,
      reasons: [...li.querySelectorAll(".reason")].map((r) => r.textContent ?? ""),
      needs: li.classList.contains("needs"),
      time: li.querySelector(".time")?.textContent ?? "",
    })),
  );

beforeAll(async () => {
  mkdirSync(OUTPUT, { recursive: true });
  demo = await startDemoDeployment({ liveEveryMs: 0 });
  kit = await startToolkit("stdio", { deployment: demo });
  const read = await kit.client.readResource({ uri: PANEL_URI });
  panelHtml = String((read.contents[0] as { text?: string }).text);
  const bundled = await build({
    entryPoints: [join(ROOT, "test", "browser", "host.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    write: false,
    logLevel: "warning",
  });
  hostScript = bundled.outputFiles[0]?.text ?? "";
  userDataDir = mkdtempSync(join(tmpdir(), "connvo-chromium-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await kit?.close();
  await demo?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

describe("the meeting panel in Chromium", () => {
  it("shows rows, badges and attention first, then updates itself when the meeting changes", async () => {
    const meetingId = demo.meetings.poorConnection;
    demo.live.apply(meetingId, {
      kind: "drop",
      userId: dataOf<{ participants: { name: string; userId: string }[] }>(
        await kit.call("get_active_sessions", { meetingId }),
      ).participants.find((p) => p.name === "Omar Haddad")?.userId,
    });
    const { page, frame, result } = await openPanel(meetingId);
    const summary = result.structuredContent as {
      participants: { name: string; userId: string; attention?: string[]; quality?: string }[];
    };

    const rows = await rowsOf(frame);
    // One row per person, in the summary's order: attention cases first, with their reasons.
    expect(rows.map((r) => r.name)).toEqual(summary.participants.map((p) => p.name));
    expect(rows.slice(0, 3).every((r) => r.needs)).toBe(true);
    expect(rows.slice(3).some((r) => r.needs)).toBe(false);
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(byName["Babatunde Okafor"]).toMatchObject({
      badge: "poor",
      status: "in call",
      reasons: ["poor connection"],
    });
    expect(byName["Yuki Tanaka"]).toMatchObject({ badge: "fair", reasons: ["fair connection"] });
    expect(byName["Omar Haddad"]?.status).toBe("dropped");
    expect(byName["Omar Haddad"]?.reasons[0]).toMatch(/^dropped \d+s ago$/);
    expect(byName["Alex Morgan"]).toMatchObject({ badge: "good", reasons: [] });
    expect(byName["Alex Morgan"]?.time).toMatch(/^\d+m$/);
    expect(byName["Omar Haddad"]?.time).toMatch(/^\d+s ago$/);
    const chips = await frame.$$eval("#counts .chip", (els) => els.map((e) => e.textContent));
    expect(chips).toContain("4 in call");
    expect(chips).toContain("1 dropped");
    expect(chips).toContain("3 need attention");

    await page.locator("#panel").screenshot({ path: join(OUTPUT, "panel-first.png") });

    // The world changes by itself in the demo; here on request: someone joins, Yuki degrades.
    const callsBefore = await page.evaluate(() => window.__host.calls);
    demo.live.apply(meetingId, { kind: "join", name: "Ines Costa" });
    await frame.waitForFunction(
      () => [...document.querySelectorAll("#people .name")].some((n) => n.textContent === "Ines Costa"),
      undefined,
      { timeout: 20_000 },
    );
    const yuki = summary.participants.find((p) => p.name === "Yuki Tanaka")?.userId as string;
    demo.live.apply(meetingId, { kind: "quality", userId: yuki, quality: "poor" });
    await frame.waitForFunction(
      (id) => document.querySelector(`li[data-user-id="${id}"] .badge`)?.textContent === "poor",
      yuki,
      { timeout: 20_000 },
    );
    const after = await rowsOf(frame);
    expect(after.find((r) => r.name === "Ines Costa")?.status).toBe("joining");
    expect(after.find((r) => r.name === "Yuki Tanaka")).toMatchObject({ badge: "poor", reasons: ["poor connection"] });
    // Poor connections come first: Babatunde and Yuki, then the dropped person.
    expect(
      after
        .slice(0, 2)
        .map((r) => r.name)
        .sort(),
    ).toEqual(["Babatunde Okafor", "Yuki Tanaka"]);
    const changes = await frame.$$eval("#changes li", (els) => els.map((e) => e.textContent));
    expect(changes.join("\n")).toMatch(/Yuki Tanaka connection got worse: fair to poor/);
    // It got there by calling watch_meeting through the host.
    expect(await page.evaluate(() => window.__host.calls)).toBeGreaterThan(callsBefore);
    await page.locator("#panel").screenshot({ path: join(OUTPUT, "panel.png") });
    if (process.env.UPDATE_DOCS_SCREENSHOT === "1")
      copyFileSync(join(OUTPUT, "panel.png"), join(ROOT, "docs", "panel.png"));
    await page.close();
  }, 90_000);

  it("renders hostile names as text, never as markup", async () => {
    const meetingId = demo.meetings.hostileNames;
    const markup = `<img src=x onerror="window.__pwned=1"><b>Eve</b>`;
    demo.live.apply(meetingId, { kind: "join", name: markup });
    const { page, frame, result } = await openPanel(meetingId);
    const summary = result.structuredContent as { participants: { name: string }[] };
    const names = (await rowsOf(frame)).map((r) => r.name);
    expect(names).toEqual(summary.participants.map((p) => p.name));
    expect(names).toContain(markup);
    expect(names.some((n) => n.includes("Click to reconnect"))).toBe(true);
    expect(names.some((n) => n.startsWith(HOSTILE_NAMES.newline.slice(0, 4)))).toBe(true);
    // Nothing the names contain became an element, and no handler ran.
    const injected = await frame.$$eval(
      "#people img, #people b, #people a, #people h1, #people script",
      (els) => els.length,
    );
    expect(injected).toBe(0);
    expect(await frame.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.close();
  }, 60_000);

  it("follows the host's dark theme and fits a narrow host", async () => {
    const { page, frame } = await openPanel(demo.meetings.twoDevices, { theme: "dark", width: 320 });
    const colors = await frame.evaluate(() => {
      const bg = getComputedStyle(document.body).backgroundColor;
      const fg = getComputedStyle(document.body).color;
      return { bg, fg, theme: document.documentElement.dataset.theme };
    });
    expect(colors.theme).toBe("dark");
    const luminance = (rgb: string) => {
      const [r = 0, g = 0, b = 0] = (rgb.match(/\d+/g) ?? []).map(Number);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    expect(luminance(colors.bg)).toBeLessThan(60);
    expect(luminance(colors.fg)).toBeGreaterThan(180);
    // Narrow: nothing overflows sideways.
    const overflow = await frame.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    expect((await rowsOf(frame)).find((r) => r.name === "Grace O'Neill")).toBeDefined();
    await page.locator("#panel").screenshot({ path: join(OUTPUT, "panel-dark-narrow.png") });
    // Switching the host to light mode switches the panel.
    await page.evaluate(() => window.__host.setTheme("light"));
    await frame.waitForFunction(() => document.documentElement.dataset.theme === "light", undefined, {
      timeout: 10_000,
    });
    await page.close();
  }, 60_000);

  it("fetched nothing and broke no Content-Security-Policy rule", () => {
    const network = requests.filter((url) => !url.startsWith("about:") && !url.startsWith("data:"));
    expect(network).toEqual([]);
    expect(consoleLines.filter((line) => /Content Security Policy|Refused to/i.test(line))).toEqual([]);
  });
});
