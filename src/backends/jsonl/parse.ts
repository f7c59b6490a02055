/** Reading stored JSON: a file or line that does not parse is DATA_DAMAGED, naming where it is. */
import { dataDamaged } from "../../domain/errors.js";

export function parseStored<T>(text: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw dataDamaged(`${where} is not valid JSON (${(err as Error).message}); repair or remove it, then start again`);
  }
}
