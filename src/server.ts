/**
 * The one server definition both transports serve. `createServerFactory` returns a factory
 * because the SDK builds an instance per connection (stdio) or per request (stateless HTTP);
 * tool definitions, schemas and instructions are built once, outside it.
 */
import {
  type AuthInfo,
  type CallToolResult,
  McpServer,
  ResourceTemplate,
  type ServerContext,
  type StandardSchemaWithJSON,
} from "@modelcontextprotocol/server";
import { PANEL_MIME_TYPE, PANEL_RESOURCE_META, PANEL_URI, panelToolMeta } from "./app/meta.js";
import type { ConvexBackend } from "./convex/client.js";
import type { CancelSignal } from "./core/cancel.js";
import type { CallerIdentity } from "./core/identity.js";
import { createLiveHub, type LiveHub, liveAccess } from "./live/hub.js";
import { liveSourceOf } from "./live/source.js";
import type { AnyTool } from "./tools/define.js";
import { getActiveSessions } from "./tools/getActiveSessions.js";
import { instructionsFor, selectTools } from "./tools/inventory.js";
import { coerceNumericStrings } from "./tools/normalize.js";
import { type RunContext, runTool } from "./tools/run.js";
import { followSessionsResource, SESSIONS_TEMPLATE } from "./tools/watch/resource.js";
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
  /** Live subscriptions (watch_meeting, resource subscriptions); one per process by default. */
  live?: LiveHub;
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
function convertOnce(
  schema: StandardSchemaWithJSON,
  mode: "input" | "trusted",
  openApiProperties?: Readonly<Record<string, unknown>>,
): StandardSchemaWithJSON {
  const std = schema["~standard"];
  const cache = new Map<string, Record<string, unknown>>();
  const memo = (io: "input" | "output") => (options: JsonSchemaOptions) => {
    const key = `${io}:${options.target}`;
    let json = cache.get(key);
    if (!json) {
      json = std.jsonSchema[io](options);
      // Arguments from Connvo's OpenAPI document are advertised exactly as the document writes them
      // (zod's round trip would turn a one-value enum into a const, for example).
      if (io === "input" && openApiProperties) {
        json = { ...json, properties: { ...(json.properties as object), ...openApiProperties } };
      }
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

/**
 * A `tools/call` answered without the SDK's request dispatch (`direct` in createServerFactory): its
 * result, or undefined when the SDK must answer the request (nothing has been done then).
 */
export type DirectCall = (
  params: unknown,
  options: { signal: CancelSignal; authInfo?: AuthInfo },
) => Promise<CallToolResult> | undefined;

/**
 * The factory, the live hub its servers share (call `live.shutdown()` to end every watch at once),
 * and the direct way to answer a plain tools/call (transports use it for a session whose protocol
 * revision is a 2025 one).
 */
export type ServerFactory = (() => McpServer) & { readonly live: LiveHub; readonly direct: DirectCall };

/** params keys a direct call may carry; anything else (a task request, a later revision's fields) is the SDK's. */
const DIRECT_PARAMS: ReadonlySet<string> = new Set(["name", "arguments", "_meta"]);
/** `_meta` keys the protocol reserves (the 2026-07-28 envelope, tasks): the SDK's to interpret. */
const RESERVED_META_PREFIX = "io.modelcontextprotocol/";

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export function createServerFactory(deps: ServerDeps): ServerFactory {
  const offered = deps.tools ?? selectTools().tools;
  const tools = offered.map((tool) => ({
    tool,
    inputSchema: convertOnce(tool.inputSchema as unknown as StandardSchemaWithJSON, "input", tool.openApiProperties),
    outputSchema: convertOnce(tool.output as unknown as StandardSchemaWithJSON, "trusted"),
  }));
  const instructions = instructionsFor(offered);
  const now = deps.now ?? Date.now;
  const identify = deps.identify ?? (() => ({ kind: "local" }) as const);
  const hub = deps.live ?? createLiveHub({ now });
  const offersPanel = offered.some((tool) => panelToolMeta(tool.name));
  const offersSessions = offered.some((tool) => tool.name === getActiveSessions.name);
  const runContext = (ctx: ServerContext): RunContext => {
    const progressToken = ctx.mcpReq._meta?.progressToken;
    return {
      backend: () => deps.backendFor(identify(ctx)),
      signal: ctx.mcpReq.signal,
      now,
      live: () => liveAccess(hub, () => liveSourceOf(deps.backendFor(identify(ctx)))),
      ...(progressToken !== undefined
        ? {
            progress: (progress: number, total?: number, message?: string) =>
              void ctx.mcpReq
                .notify({ method: "notifications/progress", params: { progressToken, progress, total, message } })
                .catch(() => undefined),
          }
        : {}),
    };
  };
  const factory = () => {
    const server = new McpServer(
      { name: SERVER_NAME, title: "Connvo", version: VERSION },
      {
        capabilities: {
          tools: {},
          ...(offersPanel || offersSessions ? { resources: { subscribe: offersSessions } } : {}),
        },
        instructions,
      },
    );
    for (const { tool, inputSchema, outputSchema } of tools) {
      const meta = panelToolMeta(tool.name);
      server.registerTool(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema,
          outputSchema,
          annotations: tool.annotations,
          ...(meta ? { _meta: meta } : {}),
        },
        (args: unknown, ctx: ServerContext) => runTool(tool, args, runContext(ctx)),
      );
    }
    // The meeting panel (an MCP App): read only by hosts that render apps.
    if (offersPanel) {
      server.registerResource(
        "meeting-panel",
        PANEL_URI,
        {
          title: "Connvo meeting panel",
          description: "A live panel of who is in a meeting, for hosts that render MCP Apps.",
          mimeType: PANEL_MIME_TYPE,
          _meta: PANEL_RESOURCE_META,
        },
        async (uri) => {
          const { panelHtml } = await import("./app/panel.js");
          return {
            contents: [{ uri: uri.href, mimeType: PANEL_MIME_TYPE, text: panelHtml(), _meta: PANEL_RESOURCE_META }],
          };
        },
      );
    }
    // connvo://meetings/{meetingId}/sessions: read = the sessions summary; subscribable on stdio.
    if (offersSessions) {
      const follow = followSessionsResource({
        server,
        hub,
        now,
        read: (meetingId, ctx) => runTool(getActiveSessions, { meetingId }, runContext(ctx)),
        source: (ctx) => liveSourceOf(deps.backendFor(identify(ctx))),
      });
      server.registerResource(
        "meeting-sessions",
        new ResourceTemplate(SESSIONS_TEMPLATE, { list: undefined }),
        {
          title: "Who is in a Connvo meeting",
          description:
            "The sessions summary of a meeting (as get_active_sessions). Subscribe (stdio) to be told when it changes.",
          mimeType: "application/json",
        },
        (uri, variables, ctx) => follow.read(uri, variables, ctx),
      );
      server.server.setRequestHandler("resources/subscribe", (request, ctx) =>
        follow.subscribe(request.params.uri, ctx),
      );
      server.server.setRequestHandler("resources/unsubscribe", (request) => follow.unsubscribe(request.params.uri));
    }
    return server;
  };
  /**
   * A tools/call answered the way a 2025-era McpServer answers it, without its dispatch: the same
   * input schema, the same tool code, the same result. The SDK's per-request work (schema parses of
   * the request and of the result, the request's context, the era's projections, all identity for
   * these results) was a third of connvo-mcp's CPU per call over stdio. Only a call whose
   * arguments pass the tool's schema, with no progress token and nothing the protocol reserves,
   * is answered here; everything else, every error the SDK words, stays the SDK's.
   * test/direct.parity.test.ts holds the answers byte for byte against the SDK's.
   */
  const byName = new Map(tools.map((entry) => [entry.tool.name, entry]));
  const direct: DirectCall = (params, { signal, authInfo }) => {
    if (!isPlainObject(params) || typeof params.name !== "string") return undefined;
    for (const key in params) if (!DIRECT_PARAMS.has(key)) return undefined;
    const entry = byName.get(params.name);
    if (!entry) return undefined;
    const meta = params._meta;
    if (meta !== undefined) {
      // A progress token asks for notifications while the call runs: the SDK's request context sends them.
      if (!isPlainObject(meta) || meta.progressToken !== undefined) return undefined;
      for (const key in meta) if (key.startsWith(RESERVED_META_PREFIX)) return undefined;
    }
    const args = params.arguments;
    if (args !== undefined && !isPlainObject(args)) return undefined;
    const checked = entry.inputSchema["~standard"].validate(args ?? {});
    if (checked instanceof Promise || checked.issues) return undefined;
    // What the tools read of a request's context (see runContext): its signal, _meta and caller.
    const ctx = {
      mcpReq: { signal, _meta: meta },
      http: authInfo ? { authInfo } : undefined,
    } as unknown as ServerContext;
    return runTool(entry.tool, checked.value, runContext(ctx)).catch((error: unknown) => ({
      // As McpServer answers a handler that threw (runTool answers its own failures).
      content: [{ type: "text" as const, text: error instanceof Error ? error.message : String(error) }],
      isError: true,
    }));
  };
  return Object.assign(factory, { live: hub, direct });
}
