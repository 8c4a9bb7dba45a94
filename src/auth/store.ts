/**
 * Where `connvo-mcp login` keeps the sign-in: one JSON file in the user's config directory
 * (`$XDG_CONFIG_HOME/connvo-mcp` or `~/.config/connvo-mcp` on Linux, `~/Library/Application
 * Support/connvo-mcp` on macOS, `%APPDATA%\connvo-mcp` on Windows; `CONNVO_MCP_CONFIG_DIR`
 * overrides), readable only by the user (0600, in a 0700 directory). It holds the refresh token
 * and who signed in where; never an access token. Every write is atomic: a new file is written,
 * flushed and renamed over the old one, so a reader (another connvo-mcp) sees the old sign-in or
 * the new one, never half of one.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { log, registerSecret } from "../core/log.js";

export const SIGNIN_FILE = "signin.json";

export interface StoredUser {
  id: string;
  email?: string;
  name?: string;
}

export interface StoredSignIn {
  version: 1;
  clientId: string;
  tokenUrl: string;
  revocationUrl?: string;
  issuer?: string;
  /** The Connvo deployment signed in for: its URL and how it was chosen ("deployment prod"). */
  deployment: { url: string; label: string };
  user: StoredUser;
  /** ISO times. `sessionEndsAt` only when the issuer said when the refresh token expires. */
  signedInAt: string;
  sessionEndsAt?: string;
  refreshToken: string;
}

type Env = Record<string, string | undefined>;

export function configDir(env: Env = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = env.CONNVO_MCP_CONFIG_DIR?.trim();
  if (override) return override;
  const home = env.HOME?.trim() || homedir();
  if (platform === "win32") return join(env.APPDATA?.trim() || join(home, "AppData", "Roaming"), "connvo-mcp");
  if (platform === "darwin") return join(home, "Library", "Application Support", "connvo-mcp");
  return join(env.XDG_CONFIG_HOME?.trim() || join(home, ".config"), "connvo-mcp");
}

export const signInPath = (env: Env = process.env): string => join(configDir(env), SIGNIN_FILE);

const isString = (value: unknown): value is string => typeof value === "string" && value.length > 0;

function parse(text: string): StoredSignIn | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const v = value as Partial<StoredSignIn> | undefined;
  if (
    v?.version !== 1 ||
    !isString(v.clientId) ||
    !isString(v.tokenUrl) ||
    !isString(v.refreshToken) ||
    !v.deployment ||
    !isString(v.deployment.url) ||
    !v.user ||
    !isString(v.user.id) ||
    !isString(v.signedInAt)
  ) {
    return undefined;
  }
  return v as StoredSignIn;
}

export type ReadOutcome =
  | { kind: "missing" }
  | { kind: "unreadable"; detail: string }
  | { kind: "ok"; signIn: StoredSignIn };

/** Reads the sign-in; a file others may read is made private again (with a warning). */
export async function readSignIn(path: string): Promise<ReadOutcome> {
  let text: string;
  try {
    const info = await stat(path);
    if (process.platform !== "win32" && (info.mode & 0o077) !== 0) {
      await chmod(path, 0o600);
      log("warn", `${path} was readable by other users; its permissions are now 0600`);
    }
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return { kind: "missing" };
    return { kind: "unreadable", detail: code ?? "error" };
  }
  const signIn = parse(text);
  if (!signIn) return { kind: "unreadable", detail: "not a connvo-mcp sign-in" };
  registerSecret(signIn.refreshToken);
  return { kind: "ok", signIn };
}

/** Writes the sign-in atomically, 0600 (the directory 0700). */
export async function writeSignIn(path: string, signIn: StoredSignIn): Promise<void> {
  registerSecret(signIn.refreshToken);
  const dir = join(path, "..");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temporary = join(dir, `.${SIGNIN_FILE}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temporary, "wx", 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(signIn, null, 2)}\n`, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export async function deleteSignIn(path: string): Promise<boolean> {
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}
