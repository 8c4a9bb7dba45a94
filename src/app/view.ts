/**
 * The meeting panel's script, run in the host's sandboxed iframe. It is serialised with
 * `Function.prototype.toString` into the panel's one HTML document (src/app/panel.ts), so it must
 * be self-contained: no imports, no references to anything outside this function.
 *
 * It speaks the MCP Apps View protocol (io.modelcontextprotocol/ui, JSON-RPC over postMessage to
 * the host): `ui/initialize` → `ui/notifications/initialized`, then it renders the tool result
 * the host sends (`ui/notifications/tool-result` of get_active_sessions or watch_meeting) and
 * keeps itself current by calling `watch_meeting` through the host (`tools/call`) with the
 * cursor of the last answer, while the host lets it (serverTools) and until teardown.
 *
 * Names and every other value from the server are set with textContent: nothing is ever parsed as
 * HTML. Themes follow the host (`theme`, style variables) and the system's colour scheme otherwise.
 */
export function panelMain(): void {
  type Json = Record<string, unknown>;
  interface Participant {
    name: string;
    nameIsId?: boolean;
    userId: string;
    status: string;
    quality?: string;
    sessions?: number;
    attention?: string[];
    connectedForSec?: number;
    waitingForSec?: number;
    droppedAgoSec?: number;
    leftAgoSec?: number;
  }
  interface Summary {
    meetingId: string;
    asOf: string;
    empty: boolean;
    counts: {
      participants: number;
      byState: Record<string, number>;
      needAttention: number;
    };
    omittedParticipants: number;
    omittedNeedingAttention: number;
    participants: Participant[];
  }
  interface Change {
    kind: string;
    what: string;
    name?: string;
    userId?: string;
  }

  const PROTOCOL_VERSION = "2026-01-26";
  const WAIT_SEC = 25;
  const host = window.parent;
  const doc = document;
  const root = doc.documentElement;
  const byId = (id: string) => doc.getElementById(id) as HTMLElement;
  const els = {
    title: byId("title"),
    live: byId("live"),
    asOf: byId("asof"),
    counts: byId("counts"),
    list: byId("people"),
    more: byId("more"),
    changes: byId("changes"),
    status: byId("status"),
  };

  let nextId = 1;
  const pending = new Map<number, { resolve: (value: Json) => void; reject: (error: Error) => void; timer: number }>();
  let meetingId: string | undefined;
  let cursor: string | undefined;
  let canCallTools = false;
  let following = false;
  let stopped = false;
  let shownAt = Date.now();
  let current: Summary | undefined;
  const recentlyChanged = new Map<string, number>();
  let recentChanges: Change[] = [];

  function post(message: Json): void {
    host.postMessage({ jsonrpc: "2.0", ...message }, "*");
  }

  function request(method: string, params: Json, timeoutMs = 70_000): Promise<Json> {
    const id = nextId++;
    post({ id, method, params });
    return new Promise((resolve, reject) => {
      const timer = window.setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${method} timed out`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
    });
  }

  const isRecord = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

  // ---- rendering ---------------------------------------------------------------------------------

  function el<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    className?: string,
    text?: string,
  ): HTMLElementTagNameMap[K] {
    const node = doc.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function duration(totalSec: number): string {
    const s = Math.max(0, Math.floor(totalSec));
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m}m`;
    const h = Math.floor(m / 60);
    return `${h}h${String(m % 60).padStart(2, "0")}m`;
  }

  const STATUS_LABEL: Record<string, string> = {
    connected: "in call",
    connecting: "joining",
    disconnected: "dropped",
    failed: "failed",
    closed: "left",
  };

  /** Time in call, or how long they have been joining, or since they dropped or left. */
  function timeText(p: Participant, drift: number): string {
    if (p.connectedForSec !== undefined) return duration(p.connectedForSec + drift);
    if (p.waitingForSec !== undefined) return `for ${duration(p.waitingForSec + drift)}`;
    if (p.droppedAgoSec !== undefined) return `${duration(p.droppedAgoSec + drift)} ago`;
    if (p.leftAgoSec !== undefined) return `${duration(p.leftAgoSec + drift)} ago`;
    return "";
  }

  function setStatus(kind: "ok" | "error" | "info", text: string): void {
    els.status.textContent = text;
    els.status.dataset.kind = kind;
  }

  function renderTimes(): void {
    if (!current) return;
    const drift = (Date.now() - shownAt) / 1000;
    const rows = els.list.querySelectorAll<HTMLElement>("li[data-user-id]");
    rows.forEach((row, i) => {
      const p = current?.participants[i];
      const time = row.querySelector<HTMLElement>(".time");
      if (p && time) time.textContent = timeText(p, drift);
    });
  }

  function render(summary: Summary, changes: Change[]): void {
    current = summary;
    shownAt = Date.now();
    meetingId = summary.meetingId;
    const now = Date.now();
    for (const c of changes) if (c.userId) recentlyChanged.set(c.userId, now);
    for (const [id, at] of recentlyChanged) if (now - at > 30_000) recentlyChanged.delete(id);

    const c = summary.counts;
    els.title.textContent = `${c.participants} ${c.participants === 1 ? "participant" : "participants"}`;
    els.asOf.textContent = `as of ${summary.asOf.slice(11, 19)} UTC`;

    els.counts.replaceChildren();
    const chips: [string, number, string][] = [
      ["connected", c.byState.connected ?? 0, "in call"],
      ["connecting", c.byState.connecting ?? 0, "joining"],
      ["disconnected", c.byState.disconnected ?? 0, "dropped"],
      ["failed", c.byState.failed ?? 0, "failed"],
    ];
    for (const [state, n, word] of chips) {
      if (n === 0 && state !== "connected") continue;
      const chip = el("span", `chip s-${state}`, `${n} ${word}`);
      chip.dataset.state = state;
      els.counts.append(chip);
    }
    if (c.needAttention > 0) {
      const chip = el(
        "span",
        "chip attention",
        `${c.needAttention} ${c.needAttention === 1 ? "needs" : "need"} attention`,
      );
      chip.dataset.state = "attention";
      els.counts.append(chip);
    }

    els.list.replaceChildren();
    if (summary.empty) els.list.append(el("li", "empty", "No one is in the meeting right now."));
    for (const p of summary.participants) {
      const needs = (p.attention?.length ?? 0) > 0;
      const row = el("li", `row${needs ? " needs" : ""}${p.userId && recentlyChanged.has(p.userId) ? " changed" : ""}`);
      row.dataset.userId = p.userId;
      row.dataset.status = p.status;
      const main = el("div", "main");
      const name = el("span", `name${p.nameIsId ? " anon" : ""}`, p.name);
      name.title = p.name;
      main.append(name);
      if ((p.sessions ?? 1) > 1) main.append(el("span", "devices", `${p.sessions} devices`));
      const meta = el("div", "meta");
      const status = el("span", `status s-${p.status}`, STATUS_LABEL[p.status] ?? p.status);
      meta.append(status);
      const quality = p.quality ?? (p.status === "connected" ? "unknown" : undefined);
      if (quality) {
        const badge = el("span", `badge q-${quality}`, quality);
        badge.dataset.quality = quality;
        meta.append(badge);
      }
      meta.append(el("span", "time", timeText(p, 0)));
      row.append(main, meta);
      if (needs) {
        const reasons = el("ul", "reasons");
        for (const reason of p.attention ?? []) reasons.append(el("li", "reason", reason));
        row.append(reasons);
      }
      els.list.append(row);
    }
    const omitted = summary.omittedParticipants;
    els.more.textContent =
      omitted > 0
        ? `${omitted} more not shown${summary.omittedNeedingAttention > 0 ? ` (${summary.omittedNeedingAttention} need attention)` : ""}`
        : "";

    if (changes.length > 0) {
      recentChanges = [...changes, ...recentChanges].slice(0, 5);
      els.changes.replaceChildren();
      for (const change of recentChanges) {
        const item = el("li", `change k-${change.kind}`);
        item.append(el("span", "who", change.name ?? "Someone"), el("span", "what", ` ${change.what}`));
        els.changes.append(item);
      }
    }
    sendSize();
  }

  function applyResult(result: Json): boolean {
    const data = result.structuredContent;
    if (!isRecord(data)) return false;
    if (isRecord(data.summary)) {
      if (typeof data.cursor === "string") cursor = data.cursor;
      render(data.summary as unknown as Summary, Array.isArray(data.changes) ? (data.changes as Change[]) : []);
      return true;
    }
    if (Array.isArray(data.participants) && isRecord(data.counts)) {
      render(data as unknown as Summary, []);
      return true;
    }
    return false;
  }

  function errorText(result: Json): string {
    const content = Array.isArray(result.content) ? result.content : [];
    const first = content.find((c) => isRecord(c) && c.type === "text") as Json | undefined;
    return typeof first?.text === "string" ? first.text.slice(0, 300) : "The tool call failed.";
  }

  // ---- following ---------------------------------------------------------------------------------

  const sleep = (ms: number) => new Promise<void>((resolve) => window.setTimeout(resolve, ms));

  async function follow(): Promise<void> {
    if (following || !canCallTools || !meetingId) return;
    following = true;
    els.live.dataset.on = "true";
    els.live.textContent = "live";
    let backoff = 2_000;
    while (!stopped && meetingId) {
      const args: Json = { meetingId, waitSec: WAIT_SEC };
      if (cursor) args.since = cursor;
      try {
        const result = await request("tools/call", { name: "watch_meeting", arguments: args });
        if (stopped) break;
        if (result.isError === true) {
          const text = errorText(result);
          setStatus("error", text);
          if (/since/.test(text)) cursor = undefined;
          await sleep(backoff);
          backoff = Math.min(backoff * 2, 30_000);
          continue;
        }
        applyResult(result);
        setStatus("ok", "");
        backoff = 2_000;
      } catch (error) {
        if (stopped) break;
        setStatus("error", error instanceof Error ? error.message : "The host did not answer.");
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
    following = false;
    els.live.dataset.on = "false";
    els.live.textContent = "paused";
  }

  // ---- host context --------------------------------------------------------------------------------

  function applyContext(context: unknown): void {
    if (!isRecord(context)) return;
    if (context.theme === "dark" || context.theme === "light") root.dataset.theme = context.theme;
    const styles = isRecord(context.styles) ? context.styles : undefined;
    const variables = styles && isRecord(styles.variables) ? styles.variables : undefined;
    if (variables) {
      for (const [name, value] of Object.entries(variables)) {
        // Only CSS custom properties with plain values: no url references, the panel loads nothing.
        if (
          /^--[a-z0-9-]{1,64}$/.test(name) &&
          typeof value === "string" &&
          value.length < 200 &&
          !/url\(/i.test(value)
        ) {
          root.style.setProperty(name, value);
        }
      }
    }
  }

  let lastHeight = 0;
  function sendSize(): void {
    const height = Math.ceil(doc.body.scrollHeight);
    if (Math.abs(height - lastHeight) < 2) return;
    lastHeight = height;
    post({ method: "ui/notifications/size-changed", params: { height } });
  }

  // ---- messages ------------------------------------------------------------------------------------

  function onNotification(method: string, params: Json): void {
    switch (method) {
      case "ui/notifications/tool-input": {
        const args = isRecord(params.arguments) ? params.arguments : {};
        if (typeof args.meetingId === "string") meetingId = args.meetingId;
        if (typeof args.since === "string") cursor = args.since;
        return;
      }
      case "ui/notifications/tool-result":
        if (params.isError === true) setStatus("error", errorText(params));
        else applyResult(params);
        void follow();
        return;
      case "ui/notifications/host-context-changed":
        applyContext(params);
        return;
      case "ui/notifications/tool-cancelled":
        setStatus("info", "The tool call was cancelled.");
        return;
      default:
        return;
    }
  }

  function onRequest(id: unknown, method: string): void {
    if (method === "ui/resource-teardown") {
      stopped = true;
      post({ id, result: {} });
      return;
    }
    if (method === "ping") {
      post({ id, result: {} });
      return;
    }
    post({ id, error: { code: -32601, message: `Method not found: ${method.slice(0, 64)}` } });
  }

  window.addEventListener("message", (event: MessageEvent) => {
    if (event.source !== host) return;
    const message = event.data;
    if (!isRecord(message) || message.jsonrpc !== "2.0") return;
    const params = isRecord(message.params) ? message.params : {};
    if (typeof message.method === "string") {
      if (message.id !== undefined) onRequest(message.id, message.method);
      else onNotification(message.method, params);
      return;
    }
    if (typeof message.id === "number") {
      const waiter = pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id);
      window.clearTimeout(waiter.timer);
      if (isRecord(message.error)) waiter.reject(new Error(String(message.error.message ?? "error")));
      else waiter.resolve(isRecord(message.result) ? message.result : {});
    }
  });

  window.setInterval(renderTimes, 5_000);
  if (typeof ResizeObserver === "function") new ResizeObserver(() => sendSize()).observe(doc.body);

  void (async () => {
    try {
      const result = await request(
        "ui/initialize",
        {
          appInfo: { name: "connvo-meeting-panel", version: "1.0.0" },
          appCapabilities: { availableDisplayModes: ["inline"] },
          protocolVersion: PROTOCOL_VERSION,
        },
        15_000,
      );
      const capabilities = isRecord(result.hostCapabilities) ? result.hostCapabilities : {};
      canCallTools = isRecord(capabilities.serverTools);
      applyContext(result.hostContext);
      post({ method: "ui/notifications/initialized", params: {} });
      if (!canCallTools) {
        els.live.dataset.on = "false";
        els.live.textContent = "snapshot";
      }
      void follow();
    } catch {
      setStatus("error", "The host did not start the panel.");
    }
  })();
}
