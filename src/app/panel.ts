/**
 * The meeting panel's document: one self-contained HTML page. The styles and the script
 * (src/app/view.ts) are inline, nothing is loaded from anywhere, and its Content-Security-Policy
 * allows exactly that inline style and script (by hash) and nothing else: no network, no images,
 * no frames, no forms. Loaded (a chunk of its own) only when a host reads the panel resource;
 * the names, URI and `_meta` live in src/app/meta.ts.
 */
import type { createHash as CreateHash } from "node:crypto";
import { createRequire } from "node:module";
import { panelMain } from "./view.js";

const STYLE = `
:root {
  color-scheme: light dark;
  --bg: var(--color-background-primary, #ffffff);
  --bg2: var(--color-background-secondary, #f4f5f7);
  --fg: var(--color-text-primary, #1b1d21);
  --fg2: var(--color-text-secondary, #5b616b);
  --line: var(--color-border-secondary, #dfe2e7);
  --ok: #1f7a3f; --ok-bg: #e3f4e8;
  --warn: #8a5a00; --warn-bg: #fff1d6;
  --bad: #b3261e; --bad-bg: #fde4e1;
  --info: #2457c5; --info-bg: #e3ecfd;
  --muted-bg: #eceef1;
  --radius: var(--border-radius-md, 8px);
  font-family: var(--font-sans, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
}
@media (prefers-color-scheme: dark) {
  :root:not([data-theme="light"]) {
    --bg: var(--color-background-primary, #17191c); --bg2: var(--color-background-secondary, #212429);
    --fg: var(--color-text-primary, #eceef1); --fg2: var(--color-text-secondary, #a3a9b3);
    --line: var(--color-border-secondary, #343840);
    --ok: #6fd08f; --ok-bg: #173524; --warn: #f2c262; --warn-bg: #3b2e10;
    --bad: #ff8a80; --bad-bg: #45201d; --info: #8fb4ff; --info-bg: #1c2a48; --muted-bg: #2a2e34;
  }
}
:root[data-theme="dark"] {
  --bg: var(--color-background-primary, #17191c); --bg2: var(--color-background-secondary, #212429);
  --fg: var(--color-text-primary, #eceef1); --fg2: var(--color-text-secondary, #a3a9b3);
  --line: var(--color-border-secondary, #343840);
  --ok: #6fd08f; --ok-bg: #173524; --warn: #f2c262; --warn-bg: #3b2e10;
  --bad: #ff8a80; --bad-bg: #45201d; --info: #8fb4ff; --info-bg: #1c2a48; --muted-bg: #2a2e34;
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--fg); font-size: 14px; line-height: 1.4; }
main { padding: 12px; max-width: 720px; }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 10px; margin-bottom: 8px; }
h1 { font-size: 16px; margin: 0; font-weight: 600; }
#asof { color: var(--fg2); font-size: 12px; }
#live { font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--fg2); }
#live[data-on="true"] { color: var(--ok); }
#live[data-on="true"]::before { content: "\\25CF  "; }
#counts { display: flex; flex-wrap: wrap; gap: 6px; margin: 0 0 10px; }
.chip { font-size: 12px; padding: 2px 8px; border-radius: 999px; background: var(--muted-bg); color: var(--fg2); }
.chip.attention { background: var(--bad-bg); color: var(--bad); font-weight: 600; }
.chip.s-connected { background: var(--ok-bg); color: var(--ok); }
.chip.s-connecting { background: var(--info-bg); color: var(--info); }
.chip.s-disconnected, .chip.s-failed { background: var(--warn-bg); color: var(--warn); }
#people { list-style: none; margin: 0; padding: 0; border: 1px solid var(--line); border-radius: var(--radius); overflow: hidden; }
.row { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 12px; padding: 8px 10px; border-top: 1px solid var(--line); }
.row:first-child { border-top: 0; }
.row.needs { background: var(--bad-bg); }
.row.changed { box-shadow: inset 3px 0 0 var(--info); }
.main { flex: 1 1 200px; min-width: 0; display: flex; align-items: baseline; gap: 8px; }
.name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; unicode-bidi: isolate; }
.name.anon { font-weight: 400; font-style: italic; color: var(--fg2); }
.devices { font-size: 12px; color: var(--fg2); white-space: nowrap; }
.meta { display: flex; align-items: center; gap: 8px; flex: 0 1 auto; flex-wrap: wrap; }
.status { font-size: 12px; color: var(--fg2); }
.status.s-disconnected, .status.s-failed { color: var(--warn); font-weight: 600; }
.status.s-connecting { color: var(--info); }
.badge { font-size: 11px; font-weight: 600; padding: 1px 7px; border-radius: 999px; text-transform: uppercase; letter-spacing: .03em; }
.q-excellent, .q-good { background: var(--ok-bg); color: var(--ok); }
.q-fair { background: var(--warn-bg); color: var(--warn); }
.q-poor { background: var(--bad-bg); color: var(--bad); border: 1px solid var(--bad); }
.q-unknown { background: var(--muted-bg); color: var(--fg2); }
.time { font-size: 12px; color: var(--fg2); font-variant-numeric: tabular-nums; white-space: nowrap; }
.reasons { flex-basis: 100%; margin: 0; padding: 0 0 0 2px; list-style: none; display: flex; flex-wrap: wrap; gap: 4px 10px; }
.reason { font-size: 12px; color: var(--bad); }
.reason::before { content: "\\26A0  "; }
.empty { padding: 14px 10px; color: var(--fg2); list-style: none; }
#more { color: var(--fg2); font-size: 12px; margin: 6px 2px 0; }
#more:empty, #changes:empty, #status:empty { display: none; }
#changes { list-style: none; margin: 10px 0 0; padding: 8px 10px; background: var(--bg2); border-radius: var(--radius); font-size: 12px; }
#changes .who { font-weight: 600; unicode-bidi: isolate; }
#status { margin: 8px 2px 0; font-size: 12px; color: var(--fg2); }
#status[data-kind="error"] { color: var(--bad); }
@media (max-width: 420px) {
  main { padding: 8px; }
  .row { padding: 8px; }
  .main { flex-basis: 100%; }
  .meta { gap: 6px; }
}
`;

const BODY = `<main>
<header><h1 id="title">Meeting</h1><span id="live" data-on="false">connecting</span><span id="asof"></span></header>
<div id="counts" aria-label="Counts"></div>
<ul id="people" aria-label="Participants"></ul>
<p id="more"></p>
<ul id="changes" aria-label="Recent changes"></ul>
<p id="status" role="status"></p>
</main>`;

const lazyRequire = createRequire(import.meta.url);
const sha256 = (text: string) => {
  const { createHash } = lazyRequire("node:crypto") as { createHash: typeof CreateHash };
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
};

let html: string | undefined;

/** The panel document (built once). */
export function panelHtml(): string {
  if (html) return html;
  // `__name` covers transpilers that wrap named functions (esbuild's keepNames); it is a no-op here.
  const script = `"use strict";var __name=function(f){return f};(${panelMain.toString()})();`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(STYLE)}`,
    "img-src 'none'",
    "connect-src 'none'",
    "font-src 'none'",
    "media-src 'none'",
    "frame-src 'none'",
    "worker-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Connvo meeting</title>
<style>${STYLE}</style>
</head>
<body>
${BODY}
<script>${script}</script>
</body>
</html>
`;
  return html;
}
