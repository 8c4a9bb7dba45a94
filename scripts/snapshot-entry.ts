/**
 * The entry of connvo-mcp's startup snapshot (`node --build-snapshot`, run by scripts/build.mjs and
 * by dist/connvo-mcp on a first start; started as `node --snapshot-blob <blob> dist/cli.js ...`).
 *
 * At build time it loads the whole server (bundled as one CommonJS file, dist/snapshot.cjs) and
 * warms it the way a client's launch would: the SDK's protocol schemas, one in-memory
 * initialize + tools/list + tools/call. V8 then
 * serializes the heap, compiled code included, so a start skips compiling the bundle and running
 * the module top levels (BENCHMARKS.md, cold start).
 *
 * Nothing that depends on where or how the server runs may be captured here: no stdio, no
 * environment, no sockets or timers left open. What modules read at import time is read again
 * when the snapshot starts (`rereadStartSettings`).
 */
import { PassThrough } from "node:stream";
import { startupSnapshot } from "node:v8";
import { preloadSchemas } from "@modelcontextprotocol/server";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { ConvexHttpClient } from "convex/browser";
import { run } from "../src/cli.js";
import { ToolFailure } from "../src/core/failures.js";
import { type LogLevel, setLogLevel, setLogSink } from "../src/core/log.js";
import { createServerFactory } from "../src/server.js";
import { selectTools } from "../src/tools/inventory.js";
import { LineTransport } from "../src/transports/stdio.js";

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

/** Settings that modules read once, at import: read them again from this process's environment. */
function rereadStartSettings(): void {
  const level = process.env.CONNVO_LOG_LEVEL as LogLevel | undefined;
  setLogLevel(level && LOG_LEVELS.includes(level) ? level : "info");
}

type JsonSchemaOf = (options?: { target?: string }) => Record<string, unknown>;
interface StandardJson {
  "~standard"?: { jsonSchema?: { input: JsonSchemaOf; output: JsonSchemaOf } };
}

/**
 * Every tool schema's JSON Schema (what tools/list sends), converted here and kept in the snapshot:
 * otherwise each start converts all of them again at the first tools/list (~7 ms for the toolkit).
 * The conversion is a pure function of the schema and the options; server.ts already shares one
 * result between the servers of a factory.
 */
function keepJsonSchemas(tools: ReturnType<typeof selectTools>["tools"]): void {
  for (const tool of tools) {
    for (const schema of [tool.inputSchema, tool.output] as unknown as StandardJson[]) {
      const methods = schema["~standard"]?.jsonSchema;
      if (!methods) continue;
      for (const io of ["input", "output"] as const) {
        const convert = methods[io];
        const done = new Map<string, Record<string, unknown>>();
        methods[io] = (options) => {
          const key = JSON.stringify(options ?? {});
          let json = done.get(key);
          if (!json) {
            json = convert(options);
            done.set(key, json);
          }
          return json;
        };
      }
    }
  }
}

/** One client launch, in memory: initialize, tools/list, and a call that fails before any request. */
async function warmUp(): Promise<void> {
  preloadSchemas();
  // Every tool a start may offer (writes included), not just the default selection.
  keepJsonSchemas(selectTools({ enableWrites: true }).tools);
  // Not undici: it loads node:http, which Node 20 cannot put in a snapshot (fetch.ts loads it in
  // the background after start instead).
  new ConvexHttpClient("https://warm-up.convex.cloud", { logger: false }).setAuth("warm-up");

  setLogSink(() => {}); // nothing may touch process.stderr while the snapshot is built
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const answers = new Set<number>();
  let buffered = "";
  const allAnswered = new Promise<void>((resolve) => {
    stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      for (let at = buffered.indexOf("\n"); at >= 0; at = buffered.indexOf("\n")) {
        const line = buffered.slice(0, at);
        buffered = buffered.slice(at + 1);
        const id = (JSON.parse(line) as { id?: number }).id;
        if (typeof id === "number") answers.add(id);
        if (answers.size === 3) resolve();
      }
    });
  });
  const tools = selectTools().tools;
  const factory = createServerFactory({
    tools,
    backendFor: () => {
      throw new ToolFailure({ kind: "config", problems: [] });
    },
  });
  const transport = new LineTransport({ stdin, stdout, drainTimeoutMs: 1000 });
  const handle = serveStdio(factory, { transport });
  const send = (message: object) => stdin.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
  send({
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "warm-up", version: "0" } },
  });
  send({ method: "notifications/initialized" });
  send({ id: 2, method: "tools/list" });
  const first = tools[0];
  if (first) send({ id: 3, method: "tools/call", params: { name: first.name, arguments: {} } });
  else answers.add(3);
  await allAnswered;
  stdin.end();
  await transport.whenClosed;
  await handle.close();
  setLogSink(undefined);
}

// Started as a plain script (`node dist/snapshot.cjs`), src/cli.ts has already started the server.
if (startupSnapshot.isBuildingSnapshot())
  warmUp().then(
    () => {
      startupSnapshot.setDeserializeMainFunction(() => {
        rereadStartSettings();
        run(process.argv.slice(2));
      });
    },
    (error: unknown) => {
      process.exitCode = 1;
      throw error;
    },
  );
