/** `ID from table "meetings"` (how Convex's OpenAPI generator marks a document ID) → "meetings". */
export function tableOfIdDescription(description: unknown): string | undefined {
  return typeof description === "string" ? /^ID from table "([A-Za-z0-9_]+)"$/.exec(description)?.[1] : undefined;
}
