/**
 * The one server definition both transports serve. `createServerFactory` returns a factory
 * because the SDK builds an instance per connection (stdio) or per request (stateless HTTP);
 * tool definitions and schemas are built once, outside it.
 */
import { McpServer, type ServerContext } from "@modelcontextprotocol/server";
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

export function createServerFactory(deps: ServerDeps): () => McpServer {
  const tools = deps.tools ?? ALL_TOOLS;
  const now = deps.now ?? Date.now;
  const identify = deps.identify ?? (() => ({ kind: "local" }) as const);
  return () => {
    const server = new McpServer(
      { name: SERVER_NAME, title: "Connvo", version: VERSION },
      { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
    );
    for (const tool of tools) {
      server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema: tool.inputSchema,
          outputSchema: tool.outputSchema,
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
