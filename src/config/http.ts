/**
 * Settings for `--http`. Unlike the Connvo settings (config.ts), a problem here is fatal: a server
 * that listens where it should not, or with a secret it cannot check, must not start at all, so
 * every problem is collected and the CLI refuses to start with all of them (exit code 2).
 */
import { createServer, isIP } from "node:net";
import { type HttpAuthMode, type OAuthSettings, parseHttpAuth } from "../auth/settings.js";

export const DEFAULT_HTTP_HOST = "127.0.0.1";
export const DEFAULT_HTTP_PORT = 8787;
/** Tool arguments are a meeting ID and two small options; 1 MiB leaves room for any client's envelope. */
export const MAX_BODY_BYTES = 1024 * 1024;
/**
 * A refused request's body is read and thrown away up to this much before the answer is written,
 * so the client reads the status instead of a connection reset; past it the connection is cut.
 */
export const MAX_DRAIN_BYTES = 16 * MAX_BODY_BYTES;
/** A client gets this long to send its headers, and then its whole request (slowloris defence). */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
/**
 * How often Node checks those two deadlines. Its default (30 s) lets a request that should have
 * been cut at 30 s run to almost 60 s; checked every second, the deadline holds within a second.
 */
export const TIMEOUT_CHECK_INTERVAL_MS = 1000;
/** Shorter tokens are guessable, and log redaction (registerSecret) ignores values under 8 chars. */
export const MIN_TOKEN_LENGTH = 16;

export interface HttpConfig {
  /** The address to listen on, as given (IPv6 without brackets). */
  host: string;
  /** 0 picks a free port; the server logs the one it got. */
  port: number;
  /** The shared secret every /mcp request must present as `Authorization: Bearer ...`. */
  token?: string;
  /** Host header names (no port; IPv6 in brackets) accepted on /mcp. */
  allowedHosts: string[];
  /** Origin header values accepted on /mcp: a host name (any scheme and port) or a full origin. */
  allowedOrigins: string[];
  loopback: boolean;
  /** Who may call (src/auth/settings.ts); absent means "secret" with a token, else "none". */
  auth?: HttpAuthMode;
  /** CONNVO_MCP_AUTH=oauth: every user signs in (src/transports/http/oauth.ts). */
  oauth?: OAuthSettings;
}

export interface HttpFlags {
  host?: string;
  port?: string;
  /** --auth none|secret|oauth (CONNVO_MCP_AUTH). */
  auth?: string;
  /** --demo: the OAuth settings come from the demo's authorization server. */
  demo?: boolean;
}

export type HttpConfigResult = { ok: true; config: HttpConfig; warnings: string[] } | { ok: false; errors: string[] };

