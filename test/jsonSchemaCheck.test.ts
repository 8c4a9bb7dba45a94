/**
 * The checker of backend answers against Connvo's OpenAPI schemas (src/openapi/jsonSchemaCheck.ts):
 * each keyword of the subset Convex emits, and its lenient reading (extra properties allowed, an
 * absent optional property fine, names every object inherits never read from the prototype).
 */
import { describe, expect, it } from "vitest";
import { compileSchema } from "../src/openapi/jsonSchemaCheck.js";

describe("compileSchema", () => {
  it("checks types, with finite numbers and integers", () => {
    expect(compileSchema({ type: "string" })("a")).toBe(true);
    expect(compileSchema({ type: "string" })(1)).toBe(false);
    expect(compileSchema({ type: "number" })(1.5)).toBe(true);
    expect(compileSchema({ type: "number" })(Number.NaN)).toBe(false);
    expect(compileSchema({ type: "integer" })(2)).toBe(true);
    expect(compileSchema({ type: "integer" })(2.5)).toBe(false);
    expect(compileSchema({ type: "boolean" })(false)).toBe(true);
    expect(compileSchema({ type: "object" })([])).toBe(false);
    expect(compileSchema({ type: "object" })(null)).toBe(false);
    expect(compileSchema({ type: "array" })([])).toBe(true);
    expect(compileSchema({})(Symbol.iterator)).toBe(true);
  });

  it("checks enum, oneOf (any branch) and nullable", () => {
    const state = compileSchema({
      oneOf: [
        { type: "string", enum: ["a"] },
        { type: "string", enum: ["b"] },
      ],
    });
    expect(state("a")).toBe(true);
    expect(state("b")).toBe(true);
    expect(state("c")).toBe(false);
    const maybe = compileSchema({ type: "string", nullable: true });
    expect(maybe(null)).toBe(true);
    expect(maybe(3)).toBe(false);
  });

  it("checks required and present properties, allows extra and absent ones", () => {
    const row = compileSchema({
      type: "object",
      required: ["id"],
      properties: { id: { type: "string" }, n: { type: "number" }, constructor: { type: "string" } },
    });
    expect(row({ id: "x" })).toBe(true);
    expect(row({ id: "x", n: 1, extra: [1] })).toBe(true);
    expect(row({ id: "x", n: undefined })).toBe(true);
    expect(row({ n: 1 })).toBe(false);
    expect(row({ id: 1 })).toBe(false);
    expect(row({ id: "x", n: "1" })).toBe(false);
    // Object.prototype.constructor is not the row's own "constructor".
    expect(row({ id: "x" })).toBe(true);
    expect(row({ id: "x", constructor: 5 })).toBe(false);
  });

  it("checks every item of a list, nested", () => {
    const list = compileSchema({
      type: "array",
      items: { type: "object", required: ["user"], properties: { user: { type: "object", required: ["name"] } } },
    });
    expect(list([{ user: { name: "a" } }, { user: { name: "b" } }])).toBe(true);
    expect(list([{ user: { name: "a" } }, { user: {} }])).toBe(false);
    expect(list([])).toBe(true);
  });
});
