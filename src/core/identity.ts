/**
 * Who is calling. Stdio has one local user; HTTP fills in what its transport verified. Every layer
 * that keeps per-caller state (backend clients, caches, limits) keys it by this.
 */
export type CallerIdentity =
  | { kind: "local" }
  | { kind: "shared-secret" }
  | { kind: "user"; subject: string; token: string };
