/**
 * The client side of `connvo-mcp login`: WorkOS CLI Auth, which is the OAuth 2.0 Device
 * Authorization Grant (RFC 8628). Ask for a device code, show the user a code and a URL, poll the
 * token endpoint at the interval the server asks for (slower on `slow_down`) until the user
 * confirms, declines or the code expires. Also the refresh (RFC 6749 §6) and revocation
 * (RFC 7009) requests the sign-in needs. Every request has a deadline; no token is logged.
 */
import { decodeJwt } from "jose";
import { type FetchLike, isTokenShaped, numberField, postForm, stringField } from "./net.js";
import type { StoredUser } from "./store.js";

export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";

export interface DeviceAuthorization {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresInSec: number;
  intervalSec: number;
}

export type Problem = {
  ok: false;
  problem: "unreachable" | "unavailable" | "refused" | "invalid";
  detail: string;
  error?: string;
};

export async function startDeviceAuthorization(
  url: string,
  params: { clientId: string; scope?: string },
  options: { fetch?: FetchLike } = {},
): Promise<{ ok: true; device: DeviceAuthorization } | Problem> {
  const answer = await postForm(
    url,
    { client_id: params.clientId, ...(params.scope ? { scope: params.scope } : {}) },
    options,
  );
  if (!answer.ok) return { ok: false, problem: "unreachable", detail: answer.cause };
  if (answer.status !== 200) {
    const error = stringField(answer.json, "error");
    return {
      ok: false,
      problem: answer.status >= 500 ? "unavailable" : "refused",
      detail: `HTTP ${answer.status}`,
      ...(error ? { error: error.slice(0, 40) } : {}),
    };
  }
  const deviceCode = stringField(answer.json, "device_code");
  const userCode = stringField(answer.json, "user_code");
  const verificationUri = stringField(answer.json, "verification_uri");
  if (!isTokenShaped(deviceCode) || !userCode || !verificationUri || !/^https?:\/\//.test(verificationUri)) {
    return { ok: false, problem: "invalid", detail: "the answer has no device code, user code or verification URL" };
  }
  const complete = stringField(answer.json, "verification_uri_complete");
  return {
    ok: true,
    device: {
      deviceCode,
      userCode: userCode.slice(0, 32),
      verificationUri,
      ...(complete && /^https?:\/\//.test(complete) ? { verificationUriComplete: complete } : {}),
      expiresInSec: Math.max(1, numberField(answer.json, "expires_in") ?? 300),
      // RFC 8628 §3.2: 5 s when the server does not say.
      intervalSec: Math.max(0, numberField(answer.json, "interval") ?? 5),
    },
  };
}

export interface TokenAnswer {
  accessToken: string;
  refreshToken?: string;
  /** ms since the epoch. */
  accessExpiresAt?: number;
  /** ms since the epoch: when the refresh token (the session) ends, if the server said. */
  refreshExpiresAt?: number;
  user?: StoredUser;
}

const text = (value: unknown, max: number) => (typeof value === "string" && value ? value.slice(0, max) : undefined);

/** Who signed in: WorkOS's `user` object, else the ID token's or the access token's claims (display only). */
function userOf(json: Record<string, unknown> | undefined, accessToken: string): StoredUser | undefined {
  const user = json?.user as Record<string, unknown> | undefined;
  if (user && typeof user === "object" && typeof user.id === "string") {
    const name =
      [text(user.first_name, 80), text(user.last_name, 80)].filter(Boolean).join(" ") || text(user.name, 160);
    return {
      id: user.id.slice(0, 128),
      ...(text(user.email, 254) ? { email: text(user.email, 254) } : {}),
      ...(name ? { name } : {}),
    };
  }
  for (const token of [stringField(json, "id_token"), accessToken]) {
    if (!token) continue;
    try {
      const claims = decodeJwt(token);
      if (typeof claims.sub !== "string") continue;
      const email = text(claims.email, 254);
      const name = text(claims.name, 160);
      return { id: claims.sub.slice(0, 128), ...(email ? { email } : {}), ...(name ? { name } : {}) };
    } catch {
      // not a JWT
    }
  }
  return undefined;
}

function accessExpiry(token: string, expiresIn: number | undefined, now: number): number | undefined {
  if (expiresIn !== undefined) return now + expiresIn * 1000;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export function tokenAnswerOf(json: Record<string, unknown> | undefined, now: number): TokenAnswer | undefined {
  const accessToken = stringField(json, "access_token");
  if (!isTokenShaped(accessToken)) return undefined;
  const refreshToken = stringField(json, "refresh_token");
  const refreshIn = numberField(json, "refresh_token_expires_in");
  const accessExpiresAt = accessExpiry(accessToken, numberField(json, "expires_in"), now);
  const user = userOf(json, accessToken);
  return {
    accessToken,
    ...(isTokenShaped(refreshToken) ? { refreshToken } : {}),
    ...(accessExpiresAt !== undefined ? { accessExpiresAt } : {}),
    ...(refreshIn !== undefined ? { refreshExpiresAt: now + refreshIn * 1000 } : {}),
    ...(user ? { user } : {}),
  };
}

export interface PollOptions {
  fetch?: FetchLike;
  now?: () => number;
  /** Waits between polls; resolves early (false) when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  signal?: AbortSignal;
  /** Called before each wait, with how long the code stays valid. */
  onWait?: (leftMs: number) => void;
}

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

/** Polls until the user confirms (tokens), declines, or the code expires. */
export async function pollDeviceToken(
  tokenUrl: string,
  params: { clientId: string; device: DeviceAuthorization },
  options: PollOptions = {},
): Promise<{ ok: true; tokens: TokenAnswer } | { ok: false; problem: "denied" | "expired" | "cancelled" } | Problem> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const deadline = now() + params.device.expiresInSec * 1000;
  let intervalMs = params.device.intervalSec * 1000;
  let unreachable = 0;
  for (;;) {
    if (options.signal?.aborted) return { ok: false, problem: "cancelled" };
    const answer = await postForm(
      tokenUrl,
      { grant_type: DEVICE_CODE_GRANT, device_code: params.device.deviceCode, client_id: params.clientId },
      { fetch: options.fetch, signal: options.signal },
    );
    if (answer.ok && answer.status === 200) {
      const tokens = tokenAnswerOf(answer.json, now());
      return tokens
        ? { ok: true, tokens }
        : { ok: false, problem: "invalid", detail: "the answer has no access token" };
    }
    if (!answer.ok) {
      // A network blip while the user is signing in: keep polling, up to a few times in a row.
      unreachable += 1;
      if (unreachable >= 3) return { ok: false, problem: "unreachable", detail: answer.cause };
    } else {
      unreachable = 0;
      const error = stringField(answer.json, "error");
      if (error === "slow_down") intervalMs += 5000;
      else if (error === "access_denied") return { ok: false, problem: "denied" };
      else if (error === "expired_token") return { ok: false, problem: "expired" };
      else if (error !== "authorization_pending") {
        return {
          ok: false,
          problem: answer.status >= 500 ? "unavailable" : "refused",
          detail: `HTTP ${answer.status}`,
          ...(error ? { error: error.slice(0, 40) } : {}),
        };
      }
    }
    const left = deadline - now();
    if (left <= 0) return { ok: false, problem: "expired" };
    options.onWait?.(left);
    await sleep(Math.min(intervalMs, left), options.signal);
  }
}

export type RefreshOutcome =
  | { ok: true; tokens: TokenAnswer }
  /** The refresh token is no good any more (invalid_grant): sign in again. */
  | { ok: false; problem: "revoked"; error: string; status: number }
  | { ok: false; problem: "unreachable" | "unavailable" | "misconfigured"; status?: number; error?: string };

export async function refreshTokens(
  tokenUrl: string,
  params: { clientId: string; refreshToken: string },
  options: { fetch?: FetchLike; now?: () => number; timeoutMs?: number } = {},
): Promise<RefreshOutcome> {
  const answer = await postForm(
    tokenUrl,
    { grant_type: "refresh_token", refresh_token: params.refreshToken, client_id: params.clientId },
    options,
  );
  if (!answer.ok) return { ok: false, problem: "unreachable" };
  const error = stringField(answer.json, "error")?.slice(0, 40);
  if (answer.status === 200) {
    const tokens = tokenAnswerOf(answer.json, (options.now ?? Date.now)());
    return tokens ? { ok: true, tokens } : { ok: false, problem: "unavailable", status: 200, error: "no access_token" };
  }
  if (answer.status >= 500 || answer.status === 429)
    return { ok: false, problem: "unavailable", status: answer.status };
  if (error === "invalid_grant") return { ok: false, problem: "revoked", error, status: answer.status };
  return { ok: false, problem: "misconfigured", status: answer.status, ...(error ? { error } : {}) };
}

/** RFC 7009: revokes a refresh token. true when the server confirmed (200). */
export async function revokeToken(
  url: string,
  params: { clientId: string; token: string },
  options: { fetch?: FetchLike } = {},
): Promise<{ ok: true } | Problem> {
  const answer = await postForm(
    url,
    { token: params.token, token_type_hint: "refresh_token", client_id: params.clientId },
    options,
  );
  if (!answer.ok) return { ok: false, problem: "unreachable", detail: answer.cause };
  if (answer.status === 200) return { ok: true };
  return { ok: false, problem: answer.status >= 500 ? "unavailable" : "refused", detail: `HTTP ${answer.status}` };
}
