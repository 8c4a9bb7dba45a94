/**
 * The meeting panel, as tools and hosts see it: an MCP App (io.modelcontextprotocol/ui) that
 * hosts which render apps show beside get_active_sessions and watch_meeting answers. The tools
 * name it in `_meta.ui.resourceUri`; the resource (src/app/panel.ts) is read only by such hosts,
 * so hosts without MCP Apps get exactly the answers they got before. The resource's `_meta.ui.csp`
 * declares no domains of any kind: the panel loads nothing.
 */
export const PANEL_URI = "ui://connvo/meeting-panel.html";
export const PANEL_MIME_TYPE = "text/html;profile=mcp-app";
/** The tools whose answers the panel shows. */
export const PANEL_TOOLS: ReadonlySet<string> = new Set(["get_active_sessions", "watch_meeting"]);

/** `_meta` for a tool the panel shows (the current key and the older flat one), or undefined. */
export function panelToolMeta(toolName: string): Record<string, unknown> | undefined {
  if (!PANEL_TOOLS.has(toolName)) return undefined;
  return { ui: { resourceUri: PANEL_URI }, "ui/resourceUri": PANEL_URI };
}

/** The resource's `_meta`: no domains, a border from the host. */
export const PANEL_RESOURCE_META = {
  ui: {
    csp: { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] },
    prefersBorder: true,
  },
};
