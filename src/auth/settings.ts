/**
 * How `--http` decides who may call: `CONNVO_MCP_AUTH` (or `--auth`) is `none` (loopback only),
 * `secret` (the shared CONNVO_MCP_HTTP_TOKEN) or `oauth` (every user signs in; connvo-mcp is an
 * OAuth 2.1 protected resource, README "Per-user sign-in"). Like the rest of the HTTP settings, a
 * problem here refuses the start (exit code 2): each message names the variable and says why.
 */

export type HttpAuthMode = "none" | "secret" | "oauth";
export const HTTP_AUTH_MODES: readonly HttpAuthMode[] = ["none", "secret", "oauth"];

/** Reads (every tool that only reads Connvo data) need this scope. */
export const READ_SCOPE = "meetings:read";
/** Writes (the tools that change Connvo data: add_meeting_note, rate_prompt) also need this one. */
export const WRITE_SCOPE = "meetings:write";
export const SCOPES_SUPPORTED: readonly string[] = [READ_SCOPE, WRITE_SCOPE];

export interface OAuthSettings {
  /**
   * The canonical URL of this server's MCP endpoint, exactly as clients use it (the token
   * audience and the Protected Resource Metadata `resource`). Never taken from a Host header.
   * Undefined only for `--demo`, where it is this listener's own loopback address.
   */
  publicUrl: string | undefined;
  /** The authorization server (Connvo's WorkOS AuthKit domain), as its tokens name it in `iss`. */
  issuer: string;
  /** This server's confidential client at the issuer, for the token exchange. */
  clientId: string;
  clientSecret: string;
  /** The audience Connvo's Convex deployment accepts (its auth.config.ts applicationID). */
  convexAudience: string;
  /** Overrides of what the issuer's metadata says (a self-hosted or test issuer). */
  jwksUrl?: string;
  tokenUrl?: string;
  /** In-process tests only: the clock tokens are checked against, and the key-set fetch cooldown. */
  now?: () => number;
  jwksCooldownMs?: number;
}

export interface HttpAuthSettings {
  mode: HttpAuthMode;
  /** Set for mode "oauth" except with --demo (the demo's own authorization server fills it in). */
  oauth?: OAuthSettings;
  /** Host names clients use (the public URL's), accepted by the Host check on top of loopback. */
  hosts: string[];
  errors: string[];
}

type Env = Record<string, string | undefined>;

const nonEmpty = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
};

function isLoopbackName(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/**
 * An absolute https URL (http only on a loopback host, for local development), without
 * credentials or fragment. `query` allows a query string. Undefined (and an error) otherwise.
 */
function parseSecureUrl(raw: string, variable: string, errors: string[], what: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    errors.push(`${variable} must be an absolute URL (${what}), got "${raw.slice(0, 200)}".`);
    return undefined;
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackName(url.hostname))) {
    errors.push(
      `${variable} must start with https:// (plain http:// only for a loopback host such as 127.0.0.1): tokens travel to and from it. Got "${raw.slice(0, 200)}".`,
    );
    return undefined;
  }
  if (url.username || url.password || url.hash || url.search) {
    errors.push(`${variable} must be a plain URL without credentials, query or fragment, got "${raw.slice(0, 200)}".`);
    return undefined;
  }
  return raw;
}

const REQUIRED: ReadonlyArray<
  [keyof Pick<OAuthSettings, "issuer" | "clientId" | "clientSecret" | "convexAudience">, string, string]
> = [
  [
    "issuer",
    "CONNVO_AUTH_ISSUER",
    "the authorization server users sign in with: Connvo's WorkOS AuthKit domain, e.g. https://connvo.authkit.app (its /.well-known/oauth-authorization-server names its keys and token endpoint)",
  ],
  [
    "clientId",
    "CONNVO_AUTH_CLIENT_ID",
    "this server's own (confidential) client ID at the issuer, used to exchange each user's token for a Connvo one",
  ],
  ["clientSecret", "CONNVO_AUTH_CLIENT_SECRET", "the secret of that client"],
  [
    "convexAudience",
    "CONNVO_CONVEX_AUDIENCE",
    "the audience Connvo's Convex deployment accepts (the applicationID in Connvo's convex/auth.config.ts, Connvo's WorkOS client ID)",
  ],
];

/**
 * The auth mode and, for `oauth`, its settings. `flag` is `--auth` (it wins over the environment).
 * With `demo`, the OAuth settings come from the demo's own authorization server instead.
 */
