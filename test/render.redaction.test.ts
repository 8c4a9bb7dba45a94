/**
 * The renderer redacts an answer through its JSON text when that is exact (every registered secret
 * long and written by JSON.stringify unescaped) and string by string otherwise. Either way no
 * secret survives in the text or in structuredContent, wherever it sits: in a nested string, a
 * key, after an escaped character, cut short, or as an unregistered JWT.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { redactionOfJsonTextIsExact, registerSecret } from "../src/core/log.js";
import { errorResult, renderAnswer, resultJson } from "../src/present/render.js";
import { fitToBudget, fittedJson } from "../src/present/size.js";

const LONG = `tok_${"Ab3dE5gH7jK9mN1pQ".repeat(2)}`;
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ";

function rendered(data: unknown) {
  const result = renderAnswer({ lead: "Lead.", data });
  const text = (result.content[0] as { text: string }).text;
  return { result, text, structured: JSON.stringify(result.structuredContent) };
}

function expectNone(data: unknown, ...secrets: string[]) {
  const { text, structured } = rendered(data);
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
    expect(structured).not.toContain(secret);
  }
  expect(text).toContain("[redacted");
  expect(structured).toContain("[redacted");
}

describe("redaction in the one render path", () => {
  it("takes the JSON-text pass for long plain secrets, and finds them everywhere", () => {
    registerSecret(LONG);
    expect(redactionOfJsonTextIsExact()).toBe(true);
    expectNone({ a: { b: [`x ${LONG} y`] } }, LONG);
    expectNone({ [`key-${LONG}`]: 1 }, LONG);
    expectNone({ note: `line one\n${LONG}\tafter` }, LONG);
    expectNone({ note: `"${LONG}"` }, LONG);
    // Cut short to its first 20 characters (a name capped before it reached the renderer).
    expectNone({ name: `${LONG.slice(0, 20)}` }, LONG.slice(0, 20));
    expectNone({ echoed: `\n${JWT}` }, JWT);
  });

  it("hands clean data over as it is, with text and structuredContent equal", () => {
    const data = { people: [{ name: "Ada", note: "a\nb" }], count: 1 };
    const { result, text } = rendered(data);
    expect(result.structuredContent).toBe(data);
    expect(text.endsWith(JSON.stringify(data))).toBe(true);
  });

  it("falls back to string by string once a secret JSON would escape is registered", () => {
    const quoted = 'sec"ret\\with-escapes-0123456789';
    registerSecret(quoted);
    expect(redactionOfJsonTextIsExact()).toBe(false);
    expectNone({ deep: [{ v: `>${quoted}<` }] }, quoted);
    expectNone({ still: LONG }, LONG);
  });

  it("and once a short secret is registered, finds it standing alone after an escaped line break", () => {
    registerSecret("q7Zx3");
    expect(redactionOfJsonTextIsExact()).toBe(false);
    const { text, structured } = rendered({ note: "first line\nq7Zx3" });
    expect(structured).not.toContain("q7Zx3");
    expect(text).not.toContain("q7Zx3");
  });
});

describe("the answer's JSON, made once", () => {
  it("is taken from fitToBudget for the object it let through, once, and never for another object", () => {
    const fitted = fitToBudget(3, (limit) => ({ items: [1, 2, 3].slice(0, limit) }));
    expect(fittedJson({ items: [1, 2, 3] })).toBeUndefined(); // an equal object is not the same answer
    const again = fitToBudget(3, (limit) => ({ items: [1, 2, 3].slice(0, limit) }));
    expect(fittedJson(again)).toBe('{"items":[1,2,3]}');
    expect(fittedJson(again)).toBeUndefined(); // used once
    expect(fitted).toEqual(again);
  });

  it("writes the answer line's result as JSON.stringify would, reusing the structuredContent's JSON", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (value, lead) => {
        const data = { value, list: [value, value] };
        const result = renderAnswer({ lead, data });
        expect(resultJson(result)).toBe(JSON.stringify(result));
        // Cut to fit the cap: the data is a copy, and its JSON is the copy's.
        const cut = renderAnswer({ lead, data: { rows: Array.from({ length: 50 }, () => value) } }, 200);
        expect(resultJson(cut)).toBe(JSON.stringify(cut));
      }),
      { numRuns: 300 },
    );
    const result = renderAnswer({ lead: "x", data: { a: 1 } });
    const changed = { ...result, isError: true };
    expect(resultJson(changed)).toBe(JSON.stringify(changed));
    expect(resultJson(errorResult("no"))).toBe(JSON.stringify(errorResult("no")));
  });

  it("renders the same text with and without it", () => {
    const make = (limit: number) => ({ name: "Ada", rows: ["a", "b"].slice(0, limit) });
    const viaFit = renderAnswer({ lead: "Two rows.", data: fitToBudget(2, make) });
    const plain = renderAnswer({ lead: "Two rows.", data: make(2) });
    expect(viaFit).toEqual(plain);
  });
});
