/**
 * The authorization server's metadata (RFC 8414, with OpenID Connect discovery as the fallback):
 * where its keys (`jwks_uri`), token endpoint, device authorization and revocation endpoints are.
 * Fetched on first use and kept for an hour; a failure is not kept (the next use asks again, at
 * most once every few seconds), so an issuer that was down at start-up is picked up once it is back.
 */
import { type FetchLike, getJson, stringField } from "./net.js";

export interface IssuerMetadata {
  issuer: string;
  jwksUri?: string;
  tokenEndpoint?: string;
  deviceAuthorizationEndpoint?: string;
  revocationEndpoint?: string;
}

export type MetadataOutcome =
  | { ok: true; metadata: IssuerMetadata }
  | { ok: false; url: string; problem: "unreachable" | "unavailable" | "invalid"; detail: string };

/** RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path. */
export function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
    ...(path ? [`${url.origin}${path}/.well-known/openid-configuration`] : []),
  ];
}

const sameIssuer = (a: string, b: string) => a.replace(/\/$/, "") === b.replace(/\/$/, "");

export async function fetchIssuerMetadata(
  issuer: string,
  options: { fetch?: FetchLike; timeoutMs?: number } = {},
): Promise<MetadataOutcome> {
  let last: MetadataOutcome | undefined;
  for (const url of metadataUrls(issuer)) {
    const answer = await getJson(url, options);
    if (!answer.ok) return { ok: false, url, problem: "unreachable", detail: answer.cause };
    if (answer.status === 404 || answer.status === 405) {
      last = { ok: false, url, problem: "invalid", detail: `HTTP ${answer.status}` };
      continue;
    }
    if (answer.status !== 200) return { ok: false, url, problem: "unavailable", detail: `HTTP ${answer.status}` };
    const named = stringField(answer.json, "issuer");
    if (!named || !sameIssuer(named, issuer)) {
      // RFC 8414 §3.3: metadata naming another issuer must not be used.
      return { ok: false, url, problem: "invalid", detail: "its metadata names a different issuer" };
    }
    return {
      ok: true,
      metadata: {
        issuer: named,
        jwksUri: stringField(answer.json, "jwks_uri"),
        tokenEndpoint: stringField(answer.json, "token_endpoint"),
        deviceAuthorizationEndpoint: stringField(answer.json, "device_authorization_endpoint"),
        revocationEndpoint: stringField(answer.json, "revocation_endpoint"),
      },
    };
  }
  return last ?? { ok: false, url: issuer, problem: "invalid", detail: "no metadata" };
}

const KEEP_MS = 60 * 60 * 1000;
const RETRY_AFTER_FAILURE_MS = 2000;

/** `get()` shares one fetch between concurrent callers and keeps a success for an hour. */
export function issuerMetadataCache(
  issuer: string,
  options: { fetch?: FetchLike; timeoutMs?: number; now?: () => number } = {},
): { get(): Promise<MetadataOutcome> } {
  const now = options.now ?? Date.now;
  let kept: { outcome: MetadataOutcome; at: number } | undefined;
  let pending: Promise<MetadataOutcome> | undefined;
  return {
    get() {
      if (kept && now() - kept.at < (kept.outcome.ok ? KEEP_MS : RETRY_AFTER_FAILURE_MS)) {
        return Promise.resolve(kept.outcome);
      }
      pending ??= fetchIssuerMetadata(issuer, options).then((outcome) => {
        kept = { outcome, at: now() };
        pending = undefined;
        return outcome;
      });
      return pending;
    },
  };
}
