/**
 * DNS-rebinding and cross-site protection for /mcp. A web page the user visits can make their
 * browser send requests to 127.0.0.1 under the attacker's host name (rebinding) or from the
 * attacker's origin; checking Host and Origin against allowlists refuses both before anything runs.
 * Non-browser clients send no Origin, so a missing Origin passes.
 */
import type { IncomingHttpHeaders } from "node:http";
import { validateHostHeader, validateOriginHeader } from "@modelcontextprotocol/server";

export type GuardOutcome = { ok: true } | { ok: false; status: 400 | 403; message: string };

/**
 * RFC 9110 Host: `uri-host [":" port]`, where uri-host is an IP literal in brackets or a reg-name
 * (unreserved, pct-encoded and sub-delims characters). Anything else, notably userinfo
 * (`evil.com@localhost`, which URL parsing would read as host `localhost`), a path or whitespace,
 * is not a Host at all.
 */
const HOST_HEADER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+)(?::\d{0,5})?$/;

export function createRequestGuard(
  allowedHosts: string[],
  allowedOrigins: string[],
): (headers: IncomingHttpHeaders) => GuardOutcome {
  // Entries with a scheme are exact origins; the rest are host names matched on any port, as the SDK does.
  const exactOrigins = new Set(allowedOrigins.filter((o) => o.includes("://")));
  const originHostnames = allowedOrigins.filter((o) => !o.includes("://"));
  return (headers) => {
    if (headers.host !== undefined && !HOST_HEADER.test(headers.host)) {
      return {
        ok: false,
        status: 400,
        message: `Host ${quote(headers.host)} is not a valid Host header (a host name or address and an optional port, nothing else).`,
      };
    }
    const host = validateHostHeader(headers.host, allowedHosts);
    if (!host.ok) {
      return {
        ok: false,
        status: 403,
        message: `Host ${quote(headers.host ?? "")} is not allowed. Add the name clients use to CONNVO_MCP_ALLOWED_HOSTS.`,
      };
    }
    const origin = headers.origin;
    if (origin === undefined || origin === "") return { ok: true };
    if (exactOrigins.has(normalizedOrigin(origin))) return { ok: true };
    if (validateOriginHeader(origin, originHostnames).ok) return { ok: true };
    return {
      ok: false,
      status: 403,
      message: `Origin ${quote(origin)} is not allowed. Add it to CONNVO_MCP_ALLOWED_ORIGINS.`,
    };
  };
}

function normalizedOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return "null"; // never in the allowlist
  }
}

/** The rejected value goes back to the client and into logs: quoted, and bounded. */
const quote = (value: string): string => JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}...` : value);
