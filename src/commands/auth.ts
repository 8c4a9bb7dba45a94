/**
 * `connvo-mcp login | logout | whoami`: signing a desktop user in once, so no token is ever copied
 * into a client's configuration. `login` runs WorkOS CLI Auth (the device authorization grant):
 * it shows a code and a URL on stderr, opens the browser when it can, waits until the user
 * confirms, and stores the refresh token in the user's config directory (src/auth/store.ts).
 * The stdio server then uses that sign-in when no other token source is set.
 *
 * Each command prints its report on stdout and nothing else there; progress and problems go to
 * stderr. Exit codes: 0 done, 1 it did not work (declined, expired, unreachable, not signed in),
 * 2 a usage or settings problem. No token ever appears in either stream.
 */
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { pollDeviceToken, revokeToken, startDeviceAuthorization } from "../auth/device.js";
import { type LoginEndpoints, resolveLoginEndpoints } from "../auth/endpoints.js";
import { deleteSignIn, readSignIn, type StoredSignIn, signInPath, writeSignIn } from "../auth/store.js";
import { loadConfig } from "../config/config.js";
import { redact, registerSecret } from "../core/log.js";
import { sanitizeText } from "../core/sanitize.js";

export const AUTH_COMMANDS = ["login", "logout", "whoami"] as const;
export type AuthCommand = (typeof AUTH_COMMANDS)[number];

type Env = Record<string, string | undefined>;

const HELP: Record<AuthCommand, string> = {
  login: `Usage: connvo-mcp login [--deployment <name> | --convex-url <url>] [--no-browser]

Signs you in to Connvo in your browser (WorkOS CLI Auth) and stores the sign-in in your config
directory, readable only by you. The stdio server then uses it when no CONNVO_TOKEN,
CONNVO_TOKEN_FILE or CONNVO_TOKEN_COMMAND is set, and refreshes the access token itself.

Environment: CONNVO_AUTH_CLIENT_ID (required: Connvo's WorkOS client ID), CONNVO_AUTH_ISSUER
(a self-hosted or test issuer; its metadata names the endpoints), CONNVO_AUTH_DEVICE_URL,
CONNVO_AUTH_TOKEN_URL, CONNVO_AUTH_REVOCATION_URL, CONNVO_AUTH_SCOPE, CONNVO_MCP_CONFIG_DIR,
CONNVO_MCP_NO_BROWSER=1.
`,
  logout: `Usage: connvo-mcp logout

Revokes the stored sign-in at the sign-in service (when it offers revocation) and deletes it.
`,
  whoami: `Usage: connvo-mcp whoami

Prints who is signed in, on which Connvo deployment, and when the session ends.
`,
};

