/**
 * Where `connvo-mcp login` signs in. By default WorkOS CLI Auth's endpoints; with
 * CONNVO_AUTH_ISSUER (a self-hosted or test issuer) the ones its metadata names; each can also be
 * set on its own. CONNVO_AUTH_CLIENT_ID is Connvo's client ID at WorkOS (the audience Connvo's
 * Convex accepts), so the tokens it gives are Connvo tokens as they are.
 */
import { fetchIssuerMetadata } from "./metadata.js";
import type { FetchLike } from "./net.js";

export const WORKOS_DEVICE_URL = "https://api.workos.com/user_management/authorize/device";
export const WORKOS_TOKEN_URL = "https://api.workos.com/user_management/authenticate";

export interface LoginEndpoints {
  clientId: string;
  deviceUrl: string;
  tokenUrl: string;
  revocationUrl?: string;
  issuer?: string;
  /** Scope asked for at the device authorization endpoint (standard issuers only). */
  scope?: string;
}

type Env = Record<string, string | undefined>;
const nonEmpty = (value: string | undefined) => (value?.trim() ? value.trim() : undefined);

function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, "");
  return bare === "localhost" || bare === "::1" || /^127\./.test(bare);
}

/** https only (http for a loopback host): refresh tokens travel there. */
function checkUrl(raw: string | undefined, variable: string, errors: string[]): string | undefined {
  if (raw === undefined) return undefined;
  try {
    const url = new URL(raw);
    if (url.protocol === "https:" || (url.protocol === "http:" && isLoopbackHost(url.hostname))) return raw;
  } catch {
    // reported below
  }
  errors.push(`${variable} must be an https:// URL (http:// only on a loopback host), got "${raw.slice(0, 200)}".`);
  return undefined;
}

export async function resolveLoginEndpoints(
  env: Env,
  options: { fetch?: FetchLike } = {},
): Promise<{ ok: true; endpoints: LoginEndpoints } | { ok: false; errors: string[]; exitCode: 1 | 2 }> {
  const errors: string[] = [];
  const clientId = nonEmpty(env.CONNVO_AUTH_CLIENT_ID);
  if (!clientId) {
    errors.push(
      "CONNVO_AUTH_CLIENT_ID is not set. Set it to Connvo's WorkOS client ID (the one Connvo's sign-in uses; ask your Connvo administrator), then run connvo-mcp login again.",
    );
  }
  const issuer = checkUrl(nonEmpty(env.CONNVO_AUTH_ISSUER), "CONNVO_AUTH_ISSUER", errors);
  let deviceUrl = checkUrl(nonEmpty(env.CONNVO_AUTH_DEVICE_URL), "CONNVO_AUTH_DEVICE_URL", errors);
  let tokenUrl = checkUrl(nonEmpty(env.CONNVO_AUTH_TOKEN_URL), "CONNVO_AUTH_TOKEN_URL", errors);
  let revocationUrl = checkUrl(nonEmpty(env.CONNVO_AUTH_REVOCATION_URL), "CONNVO_AUTH_REVOCATION_URL", errors);
  if (errors.length > 0 || !clientId) return { ok: false, errors, exitCode: 2 };
  if (issuer && (!deviceUrl || !tokenUrl || !revocationUrl)) {
    const found = await fetchIssuerMetadata(issuer, { fetch: options.fetch });
    if (!found.ok) {
      return {
        ok: false,
        exitCode: 1,
        errors: [
          `Could not read the sign-in service's metadata at ${found.url} (${found.problem}: ${found.detail}). Check CONNVO_AUTH_ISSUER and the network connection.`,
        ],
      };
    }
    deviceUrl ??= found.metadata.deviceAuthorizationEndpoint;
    tokenUrl ??= found.metadata.tokenEndpoint;
    revocationUrl ??= found.metadata.revocationEndpoint;
    if (!deviceUrl || !tokenUrl) {
      return {
        ok: false,
        exitCode: 2,
        errors: [
          `The issuer ${issuer} names no device_authorization_endpoint or token_endpoint in its metadata, so it cannot sign in a command-line tool. Set CONNVO_AUTH_DEVICE_URL and CONNVO_AUTH_TOKEN_URL.`,
        ],
      };
    }
  }
  const scope = nonEmpty(env.CONNVO_AUTH_SCOPE) ?? (issuer ? "openid profile email offline_access" : undefined);
  return {
    ok: true,
    endpoints: {
      clientId,
      deviceUrl: deviceUrl ?? WORKOS_DEVICE_URL,
      tokenUrl: tokenUrl ?? WORKOS_TOKEN_URL,
      ...(revocationUrl ? { revocationUrl } : {}),
      ...(issuer ? { issuer } : {}),
      ...(scope ? { scope } : {}),
    },
  };
}
