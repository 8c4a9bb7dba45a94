import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The bundled CLI the README's commands run; `npm test` builds it first. */
export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));
