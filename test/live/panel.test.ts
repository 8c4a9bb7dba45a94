/**
 * The panel as the bundled server serves it (real stdio): a ui:// resource of MIME type
 * text/html;profile=mcp-app that names no external URL and loads nothing, whose CSP allows only
 * its own inline style and script (by hash), which sets names as text (never markup), and which
 * the two tools name in `_meta.ui.resourceUri`. Hosts without MCP Apps get exactly the answers
 * they got before: the tool results carry no extra content or metadata.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PANEL_MIME_TYPE, PANEL_URI } from "../../src/app/meta.js";
import { panelHtml } from "../../src/app/panel.js";
import { type DemoDeployment, startDemoDeployment } from "../../src/demo/deployment.js";
import { startToolkit, type Toolkit } from "../helpers/toolkit.js";

/** Anything that would make a browser reach the network, in HTML, CSS or script. */
const EXTERNAL = [
  /\b(?:https?|wss?|ftp|file):\/\//i,
  /url\s*\(/i,
  /@import/i,
  /\bfetch\s*\(/,
  /XMLHttpRequest|EventSource|sendBeacon|new\s+WebSocket|importScripts|navigator\.serviceWorker/,
  /\bimport\s*\(/,
];
/** Ways to turn text into markup. */
const MARKUP_SINKS =
  /innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser|\beval\s*\(|new Function/;

describe("the meeting panel resource", () => {
  let demo: DemoDeployment;
  let kit: Toolkit;
  let html: string;
  let served: { uri: string; mimeType?: string; text?: string; _meta?: Record<string, unknown> };

  beforeAll(async () => {
    demo = await startDemoDeployment({ liveEveryMs: 0 });
    kit = await startToolkit("stdio", { deployment: demo });
    served = (await kit.client.readResource({ uri: PANEL_URI })).contents[0] as typeof served;
    html = String(served.text);
  });
  afterAll(async () => {
    await kit?.close();
    await demo?.close();
  });

  it("is listed as an MCP App resource whose CSP declares no domains", async () => {
    const { resources } = await kit.client.listResources();
    const listed = resources.find((r) => r.uri === PANEL_URI);
    expect(listed?.mimeType).toBe(PANEL_MIME_TYPE);
    expect(served.mimeType).toBe("text/html;profile=mcp-app");
    expect(served._meta).toEqual({
      ui: {
        csp: { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] },
        prefersBorder: true,
      },
    });
  });

  it("contains no external URL and nothing that would load one", () => {
    expect(html.length).toBeGreaterThan(5_000);
    // As the bundle serves it, and as the source builds it (its script is not minified).
    for (const document of [html, panelHtml()]) {
      for (const pattern of EXTERNAL) expect(document, String(pattern)).not.toMatch(pattern);
    }
    // The markup itself (outside the one script and style) has no attribute that loads anything.
    const markup = html.replace(/<script>[\s\S]*?<\/script>|<style>[\s\S]*?<\/style>/g, "");
    expect(markup).not.toMatch(/\s(?:src|href|action|srcset|poster|data|background|formaction)\s*=/i);
    expect(markup).not.toMatch(/<(?:link|img|iframe|object|embed|audio|video|source|base|form)\b/i);
  });

  it("allows only its own inline style and script, by hash", () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? "";
    const directives = Object.fromEntries(
      csp
        .split(";")
        .map((d) => d.trim().split(/\s+/))
        .map(([name = "", ...values]) => [name, values]),
    );
    expect(directives["default-src"]).toEqual(["'none'"]);
    for (const name of ["connect-src", "img-src", "font-src", "frame-src", "base-uri", "form-action"]) {
      expect(directives[name], name).toEqual(["'none'"]);
    }
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*|https?:|data:/);
    const hash = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? "");
    const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1] ?? "");
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(directives["script-src"]).toEqual([hash(scripts[0] as string)]);
    expect(directives["style-src"]).toEqual([hash(styles[0] as string)]);
    // No inline handlers or style attributes (the CSP would block them anyway).
    expect(html).not.toMatch(/\son[a-z]+\s*=|\sstyle\s*=/i);
  });

  it("sets every value from the server as text, never as markup", () => {
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? "";
    expect(script).not.toMatch(MARKUP_SINKS);
    expect(script).toMatch(/textContent/);
  });

  it("is named by get_active_sessions and watch_meeting, and changes nothing in their answers", async () => {
    const { tools } = await kit.client.listTools();
    const withPanel = tools.filter(
      (t) => (t._meta as { ui?: { resourceUri?: string } } | undefined)?.ui?.resourceUri === PANEL_URI,
    );
    expect(withPanel.map((t) => t.name).sort()).toEqual(["get_active_sessions", "watch_meeting"]);
    for (const tool of withPanel) expect(tool._meta?.["ui/resourceUri"]).toBe(PANEL_URI);
    const result = await kit.call("get_active_sessions", { meetingId: demo.meetings.healthy });
    expect(Object.keys(result).sort()).toEqual(["content", "structuredContent"]);
    expect(result.content).toHaveLength(1);
  });
});