interface Io {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Reached only from `connvo-mcp login | logout | whoami` (src/cli.ts returns before any server
 * starts), so stdout here is the command's report, never the MCP channel.
 */
const processIo: Io = {
  out: (text) => void process.stdout.write(redact(text)),
  err: (text) => void process.stderr.write(redact(text)),
};

/** A person's name or email from an issuer: single-line and bounded before it is printed. */
const shown = (text: string | undefined, max = 120) => (text ? sanitizeText(text, max) : undefined);

function who(signIn: StoredSignIn): string {
  const name = shown(signIn.user.name);
  const email = shown(signIn.user.email, 254);
  const person = name && email ? `${name} <${email}>` : (name ?? email ?? "a Connvo user");
  return `${person} (user ${shown(signIn.user.id, 128)})`;
}

function sessionEnd(signIn: StoredSignIn): string {
  return signIn.sessionEndsAt
    ? `${signIn.sessionEndsAt} (unless Connvo ends it sooner or you run connvo-mcp logout)`
    : "when Connvo ends it or you run connvo-mcp logout (the sign-in service did not say when)";
}

function openBrowser(url: string): void {
  const [command, args] =
    process.platform === "darwin"
      ? ["open", [url]]
      : process.platform === "win32"
        ? ["rundll32", ["url.dll,FileProtocolHandler", url]]
        : ["xdg-open", [url]];
  try {
    const child = spawn(command as string, args as string[], { stdio: "ignore", detached: true });
    child.on("error", () => undefined);
    child.unref();
  } catch {
    // no browser here: the URL is on the screen
  }
}

async function login(argv: string[], env: Env, io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      deployment: { type: "string" },
      "convex-url": { type: "string" },
      "no-browser": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.out(HELP.login);
    return 0;
  }
  const config = loadConfig(env, { deployment: values.deployment, convexUrl: values["convex-url"] });
  const deploymentProblems = config.problems.filter(
    (p) => p.variable === "CONNVO_DEPLOYMENT" || p.variable === "CONNVO_CONVEX_URL",
  );
  if (!config.target || deploymentProblems.length > 0) {
    io.err(`connvo-mcp login: ${deploymentProblems.map((p) => p.message).join(" ")}\n`);
    return 2;
  }
  const resolved = await resolveLoginEndpoints(env);
  if (!resolved.ok) {
    io.err(`connvo-mcp login: ${resolved.errors.join("\n  ")}\n`);
    return resolved.exitCode;
  }
  const endpoints: LoginEndpoints = resolved.endpoints;
  const started = await startDeviceAuthorization(endpoints.deviceUrl, {
    clientId: endpoints.clientId,
    ...(endpoints.scope ? { scope: endpoints.scope } : {}),
  });
  if (!started.ok) {
    io.err(
      `connvo-mcp login: the sign-in service at ${endpoints.deviceUrl} ${started.problem === "unreachable" ? `could not be reached (${started.detail})` : `refused to start a sign-in (${started.detail}${started.error ? `, ${started.error}` : ""})`}. Check the network connection and CONNVO_AUTH_CLIENT_ID.\n`,
    );
    return 1;
  }
  const { device } = started;
  registerSecret(device.deviceCode);
  const link = device.verificationUriComplete ?? device.verificationUri;
  io.err(
    `To sign in to Connvo, open ${device.verificationUri} and enter the code ${device.userCode}\n` +
      `  (or open ${link})\n` +
      `Waiting for you to confirm in the browser; the code expires in ${Math.round(device.expiresInSec / 60) || 1} min. Ctrl-C cancels.\n`,
  );
  const browser =
    values["no-browser"] !== true && !/^(1|true|yes)$/i.test(env.CONNVO_MCP_NO_BROWSER ?? "") && process.stderr.isTTY;
  if (browser) openBrowser(link);

  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once("SIGINT", onSignal);
  let outcome: Awaited<ReturnType<typeof pollDeviceToken>>;
  try {
    outcome = await pollDeviceToken(
      endpoints.tokenUrl,
      { clientId: endpoints.clientId, device },
      { signal: controller.signal },
    );
  } finally {
    process.off("SIGINT", onSignal);
  }
  if (!outcome.ok) {
    const why =
      "detail" in outcome
        ? `the sign-in service at ${endpoints.tokenUrl} ${outcome.problem === "unreachable" ? `could not be reached (${outcome.detail})` : `answered ${outcome.detail}${outcome.error ? ` (${outcome.error})` : ""}`}`
        : outcome.problem === "denied"
          ? "the sign-in was declined in the browser"
          : outcome.problem === "expired"
            ? "the code expired before the sign-in was confirmed; run connvo-mcp login again"
            : "cancelled";
    io.err(`connvo-mcp login: not signed in: ${why}.\n`);
    return outcome.problem === "cancelled" ? 130 : 1;
  }
  const { tokens } = outcome;
  registerSecret(tokens.accessToken);
  if (!tokens.refreshToken) {
    io.err(
      "connvo-mcp login: the sign-in service gave no refresh token, so the sign-in could not be kept. If it is a standard OAuth issuer, allow the offline_access scope (CONNVO_AUTH_SCOPE) for this client.\n",
    );
    return 1;
  }
  const now = Date.now();
  const signIn: StoredSignIn = {
    version: 1,
    clientId: endpoints.clientId,
    tokenUrl: endpoints.tokenUrl,
    ...(endpoints.revocationUrl ? { revocationUrl: endpoints.revocationUrl } : {}),
    ...(endpoints.issuer ? { issuer: endpoints.issuer } : {}),
    deployment: { url: config.target.url, label: config.target.label },
    user: tokens.user ?? { id: "unknown" },
    signedInAt: new Date(now).toISOString(),
    ...(tokens.refreshExpiresAt ? { sessionEndsAt: new Date(tokens.refreshExpiresAt).toISOString() } : {}),
    refreshToken: tokens.refreshToken,
  };
  const path = signInPath(env);
  await writeSignIn(path, signIn);
  io.out(
    `Signed in to Connvo as ${who(signIn)}.\n` +
      `Deployment: ${signIn.deployment.label} (${signIn.deployment.url})\n` +
      `Sign-in stored in ${path} (readable only by you); connvo-mcp refreshes the access token from it, so no token goes into your MCP client's configuration.\n` +
      `Session ends: ${sessionEnd(signIn)}\n`,
  );
  return 0;
}