type Env = Record<string, string | undefined>;

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
// RFC 6750 b64token: anything else cannot travel in an Authorization header unchanged.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function list(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** `[::1]` and `::1` are the same address; listen() wants it bare. */
function bareHost(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** How the address appears in a Host header or URL. */
export function hostForUrl(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

export function isLoopbackHost(host: string): boolean {
  const bare = bareHost(host).toLowerCase();
  if (bare === "localhost") return true;
  if (isIP(bare) === 4) return bare.startsWith("127.");
  if (isIP(bare) === 6) return bare === "::1" || /^::ffff:127\./.test(bare);
  return false;
}

const isWildcard = (host: string): boolean => host === "0.0.0.0" || host === "::";

function parseHost(raw: string, errors: string[]): string {
  const host = bareHost(raw);
  // A host name (not an address) is allowed; listen() resolves it. Anything with a scheme, port
  // or path is a common paste mistake worth naming.
  if (isIP(host) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) {
    errors.push(`--host / CONNVO_MCP_HTTP_HOST must be an IP address or host name (no scheme or port), got "${raw}".`);
  }
  return host;
}

function parsePort(raw: string | undefined, errors: string[]): number {
  if (raw === undefined) return DEFAULT_HTTP_PORT;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(port) || port > 65535) {
    errors.push(
      `--port / CONNVO_MCP_HTTP_PORT must be a whole number from 0 to 65535 (0 picks a free port), got "${raw}".`,
    );
    return DEFAULT_HTTP_PORT;
  }
  return port;
}

function parseToken(env: Env, connvoToken: string | undefined, errors: string[]): string | undefined {
  const raw = env.CONNVO_MCP_HTTP_TOKEN;
  if (raw === undefined) return undefined;
  // Never echo the value: these messages go to stderr and CI logs.
  const token = raw.trim();
  if (token === "") {
    errors.push(
      "CONNVO_MCP_HTTP_TOKEN is set but empty. Set it to a long random value (e.g. `openssl rand -hex 32`), or unset it to run without auth on a loopback address.",
    );
    return undefined;
  }
  if (token.length < MIN_TOKEN_LENGTH || !B64TOKEN.test(token)) {
    errors.push(
      `CONNVO_MCP_HTTP_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters of letters, digits and - . _ ~ + / (a bearer token). Generate one with \`openssl rand -hex 32\`.`,
    );
    return undefined;
  }
  if (connvoToken !== undefined && token === connvoToken) {
    errors.push(
      "CONNVO_MCP_HTTP_TOKEN must not be your Connvo token: every HTTP client would hold your Connvo credentials. Generate a separate secret with `openssl rand -hex 32`.",
    );
    return undefined;
  }
  return token;
}

/** The form the SDK's Host/Origin checks compare: what `new URL(...).hostname` gives (lowercase, punycode, [v6]). */
function normalizeHostname(item: string): string | undefined {
  try {
    const url = new URL(`http://${item}`);
    return url.host === url.hostname && url.pathname === "/" && !url.username ? url.hostname : undefined;
  } catch {
    return undefined;
  }
}

function parseHostnames(raw: string | undefined, variable: string, errors: string[]): string[] {
  const out: string[] = [];
  for (const item of list(raw)) {
    const hostname = item.includes("://") ? undefined : normalizeHostname(item);
    if (hostname === undefined) {
      errors.push(`${variable} entries are host names without scheme or port (mcp.example.com), got "${item}".`);
    } else {
      out.push(hostname);
    }
  }
  return out;
}

function parseOrigins(raw: string | undefined, errors: string[]): string[] {
  const out: string[] = [];
  for (const item of list(raw)) {
    if (!item.includes("://")) {
      out.push(...parseHostnames(item, "CONNVO_MCP_ALLOWED_ORIGINS", errors));
      continue;
    }
    let url: URL | undefined;
    try {
      url = new URL(item);
    } catch {
      url = undefined;
    }
    if (!url || url.origin === "null" || url.pathname !== "/" || url.search || url.hash) {
      errors.push(
        `CONNVO_MCP_ALLOWED_ORIGINS entries must be a host name (app.example.com) or an origin (https://app.example.com), got "${item}".`,
      );
      continue;
    }
    out.push(url.origin);
  }
  return out;
}

/**
 * Flags win over the environment, as for the Connvo settings. `connvoToken` is the server's own
 * Connvo token, only to refuse an HTTP secret that equals it.
 */
export function parseHttpConfig(env: Env, flags: HttpFlags = {}, connvoToken?: string): HttpConfigResult {
  const errors: string[] = [];
  const warnings: string[] = [];
  const host = parseHost(nonEmpty(flags.host) ?? nonEmpty(env.CONNVO_MCP_HTTP_HOST) ?? DEFAULT_HTTP_HOST, errors);
  const port = parsePort(nonEmpty(flags.port) ?? nonEmpty(env.CONNVO_MCP_HTTP_PORT), errors);
  const token = parseToken(env, connvoToken, errors);
  const loopback = isLoopbackHost(host);
  const auth = parseHttpAuth(env, flags.auth, flags.demo);
  errors.push(...auth.errors);
  // An invalid token was reported above; this is for no token at all. OAuth signs every user in.
  if (!loopback && env.CONNVO_MCP_HTTP_TOKEN === undefined && auth.mode !== "oauth") {
    errors.push(
      `Refusing to listen on ${host} without authentication: anyone who can reach that address could read meetings with this server's Connvo token. Set CONNVO_MCP_HTTP_TOKEN to a long random secret (clients then send "Authorization: Bearer <secret>"), or listen on 127.0.0.1 (the default).`,
    );
  }

  const configuredHosts = [
    ...parseHostnames(env.CONNVO_MCP_ALLOWED_HOSTS, "CONNVO_MCP_ALLOWED_HOSTS", errors),
    ...auth.hosts,
  ];
  // Loopback names are always safe to accept: a rebinding attack arrives with the attacker's name.
  const allowedHosts = [...new Set([...LOOPBACK_NAMES, ...configuredHosts])];
  const bindName = isWildcard(host) ? undefined : normalizeHostname(hostForUrl(host));
  if (bindName) allowedHosts.push(bindName);
  if (!loopback && configuredHosts.length === 0) {
    warnings.push(
      `CONNVO_MCP_ALLOWED_HOSTS is not set, so /mcp accepts only Host headers ${[...new Set(allowedHosts)].join(", ")}. Set it to the name(s) clients use to reach this server (e.g. mcp.example.com); other requests get 403.`,
    );
  }
  const allowedOrigins = [...new Set([...LOOPBACK_NAMES, ...parseOrigins(env.CONNVO_MCP_ALLOWED_ORIGINS, errors)])];

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    config: {
      host,
      port,
      token,
      allowedHosts: [...new Set(allowedHosts)],
      allowedOrigins,
      loopback,
      auth: auth.mode,
      ...(auth.oauth ? { oauth: auth.oauth } : {}),
    },
    warnings,
  };
}

/**
 * Whether the configured address can be listened on, checked before anything else starts (the
 * demo deployment included) so that a busy port is a settings problem with its remedy (exit code
 * 2), not a crash after start-up. Undefined when it can; otherwise what to do.
 */
export function listenProblem(config: Pick<HttpConfig, "host" | "port">): Promise<string | undefined> {
  const where = `${hostForUrl(config.host)}:${config.port}`;
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      switch (error.code) {
        case "EADDRINUSE":
          return resolve(
            `Port ${config.port} on ${hostForUrl(config.host)} is already in use (another connvo-mcp, or another program, listens there). Stop it, choose another port with --port <port> (or CONNVO_MCP_HTTP_PORT), or use --port 0 to take any free port (the log line then says which).`,
          );
        case "EACCES":
          return resolve(
            `Not allowed to listen on ${where}: ports below 1024 need extra privileges. Choose a port from 1024 to 65535 with --port <port> (or CONNVO_MCP_HTTP_PORT), or --port 0 for any free one.`,
          );
        case "EADDRNOTAVAIL":
          return resolve(
            `Cannot listen on ${where}: ${config.host} is not an address of this machine. Use --host 127.0.0.1 (the default), 0.0.0.0 or :: for all interfaces, or one of this machine's addresses.`,
          );
        case "ENOTFOUND":
        case "EAI_AGAIN":
          return resolve(
            `Cannot listen on ${where}: the host name ${config.host} does not resolve. Use an IP address.`,
          );
        default:
          return resolve(`Cannot listen on ${where}: ${error.message}.`);
      }
    });
    probe.listen({ port: config.port, host: config.host, exclusive: true }, () => {
      probe.close(() => resolve(undefined));
    });
  });
}
