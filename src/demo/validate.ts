/**
 * Argument validation the way a Convex deployment does it, driven by the function's args schema
 * from Connvo's OpenAPI document: the validator is rebuilt from the JSON Schema (`ID from table
 * "X"` → `v.id("X")`, a union of single literals → `v.union(v.literal(...))`, optional fields →
 * `v.optional(...)`), and failures answer Convex's ArgumentValidationError texts (convex-backend
 * crates/common/src/schemas/validator.rs `ValidationError` Display impls; Convex ends the message
 * with a blank line).
 */
import { decodeConvexId } from "../convex/ids.js";
import { tableOfIdDescription } from "../openapi/tableOfId.js";
import { TABLE_NUMBERS } from "./seed.js";
import { displayValue, isRecord } from "./wire.js";

type Schema = {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: readonly string[];
  items?: Schema;
  oneOf?: readonly Schema[];
  enum?: readonly unknown[];
};

const TABLE_NAMES = new Map<number, string>(Object.entries(TABLE_NUMBERS).map(([name, n]) => [n, name]));

/** The Convex validator a JSON Schema stands for, as Convex prints it. */
export function validatorText(schema: Schema): string {
  const table = tableOfIdDescription(schema.description);
  if (table) return `v.id("${table}")`;
  if (schema.oneOf) return `v.union(${schema.oneOf.map(validatorText).join(", ")})`;
  if (schema.enum && schema.enum.length === 1) return `v.literal(${JSON.stringify(schema.enum[0])})`;
  switch (schema.type) {
    case "string":
      return "v.string()";
    case "number":
    case "integer":
      return "v.float64()";
    case "boolean":
      return "v.boolean()";
    case "array":
      return `v.array(${schema.items ? validatorText(schema.items) : "v.any()"})`;
    case "object": {
      if (!schema.properties) return "v.any()";
      const required = new Set(schema.required ?? []);
      const fields = Object.entries(schema.properties).map(([key, sub]) =>
        required.has(key) ? `${key}: ${validatorText(sub)}` : `${key}: v.optional(${validatorText(sub)})`,
      );
      return `v.object({${fields.join(", ")}})`;
    }
    default:
      return "v.any()";
  }
}

const mismatch = (value: unknown, schema: Schema, path: string) =>
  `Value does not match validator.\n${path ? `Path: ${path}\n` : "\n"}Value: ${displayValue(value)}\nValidator: ${validatorText(schema)}`;

function check(value: unknown, schema: Schema, path: string): string | undefined {
  const table = tableOfIdDescription(schema.description);
  if (table) {
    const decoded = typeof value === "string" ? decodeConvexId(value) : undefined;
    const actual = decoded ? TABLE_NAMES.get(decoded.tableNumber) : undefined;
    // An ID of a table this deployment doesn't have fails like any other non-ID.
    if (actual === undefined) return mismatch(value, schema, path);
    if (actual !== table) {
      // No space before "Path:": the Display impl appends the context directly.
      return `Found ID ${JSON.stringify(value)} from table \`${actual}\`, which does not match the table name in validator \`v.id("${table}")\`.Path: ${path}`;
    }
    return undefined;
  }
  if (schema.oneOf)
    return schema.oneOf.some((branch) => check(value, branch, path) === undefined)
      ? undefined
      : mismatch(value, schema, path);
  if (schema.enum) return schema.enum.includes(value) ? undefined : mismatch(value, schema, path);
  switch (schema.type) {
    case "string":
      return typeof value === "string" ? undefined : mismatch(value, schema, path);
    case "number":
    case "integer":
      return typeof value === "number" ? undefined : mismatch(value, schema, path);
    case "boolean":
      return typeof value === "boolean" ? undefined : mismatch(value, schema, path);
    case "array":
      if (!Array.isArray(value)) return mismatch(value, schema, path);
      for (const [i, item] of value.entries()) {
        const problem = schema.items ? check(item, schema.items, `${path}[${i}]`) : undefined;
        if (problem) return problem;
      }
      return undefined;
    case "object": {
      if (!isRecord(value)) return mismatch(value, schema, path);
      if (!schema.properties) return undefined;
      const where = `${path ? `\nPath: ${path}` : "\n"}\nObject: ${displayValue(value)}\nValidator: ${validatorText(schema)}`;
      for (const key of schema.required ?? []) {
        if (!(key in value) || value[key] === undefined) {
          return `Object is missing the required field \`${key}\`. Consider wrapping the field validator in \`v.optional(...)\` if this is expected.${where}`;
        }
      }
      const extra = Object.keys(value)
        .sort()
        .find((key) => !(key in (schema.properties as object)));
      if (extra !== undefined) return `Object contains extra field \`${extra}\` that is not in the validator.${where}`;
      for (const [key, sub] of Object.entries(schema.properties)) {
        if (value[key] === undefined) continue;
        const problem = check(value[key], sub, `${path}.${key}`);
        if (problem) return problem;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The ArgumentValidationError text for `args`, or undefined when they match. */
export function validateArgs(args: unknown, schema: Schema): string | undefined {
  const problem = check(args, schema, "");
  return problem === undefined ? undefined : `ArgumentValidationError: ${problem}\n\n`;
}
