/** Token counts for answer-size bounds: o200k_base via js-tiktoken (ranks bundled, nothing downloaded). */
import { Tiktoken } from "js-tiktoken/lite";
import o200kBase from "js-tiktoken/ranks/o200k_base";

let encoder: Tiktoken | undefined;
export function tokensOf(text: string): number {
  encoder ??= new Tiktoken(o200kBase);
  return encoder.encode(text).length;
}
