/**
 * A small JSON Schema checker for the subset Convex's OpenAPI generator emits (type, properties,
 * required, items, enum, oneOf, nullable). Compiled once into closures, so checking tens of thousands of
 * rows costs no allocation per keyword. Lenient by design: extra properties are always allowed,
 * because a backend that adds a field must not break the server.
 */
export type Check = (value: unknown) => boolean;

type Schema = {
  type?: string;
  properties?: Record<string, Schema>;
  required?: readonly string[];
  items?: Schema;
  enum?: readonly unknown[];
  oneOf?: readonly Schema[];
  nullable?: boolean;
};

function typeCheck(type: string | undefined): Check {
  switch (type) {
    case "object":
      return (v) => v !== null && typeof v === "object" && !Array.isArray(v);
    case "array":
      return Array.isArray;
    case "string":
      return (v) => typeof v === "string";
    case "number":
      return (v) => typeof v === "number" && Number.isFinite(v);
    case "integer":
      return Number.isInteger;
    case "boolean":
      return (v) => typeof v === "boolean";
    default:
      return () => true;
  }
}

export function compileSchema(schema: Schema): Check {
  const checks: Check[] = [typeCheck(schema.type)];
  if (schema.enum) {
    const allowed = new Set(schema.enum);
    checks.push((v) => allowed.has(v));
  }
  if (schema.oneOf) {
    // Convex emits a union of single-value enums here; "any branch matches" is the useful reading.
    const branches = schema.oneOf.map(compileSchema);
    checks.push((v) => branches.some((b) => b(v)));
  }
  if (schema.required) {
    const required = [...schema.required];
    checks.push((v) => required.every((key) => Object.hasOwn(v as object, key)));
  }
  if (schema.properties) {
    const props = Object.entries(schema.properties).map(([key, sub]) => [key, compileSchema(sub)] as const);
    checks.push((v) => {
      const obj = v as Record<string, unknown>;
      return props.every(([key, check]) => !Object.hasOwn(obj, key) || obj[key] === undefined || check(obj[key]));
    });
  }
  if (schema.items) {
    const item = compileSchema(schema.items);
    checks.push((v) => (v as unknown[]).every(item));
  }
  const all: Check = (value) => checks.every((check) => check(value));
  return schema.nullable ? (value) => value === null || all(value) : all;
}
