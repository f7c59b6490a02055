/**
 * Id → file name encoding: reversible and collision-free, so no id escapes its directory and two
 * ids never share a file. Letters, digits and '-' stay; every other byte (including '_', '.', '/',
 * ':') becomes `_XX` (two hex digits of its UTF-8 byte). `telegram:123` → `telegram_3A123`,
 * `telegram_123` → `telegram_5F123`, `../x` → `_2E_2E_2Fx`.
 *
 * File names are limited to 255 bytes; an encoding longer than 200 characters is cut to 180 and
 * suffixed with `~` and 16 hex digits of the id's sha256. Such names are not reversible from the
 * name alone, so every file also stores its id inside (meta files, front matter, …).
 *
 * Limitation: on case-insensitive file systems ids differing only in case would collide; the
 * backend checks the stored id on load and refuses to open such a directory.
 */
import { createHash } from "node:crypto";

const KEEP = /^[A-Za-z0-9-]$/;
const MAX = 200;

export function encodeId(id: string): string {
  let out = "";
  for (const byte of Buffer.from(id, "utf8")) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && KEEP.test(ch) ? ch : "_" + byte.toString(16).toUpperCase().padStart(2, "0");
  }
  if (out.length <= MAX) return out;
  return out.slice(0, 180) + "~" + createHash("sha256").update(id).digest("hex").slice(0, 16);
}

/** The id for a name produced by encodeId, or undefined for a hashed (long) name. */
export function decodeId(name: string): string | undefined {
  if (name.includes("~")) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    if (name[i] === "_") {
      bytes.push(Number.parseInt(name.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(name.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}
