/**
 * `defineTool`: a tool is one file that declares what it calls and how it answers.
 *
 * A tool declares its Convex operation(s) by function path, the OpenAPI arguments it takes from
 * one of them (the input schema starts from the document's args schema, converted by code), its
 * MCP-side options, its output schema, annotations and toolset, and two functions:
 * - `load(input, backend)`: the backend calls (through `ToolBackend`, which picks each
 *   function's kind and checks the answer against the document), returning raw values;
 * - `shape(loaded, input, view)`: a PURE function from those values to the agent's answer
 *   `{ lead, data }`. Tests call it directly with any data.
 * src/tools/run.ts is the one place that runs a tool and renders its answer or failure.
 */
import type { ToolAnnotations } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { CancelSignal } from "../core/cancel.js";
import type { ResourceRef } from "../core/failures.js";
import type { LiveAccess } from "../live/hub.js";
import { type JsonSchemaObject, type OperationPath, operation } from "../openapi/registry.js";
import type { Answer } from "../present/render.js";

export const TOOLSETS = ["meetings", "transcripts", "notes", "insights", "prompts", "people"] as const;
export type Toolset = (typeof TOOLSETS)[number];

/** What a tool's `load` may do with the backend. Every call names a declared operation. */
export interface ToolBackend {
  /** Calls `path` with its kind; the value is checked against the document (bad_response if not). */
  call(path: OperationPath, args: Record<string, unknown>, options?: ToolCallOptions): Promise<unknown>;
  /** Calls a function whose value is a list: rows that don't match the document are left out and counted. */
  list<Row = Record<string, unknown>>(
    path: OperationPath,
    args: Record<string, unknown>,
    options?: ToolCallOptions,
  ): Promise<{ rows: Row[]; unreadable: number }>;
  readonly url: string;
  readonly signal: CancelSignal;
  now(): number;
  /** Live subscriptions for this caller (src/live/hub.ts); absent where the server has none. */
  readonly live?: LiveAccess;
  /** Tells the client how a long call is going, when it asked (a progress token); else absent. */
  progress?(progress: number, total?: number, message?: string): void;
}

export interface ToolCallOptions {
  /** The document the call is about (defaults to the tool's first ID argument). */
  resource?: ResourceRef;
  /** A write that is safe to repeat: retried like a read. */
  idempotent?: boolean;
}

/** What `shape` knows besides the data: the time of the answer, and notes about the input. */
export interface ShapeView {
  now: number;
  /** Sentences about how the input was read ("meetingId was taken from the pasted URL"). */
  notes: readonly string[];
}

type Hints = Required<Pick<ToolAnnotations, "readOnlyHint" | "destructiveHint" | "idempotentHint" | "openWorldHint">>;

export interface ToolSpec<Input, Loaded, Output extends z.ZodType> {
  name: string;
  title: string;
  toolset: Toolset;
  /** What it does, when to use it, what it returns, its limits (the walk test checks each). */
  description: string;
  /** Every operation `load` may call. */
  operations: readonly OperationPath[];
  /**
   * Arguments taken from an operation's OpenAPI args (all, or the named ones). `optional` makes
   * required OpenAPI arguments optional here (the tool does something else without them).
   */
  args?: { from: OperationPath; pick?: readonly string[]; optional?: readonly string[] };
  /** Options only this MCP server has (limits, formats, filters). */
  options?: z.ZodRawShape;
  /** MCP-side options that are document IDs, by table (OpenAPI ID arguments are found by code). */
  idOptions?: Readonly<Record<string, string>>;
  output: Output;
  annotations: Hints & ToolAnnotations;
  load(input: Input, backend: ToolBackend): Promise<Loaded>;
  shape(loaded: Loaded, input: Input, view: ShapeView): Answer<z.output<Output>>;
}

export interface ToolDefinition<Input = unknown, Loaded = unknown, Output extends z.ZodType = z.ZodType>
  extends ToolSpec<Input, Loaded, Output> {
  inputSchema: z.ZodObject;
  /** The OpenAPI argument schemas, as the document writes them (advertised verbatim). */
  openApiProperties?: Readonly<Record<string, unknown>>;
  /** Argument name → table, for the ID pre-check and failure wording. */
  idArgs: Readonly<Record<string, string>>;
  /** Writes are listed only when enabled. */
  write: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: tools are heterogeneous; each is typed where defined.
export type AnyTool = ToolDefinition<any, any, any>;

/** The OpenAPI args schema (or the picked part of it) as a zod object, plus the MCP-side options. */
export function buildInputSchema(
  argsSchema: JsonSchemaObject | undefined,
  pick: readonly string[] | undefined,
  options: z.ZodRawShape = {},
  optional: readonly string[] = [],
): z.ZodObject {
  let base = z.object({});
  if (argsSchema) {
    const picked = pick
      ? {
          ...argsSchema,
          properties: Object.fromEntries(
            Object.entries(argsSchema.properties ?? {}).filter(([key]) => pick.includes(key)),
          ),
          required: (argsSchema.required ?? []).filter((key) => pick.includes(key)),
        }
      : argsSchema;
    const json = { ...picked, required: (picked.required ?? []).filter((key) => !optional.includes(key)) };
    base = z.fromJSONSchema(json as z.core.JSONSchema.JSONSchema) as unknown as z.ZodObject;
  }
  return base.strip().extend(options);
}

export function defineTool<Input, Loaded, Output extends z.ZodType>(
  spec: ToolSpec<Input, Loaded, Output>,
): ToolDefinition<Input, Loaded, Output> {
  const inputSchema = buildInputSchema(
    spec.args ? operation(spec.args.from).argsSchema : undefined,
    spec.args?.pick,
    spec.options,
    spec.args?.optional,
  );
  const fromOpenApi = spec.args ? operation(spec.args.from).idArgs : {};
  const openApiProperties = spec.args
    ? Object.fromEntries(
        Object.entries(operation(spec.args.from).argsSchema.properties ?? {}).filter(
          ([key]) => !spec.args?.pick || spec.args.pick.includes(key),
        ),
      )
    : undefined;
  const pick = spec.args?.pick;
  const idArgs = {
    ...Object.fromEntries(Object.entries(fromOpenApi).filter(([key]) => !pick || pick.includes(key))),
    ...spec.idOptions,
  };
  if (spec.args && !spec.operations.includes(spec.args.from)) {
    throw new Error(`${spec.name}: args.from ${spec.args.from} must be one of its operations`);
  }
  // A read may call a mutation (Connvo's transcript reads are mutations); what it declares decides.
  const write = !spec.annotations.readOnlyHint;
  return { ...spec, inputSchema, openApiProperties, idArgs, write };
}