async function whoami(env: Env, io: Io): Promise<number> {
  const path = signInPath(env);
  const read = await readSignIn(path);
  if (read.kind === "missing") {
    io.out("Not signed in to Connvo. Run `connvo-mcp login` to sign in.\n");
    return 1;
  }
  if (read.kind === "unreadable") {
    io.err(`connvo-mcp whoami: ${path} cannot be read (${read.detail}). Run connvo-mcp login to sign in again.\n`);
    return 1;
  }
  const { signIn } = read;
  io.out(
    `Signed in to Connvo as ${who(signIn)}.\n` +
      `Deployment: ${signIn.deployment.label} (${signIn.deployment.url})\n` +
      `Signed in at: ${signIn.signedInAt}\n` +
      `Session ends: ${sessionEnd(signIn)}\n` +
      `Sign-in file: ${path}\n`,
  );
  return 0;
}

async function logout(env: Env, io: Io): Promise<number> {
  const path = signInPath(env);
  const read = await readSignIn(path);
  if (read.kind === "missing") {
    io.out("Not signed in to Connvo; nothing to sign out of.\n");
    return 0;
  }
  let revoked = "";
  let code = 0;
  if (read.kind === "ok" && read.signIn.revocationUrl) {
    const result = await revokeToken(read.signIn.revocationUrl, {
      clientId: read.signIn.clientId,
      token: read.signIn.refreshToken,
    });
    if (result.ok) revoked = ` The sign-in was revoked at ${read.signIn.revocationUrl}.`;
    else {
      revoked = ` The sign-in could not be revoked at ${read.signIn.revocationUrl} (${result.detail}); it ends when Connvo ends the session.`;
      code = 1;
    }
  } else if (read.kind === "ok") {
    revoked =
      " The sign-in service offers no revocation endpoint, so the session itself ends when Connvo ends it (sign out of Connvo in the browser to end it now).";
  }
  await deleteSignIn(path);
  const whom = read.kind === "ok" ? ` (${who(read.signIn)})` : "";
  io.out(`Signed out of Connvo${whom}: ${path} was deleted.${revoked}\n`);
  return code;
}

export async function runAuthCommand(
  command: AuthCommand,
  argv: string[],
  env: Env = process.env,
  io: Io = processIo,
): Promise<number> {
  try {
    if (command !== "login") {
      const { values } = parseArgs({ args: argv, strict: true, options: { help: { type: "boolean", short: "h" } } });
      if (values.help) {
        io.out(HELP[command]);
        return 0;
      }
    }
    if (command === "login") return await login(argv, env, io);
    if (command === "whoami") return await whoami(env, io);
    return await logout(env, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if ((error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.err(`connvo-mcp ${command}: ${message}\n${HELP[command]}`);
      return 2;
    }
    io.err(`connvo-mcp ${command}: ${message}\n`);
    return 1;
  }
}
