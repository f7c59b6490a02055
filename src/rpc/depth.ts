/**
 * Nesting depth of a JSON text, measured on the raw bytes before parsing, so a hostile frame of a
 * million brackets never reaches JSON.parse or, later, a recursive JSON.stringify.
 *
 * Strings are skipped with indexOf (native) rather than byte by byte: most of a request's bytes are
 * string contents, so this is the difference between ~2 ns and a fraction of that per byte. A quote
 * is escaped when an odd number of backslashes precede it.
 */
const QUOTE = 0x22, BACKSLASH = 0x5c, OPEN_BRACE = 0x7b, OPEN_BRACKET = 0x5b, CLOSE_BRACE = 0x7d, CLOSE_BRACKET = 0x5d;

export function exceedsDepth(buf: Uint8Array, maxDepth: number): boolean {
  // Deeper than maxDepth needs more than maxDepth opening bytes.
  if (buf.length <= maxDepth) return false;
  let depth = 0;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === QUOTE) {
      i = closingQuote(buf, i);
      if (i === -1) return false; // an unterminated string: JSON.parse rejects it
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** The index of the quote closing the string that opens at `open`, or -1. */
function closingQuote(buf: Uint8Array, open: number): number {
  for (let j = buf.indexOf(QUOTE, open + 1); j !== -1; j = buf.indexOf(QUOTE, j + 1)) {
    let backslashes = 0;
    for (let k = j - 1; k > open && buf[k] === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return j;
  }
  return -1;
}
