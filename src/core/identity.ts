/**
 * Who is calling. Stdio has one local user; HTTP fills in what its transport verified. Every layer
 * that keeps per-caller state (backend clients, caches, limits) keys it by this.
 */
export type CallerIdentity =
  | { kind: "local" }
  | { kind: "shared-secret" }
  /** A user with a fixed Connvo token (a Convex token, never the token a client sent to this server). */
  | { kind: "user"; subject: string; token: string }
  /**
   * A user signed in over HTTP with OAuth (src/transports/http/oauth.ts). `subject` is a short hash
   * of the issuer and the user's `sub` (what logs and per-user limits use; never a token or an
   * email); `tokens` gives the Connvo token exchanged for this user's verified token (RFC 8693),
   * never the incoming token itself; `scopes` are the verified token's scopes.
   */
  | { kind: "user"; subject: string; tokens: CallerTokens; scopes: readonly string[] };

/** What the backend needs of a caller's tokens: the shape of config's TokenSource, without importing it. */
export interface CallerTokens {
  readonly info: { kind: "oauth" };
  get(): Promise<string>;
  afterRejection(rejected: string): Promise<string | undefined>;
}