export function parseHttpAuth(env: Env, flag: string | undefined, demo = false): HttpAuthSettings {
  const errors: string[] = [];
  const hosts: string[] = [];
  const raw = nonEmpty(flag) ?? nonEmpty(env.CONNVO_MCP_AUTH);
  const secretSet = env.CONNVO_MCP_HTTP_TOKEN !== undefined;
  const mode = (raw?.toLowerCase() ?? (secretSet ? "secret" : "none")) as HttpAuthMode;
  if (!HTTP_AUTH_MODES.includes(mode)) {
    errors.push(
      `--auth / CONNVO_MCP_AUTH must be one of ${HTTP_AUTH_MODES.join(", ")} (none: no auth, loopback only; secret: the shared CONNVO_MCP_HTTP_TOKEN; oauth: every user signs in), got "${(raw ?? "").slice(0, 40)}".`,
    );
    return { mode: "none", hosts, errors };
  }
  if (mode === "secret" && !secretSet) {
    errors.push(
      "CONNVO_MCP_AUTH=secret needs CONNVO_MCP_HTTP_TOKEN, the shared secret clients send as `Authorization: Bearer <secret>`. Set it to a long random value (e.g. `openssl rand -hex 32`), or choose CONNVO_MCP_AUTH=oauth for per-user sign-in.",
    );
  }
  if (mode === "none" && secretSet && raw !== undefined) {
    errors.push(
      "CONNVO_MCP_AUTH=none contradicts CONNVO_MCP_HTTP_TOKEN, which asks for the shared secret. Unset one of them.",
    );
  }
  if (mode !== "oauth") return { mode, hosts, errors };

  if (secretSet) {
    errors.push(
      "CONNVO_MCP_AUTH=oauth contradicts CONNVO_MCP_HTTP_TOKEN: with OAuth every user signs in with their own account, and a shared secret would let its holders in as no one. Unset CONNVO_MCP_HTTP_TOKEN.",
    );
  }
  if (demo) return { mode, hosts, errors };

  for (const variable of ["CONNVO_TOKEN", "CONNVO_TOKEN_FILE", "CONNVO_TOKEN_COMMAND"]) {
    if (nonEmpty(env[variable]) !== undefined) {
      errors.push(
        `${variable} is set, but with CONNVO_MCP_AUTH=oauth every call uses the signed-in user's own Connvo token and never a configured one. Unset ${variable}, so no account's token sits in this server's environment.`,
      );
    }
  }
  const publicRaw = nonEmpty(env.CONNVO_MCP_PUBLIC_URL);
  let publicUrl: string | undefined;
  if (publicRaw === undefined) {
    errors.push(
      "CONNVO_MCP_PUBLIC_URL is not set. With CONNVO_MCP_AUTH=oauth it must be the URL clients use for this server's MCP endpoint, e.g. https://mcp.example.com/mcp: tokens are issued for exactly that URL, and it is never taken from a request's Host header.",
    );
  } else {
    publicUrl = parseSecureUrl(
      publicRaw,
      "CONNVO_MCP_PUBLIC_URL",
      errors,
      "the URL clients use, e.g. https://mcp.example.com/mcp",
    );
    if (publicUrl) hosts.push(new URL(publicUrl).hostname);
  }
  const values: Partial<OAuthSettings> = {};
  for (const [key, variable, why] of REQUIRED) {
    const value = nonEmpty(env[variable]);
    if (value === undefined) {
      errors.push(`${variable} is not set. With CONNVO_MCP_AUTH=oauth it must be ${why}.`);
      continue;
    }
    values[key] = value;
  }
  if (values.issuer !== undefined) {
    values.issuer = parseSecureUrl(
      values.issuer,
      "CONNVO_AUTH_ISSUER",
      errors,
      "the authorization server's issuer URL",
    );
  }
  if (values.convexAudience !== undefined && publicUrl !== undefined && values.convexAudience === publicUrl) {
    errors.push(
      "CONNVO_CONVEX_AUDIENCE equals CONNVO_MCP_PUBLIC_URL: the token exchange would give back a token for this server, which Connvo's Convex refuses. Set CONNVO_CONVEX_AUDIENCE to the audience Connvo's Convex deployment accepts (its applicationID).",
    );
  }
  const jwksRaw = nonEmpty(env.CONNVO_AUTH_JWKS_URL);
  const tokenRaw = nonEmpty(env.CONNVO_AUTH_TOKEN_URL);
  const jwksUrl = jwksRaw ? parseSecureUrl(jwksRaw, "CONNVO_AUTH_JWKS_URL", errors, "the issuer's key set") : undefined;
  const tokenUrl = tokenRaw
    ? parseSecureUrl(tokenRaw, "CONNVO_AUTH_TOKEN_URL", errors, "the issuer's token endpoint")
    : undefined;
  if (errors.length > 0 || !publicUrl || !values.issuer || !values.clientId || !values.clientSecret) {
    return { mode, hosts, errors };
  }
  return {
    mode,
    hosts,
    errors,
    oauth: {
      publicUrl,
      issuer: values.issuer,
      clientId: values.clientId,
      clientSecret: values.clientSecret,
      convexAudience: values.convexAudience as string,
      ...(jwksUrl ? { jwksUrl } : {}),
      ...(tokenUrl ? { tokenUrl } : {}),
    },
  };
}
