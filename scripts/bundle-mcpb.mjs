// `npm run bundle`: builds an MCP Bundle (.mcpb) for Claude Desktop's one-click install.
//
// An MCP Bundle is a zip archive with a manifest.json (the format of @anthropic-ai/mcpb, manifest
// version 0.3) next to the server's files. Claude Desktop shows the bundle's `user_config` as a
// settings form (the token is marked sensitive, so it is stored in the OS keychain and masked),
// and runs the server with its own Node.js. dist/ is self-contained, so the bundle needs no
// node_modules: what the build put in dist/ (without source maps), a package.json that marks
// dist/*.js as ES modules, the README.
//
// Writes bundle/connvo-mcp-<version>.mcpb and prints the archive's SHA-256 (the MCP registry's
// server.json needs it for an mcpb package). The archive is deterministic: the same build gives
// the same bytes. CI unpacks it and validates its manifest with the mcpb CLI.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { crc32, deflateRawSync } from "node:zlib";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const outDir = path.join(root, "bundle");

/** The tools a client sees by default, asked from the built server itself over stdio. */
async function listTools() {
  const child = spawn(process.execPath, [path.join(root, "dist", "cli.js")], {
    stdio: ["pipe", "pipe", "ignore"],
    env: { PATH: process.env.PATH ?? "" },
  });
  const send = (message) => child.stdin.write(`${JSON.stringify(message)}\n`);
  const answers = new Map();
  let buffer = "";
  const done = new Promise((resolve, reject) => {
    child.on("exit", (code) => (answers.has(2) ? resolve() : reject(new Error(`dist/cli.js exited (${code})`))));
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk) => {
      buffer += chunk;
      for (let nl = buffer.indexOf("\n"); nl !== -1; nl = buffer.indexOf("\n")) {
        const message = JSON.parse(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        if (message.id !== undefined) answers.set(message.id, message);
        if (answers.has(2)) child.stdin.end();
      }
    });
  });
  send({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "bundle-mcpb", version: "0" } },
  });
  send({ jsonrpc: "2.0", method: "notifications/initialized" });
  send({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });
  await done;
  const tools = answers.get(2)?.result?.tools;
  if (!Array.isArray(tools) || tools.length === 0) throw new Error("the server listed no tools");
  return tools.map((tool) => ({ name: tool.name, description: firstSentence(tool.description ?? tool.title ?? "") }));
}

const firstSentence = (text) => (/^.*?[.!?](\s|$)/.exec(text)?.[0] ?? text).trim();

export function manifestFor(tools) {
  return {
    manifest_version: "0.3",
    name: pkg.name,
    display_name: "Connvo",
    version: pkg.version,
    description: pkg.description,
    long_description:
      "Lets Claude ask Connvo's meeting backend who is in a call, who is joining, who dropped, and how their connections are doing, and answers with a compact per-person summary that puts the people who need attention first. It uses your own Connvo access token and is read-only by default.",
    author: { name: "Connvo" },
    license: pkg.license,
    keywords: ["connvo", "meetings", "video calls", "participants"],
    server: {
      type: "node",
      entry_point: "dist/cli.js",
      // ${...} are the bundle format's own placeholders, filled in by the host when it starts the server.
      mcp_config: {
        command: "node",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an mcpb placeholder, not a JS template
        args: ["${__dirname}/dist/cli.js"],
        env: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: an mcpb placeholder, not a JS template
          CONNVO_TOKEN: "${user_config.connvo_token}",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: an mcpb placeholder, not a JS template
          CONNVO_DEPLOYMENT: "${user_config.deployment}",
        },
      },
    },
    tools,
    tools_generated: false,
    compatibility: {
      platforms: ["darwin", "win32", "linux"],
      runtimes: { node: pkg.engines?.node ?? ">=20.19" },
    },
    user_config: {
      connvo_token: {
        type: "string",
        title: "Connvo access token",
        description:
          'Your Connvo access token (the WorkOS-issued JWT that starts with eyJ). The README\'s "Getting a Connvo access token" says where to find it. It expires after a while; paste a fresh one when Connvo says it has.',
        sensitive: true,
        required: true,
      },
      deployment: {
        type: "string",
        title: "Connvo deployment",
        description: "dev, staging or prod.",
        default: "prod",
        required: false,
      },
    },
  };
}

// ------------------------------------------------------------------------------------------------
// A small, deterministic zip writer (deflate, no zip64: the bundle is a few MB)

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01, the earliest a zip can say

export function zip(entries) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const { name, data, mode = 0o644 } of entries) {
    const nameBytes = Buffer.from(name, "utf8");
    const compressed = deflateRawSync(data, { level: 9 });
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(compressed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, nameBytes, compressed);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(compressed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt16LE(0, 30); // extra
    central.writeUInt16LE(0, 32); // comment
    central.writeUInt16LE(0, 34); // disk
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38); // a regular file with its mode
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

// ------------------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(path.join(root, "dist", "cli.js"))) {
    throw new Error("dist/cli.js is missing: run npm run build first (npm run bundle does).");
  }
  const manifest = manifestFor(await listTools());
  const manifestJson = `${JSON.stringify(manifest, null, 2)}\n`;
  // ES modules: dist/*.js use import/export, which Node reads as ESM only under "type": "module".
  const bundlePackage = `${JSON.stringify(
    { name: pkg.name, version: pkg.version, type: "module", private: true, license: pkg.license },
    null,
    2,
  )}\n`;
  // Everything the build put in dist/ except source maps (they are for debugging, not running).
  const distFiles = readdirSync(path.join(root, "dist"))
    .filter((name) => !name.endsWith(".map") && statSync(path.join(root, "dist", name)).isFile())
    .sort();
  const entries = [
    { name: "manifest.json", data: Buffer.from(manifestJson) },
    { name: "package.json", data: Buffer.from(bundlePackage) },
    { name: "README.md", data: readFileSync(path.join(root, "README.md")) },
    ...distFiles.map((name) => ({
      name: `dist/${name}`,
      data: readFileSync(path.join(root, "dist", name)),
      mode: statSync(path.join(root, "dist", name)).mode & 0o111 ? 0o755 : 0o644,
    })),
  ];
  const archive = zip(entries);
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, `${pkg.name}-${pkg.version}.mcpb`);
  writeFileSync(file, archive);
  const sha256 = createHash("sha256").update(archive).digest("hex");
  process.stdout.write(
    `${path.relative(root, file)}: ${entries.length} files, ${(archive.length / 1024).toFixed(0)} KB, sha256 ${sha256}\n` +
      `tools: ${manifest.tools.map((t) => t.name).join(", ")}\n`,
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`bundle-mcpb: ${error.message}\n`);
    process.exit(1);
  });
}
