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

/** `checks` all true, as a loop (`every` with a closure per call costs more on hot paths). */
function allOf(checks: readonly Check[]): Check {
  if (checks.length === 1) return checks[0] as Check;
  return (value) => {
    for (let i = 0; i < checks.length; i++) if (!(checks[i] as Check)(value)) return false;
    return true;
  };
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
    checks.push((v) => {
      for (let i = 0; i < branches.length; i++) if ((branches[i] as Check)(v)) return true;
      return false;
    });
  }
  if (schema.required) {
    const required = [...schema.required];
    checks.push((v) => {
      for (let i = 0; i < required.length; i++) if (!Object.hasOwn(v as object, required[i] as string)) return false;
      return true;
    });
  }
  if (schema.properties) {
    const keys = Object.keys(schema.properties);
    const subs = keys.map((key) => compileSchema((schema.properties as Record<string, Schema>)[key] as Schema));
    // A name every object inherits ("constructor", "toString") is read only when the object has its own.
    const inherited = keys.map((key) => key in Object.prototype);
    checks.push((v) => {
      const obj = v as Record<string, unknown>;
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        const item = inherited[i] && !Object.hasOwn(obj, key) ? undefined : obj[key];
        // Absent (or undefined) is fine here; `required` says what must be present.
        if (item !== undefined && !(subs[i] as Check)(item)) return false;
      }
      return true;
    });
  }
  if (schema.items) {
    const item = compileSchema(schema.items);
    checks.push((v) => {
      const list = v as unknown[];
      for (let i = 0; i < list.length; i++) if (!item(list[i])) return false;
      return true;
    });
  }
  const all = allOf(checks);
  return schema.nullable ? (value) => value === null || all(value) : all;
}
