/**
 * The one server definition both transports serve. `createServerFactory` returns a factory
 * because the SDK builds an instance per connection (stdio) or per request (stateless HTTP);
 * tool definitions, schemas and instructions are built once, outside it.
 */
import { McpServer, type ServerContext, type StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { ConvexBackend } from "./convex/client.js";
import type { CallerIdentity } from "./core/identity.js";
import type { AnyTool } from "./tools/define.js";
import { instructionsFor, selectTools } from "./tools/inventory.js";
import { coerceNumericStrings } from "./tools/normalize.js";
import { runTool } from "./tools/run.js";
import { VERSION } from "./version.js";

export type { CallerIdentity };

export interface ServerDeps {
  /** Chooses the backend client for a caller; throws a ToolFailure when it cannot. */
  backendFor(caller: CallerIdentity): ConvexBackend;
  /** How a request's context identifies its caller (HTTP overrides this). */
  identify?(ctx: ServerContext): CallerIdentity;
  /** The tools to offer; default: the inventory's default selection (every read tool). */
  tools?: readonly AnyTool[];
  now?: () => number;
}

export const SERVER_NAME = "connvo-mcp";

type JsonSchemaOptions = Parameters<StandardSchemaWithJSON["~standard"]["jsonSchema"]["input"]>[0];

/**
 * Wraps a schema so its JSON Schema is converted once per process, not once per McpServer: stateless
 * HTTP builds a server per request, and the conversion would otherwise run on every tools/list.
 * Input: numeric strings become numbers before validation (`coerce`), so `"25"` is accepted while
 * the advertised schema stays the OpenAPI one. `trusted` output skips per-call validation: the
 * server produced it from a schema-checked shape (tests validate every shape); it is still advertised.
 */
function convertOnce(schema: StandardSchemaWithJSON, mode: "input" | "trusted"): StandardSchemaWithJSON {
  const std = schema["~standard"];
  const cache = new Map<string, Record<string, unknown>>();
  const memo = (io: "input" | "output") => (options: JsonSchemaOptions) => {
    const key = `${io}:${options.target}`;
    let json = cache.get(key);
    if (!json) {
      json = std.jsonSchema[io](options);
      cache.set(key, json);
    }
    return json;
  };
  const inputJson = memo("input");
  const validate =
    mode === "trusted"
      ? (value: unknown) => ({ value })
      : (value: unknown) => std.validate(coerceNumericStrings(inputJson({ target: "draft-2020-12" }), value));
  return { "~standard": { ...std, validate, jsonSchema: { input: inputJson, output: memo("output") } } };
}

export function createServerFactory(deps: ServerDeps): () => McpServer {
  const offered = deps.tools ?? selectTools().tools;
  const tools = offered.map((tool) => ({
    tool,
    inputSchema: convertOnce(tool.inputSchema as unknown as StandardSchemaWithJSON, "input"),
    outputSchema: convertOnce(tool.output as unknown as StandardSchemaWithJSON, "trusted"),
  }));
  const instructions = instructionsFor(offered);
  const now = deps.now ?? Date.now;
  const identify = deps.identify ?? (() => ({ kind: "local" }) as const);
  return () => {
    const server = new McpServer(
      { name: SERVER_NAME, title: "Connvo", version: VERSION },
      { capabilities: { tools: {} }, instructions },
    );
    for (const { tool, inputSchema, outputSchema } of tools) {
      server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema,
          outputSchema,
          annotations: tool.annotations,
        },
        (args: unknown, ctx: ServerContext) =>
          runTool(tool, args, {
            backend: () => deps.backendFor(identify(ctx)),
            signal: ctx.mcpReq.signal,
            now,
          }),
      );
    }
    return server;
  };
}
