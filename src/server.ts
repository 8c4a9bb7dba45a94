/**
 * The one server definition both transports serve. `createServerFactory` returns a factory
 * because the SDK builds an instance per connection (stdio) or per request (stateless HTTP);
 * tool definitions and schemas are built once, outside it.
 */
import { McpServer, type ServerContext, type StandardSchemaWithJSON } from "@modelcontextprotocol/server";
import type { ConvexBackend } from "./convex/client.js";
import { ALL_TOOLS } from "./tools/index.js";
import { runTool } from "./tools/result.js";
import type { AnyTool } from "./tools/types.js";
import { VERSION } from "./version.js";

/** Who is calling. Stdio has one local user; HTTP fills in what the transport verified. */
export type CallerIdentity =
  | { kind: "local" }
  | { kind: "shared-secret" }
  | { kind: "user"; subject: string; token: string };

export interface ServerDeps {
  /** Chooses the backend client for a caller; throws a ToolFailure when it cannot. */
  backendFor(caller: CallerIdentity): ConvexBackend;
  /** How a request's context identifies its caller (HTTP overrides this). */
  identify?(ctx: ServerContext): CallerIdentity;
  tools?: readonly AnyTool[];
  now?: () => number;
}

export const SERVER_NAME = "connvo-mcp";

const INSTRUCTIONS =
  "Connvo meeting tools. get_active_sessions answers who is in a live meeting, who is joining or dropped, and how their connections are; people needing attention come first.";

type JsonSchemaOptions = Parameters<StandardSchemaWithJSON["~standard"]["jsonSchema"]["input"]>[0];

/**
 * Wraps a schema so its JSON Schema is converted once per process, not once per McpServer: stateless
 * HTTP builds a server per request, and the conversion would otherwise run on every tools/list.
 * `trusted` skips per-call validation, for output the server itself produced from a schema-checked
 * summary (tests validate every shape of it); the schema is still advertised unchanged.
 */
function convertOnce(schema: StandardSchemaWithJSON, trusted = false): StandardSchemaWithJSON {
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
  return {
    "~standard": {
      ...std,
      validate: trusted ? (value: unknown) => ({ value }) : std.validate,
      jsonSchema: { input: memo("input"), output: memo("output") },
    },
  };
}

export function createServerFactory(deps: ServerDeps): () => McpServer {
  const tools = (deps.tools ?? ALL_TOOLS).map((tool) => ({
    tool,
    inputSchema: convertOnce(tool.inputSchema),
    outputSchema: convertOnce(tool.outputSchema, true),
  }));
  const now = deps.now ?? Date.now;
  const identify = deps.identify ?? (() => ({ kind: "local" }) as const);
  return () => {
    const server = new McpServer(
      { name: SERVER_NAME, title: "Connvo", version: VERSION },
      { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
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
