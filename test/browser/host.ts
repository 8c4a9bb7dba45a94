/**
 * A minimal MCP Apps host for the browser test, bundled by esbuild and run in headless Chromium:
 * it renders a View (the panel's HTML, from the real server's resources/read) in a sandboxed
 * iframe and talks to it through ext-apps' own host bridge (AppBridge over PostMessageTransport),
 * forwarding the View's tools/call to the test's real MCP client (window.__callTool, exposed by
 * Playwright), as Claude, ChatGPT or VS Code would forward it to the server.
 */
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

interface StartOptions {
  html: string;
  toolName: string;
  args: Record<string, unknown>;
  result: Record<string, unknown>;
  theme: "light" | "dark";
  width: number;
}

declare global {
  interface Window {
    __callTool(params: unknown): Promise<Record<string, unknown>>;
    __host: { start(options: StartOptions): Promise<void>; setTheme(theme: "light" | "dark"): void; calls: number };
  }
}

let bridge: AppBridge | undefined;
const state = { calls: 0 };

async function start(options: StartOptions): Promise<void> {
  const iframe = document.createElement("iframe");
  iframe.id = "panel";
  iframe.setAttribute("sandbox", "allow-scripts");
  iframe.style.width = `${options.width}px`;
  iframe.style.height = "600px";
  iframe.style.border = "1px solid #ccd";
  document.body.append(iframe);
  // The bridge listens before the View loads (as hosts do): the View's first message is ui/initialize.
  const view = iframe.contentWindow as Window;
  bridge = new AppBridge(
    null,
    { name: "connvo-test-host", version: "1.0.0" },
    { serverTools: {}, openLinks: {} },
    {
      hostContext: {
        theme: options.theme,
        displayMode: "inline",
        platform: "web",
        containerDimensions: { maxWidth: options.width },
      },
    },
  );
  bridge.oncalltool = async (params) => {
    state.calls += 1;
    return (await window.__callTool(params)) as never;
  };
  bridge.onsizechange = ({ height }) => {
    if (typeof height === "number") iframe.style.height = `${Math.min(2000, height + 4)}px`;
  };
  const initialized = new Promise<void>((resolve) => {
    (bridge as AppBridge).oninitialized = () => resolve();
  });
  await bridge.connect(new PostMessageTransport(view, view));
  iframe.srcdoc = options.html;
  await initialized;
  await bridge.sendToolInput({ arguments: options.args });
  await bridge.sendToolResult(options.result as never);
}

window.__host = {
  start,
  setTheme(theme) {
    bridge?.setHostContext({ theme, displayMode: "inline", platform: "web" });
  },
  get calls() {
    return state.calls;
  },
};
