/**
 * Token counts with a real tokenizer: js-tiktoken (pure JS, ranks bundled in the package, nothing
 * downloaded at run time) with the o200k_base encoding (GPT-4o / GPT-4.1 / o-series). Claude's
 * tokenizer is not public; o200k_base is a stand-in that ranks compact vs verbose text the same way.
 */
import { Tiktoken } from "js-tiktoken/lite";
import o200kBase from "js-tiktoken/ranks/o200k_base";

export const TOKENIZER = "o200k_base (js-tiktoken 1.0.21)";

let encoder: Tiktoken | undefined;

export function countTokens(text: string): number {
  encoder ??= new Tiktoken(o200kBase);
  return encoder.encode(text).length;
}

export const utf8Bytes = (text: string): number => Buffer.byteLength(text, "utf8");
