/**
 * The operations the product calls, as the rest of the code sees them: looked up by full Convex
 * function path, each with its kind, its args JSON Schema (the tools' input schemas start here),
 * the ID arguments it takes, and a lenient checker for its return value. Everything comes from the
 * generated module (scripts/openapi/derive.ts); nothing here is hand-copied from the document.
 */

import { EXPOSED_OPERATIONS } from "./exposed.generated.js";
import { type Check, compileSchema } from "./jsonSchemaCheck.js";

export type OperationPath = keyof typeof EXPOSED_OPERATIONS;
export type FunctionKind = "query" | "mutation" | "action";

export interface JsonSchemaObject {
  type?: string;
  properties?: Record<string, Record<string, unknown>>;
  required?: readonly string[];
  [key: string]: unknown;
}

export interface Operation {
  path: OperationPath;
  kind: FunctionKind;
  httpPath: string;
  tag: string;
  argsSchema: JsonSchemaObject;
  valueSchema: JsonSchemaObject;
  /** Argument name → table, from the document's `ID from table "X"`. */
  idArgs: Readonly<Record<string, string>>;
}

const checkers = new Map<string, Check>();

export function operation(path: OperationPath): Operation {
  const op = EXPOSED_OPERATIONS[path] as unknown as Operation | undefined;
  if (!op) throw new Error(`no exposed operation ${path}: add it to openapi/manifest.json and run npm run generate`);
  return op;
}

export const exposedOperations = (): Operation[] => (Object.keys(EXPOSED_OPERATIONS) as OperationPath[]).map(operation);

/**
 * Does `value` have the shape the document promises for `path`'s return value? Lenient: extra
 * fields pass (a backend that adds one must not break the server). Compiled once per operation.
 */
export function valueMatches(path: OperationPath, value: unknown): boolean {
  let check = checkers.get(path);
  if (!check) {
    check = compileSchema(operation(path).valueSchema as Parameters<typeof compileSchema>[0]);
    checkers.set(path, check);
  }
  return check(value);
}

const itemCheckers = new Map<string, Check>();

/** A checker for the items of an operation whose value is a list, compiled once per operation. */
export function itemChecker(path: OperationPath): Check {
  let check = itemCheckers.get(path);
  if (!check) {
    const items = (operation(path).valueSchema as { items?: unknown }).items;
    check = items ? compileSchema(items as Parameters<typeof compileSchema>[0]) : () => true;
    itemCheckers.set(path, check);
  }
  return check;
}

/** A list value checked row by row: undefined when it is not a list at all. */
export function parseList<Row>(path: OperationPath, value: unknown): { rows: Row[]; unreadable: number } | undefined {
  if (!Array.isArray(value)) return undefined;
  const isRow = itemChecker(path);
  const rows = value.filter(isRow) as Row[];
  return { rows, unreadable: value.length - rows.length };
}
