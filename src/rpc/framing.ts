/**
 * NDJSON framing: one message per line. Bytes buffered while waiting for a newline never exceed
 * `maxLineBytes`; a line that would is reported once and the splitter stops accepting input.
 */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;
const NEWLINE = 0x0a;

export class LineTooLongError extends Error {
  constructor(
    readonly limit: number,
    /** Lines that were complete in the same chunk before the oversized one; they are owed replies. */
    readonly complete: Buffer[] = [],
  ) {
    super(`line exceeds ${limit} bytes`);
  }
}

export class LineSplitter {
  private parts: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {}

  /** Complete lines in this chunk (without their newline). Throws LineTooLongError. */
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      const piece = chunk.subarray(start, nl);
      if (this.buffered + piece.length > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes, lines);
      if (this.buffered === 0) {
        lines.push(piece);
      } else {
        this.parts.push(piece);
        lines.push(Buffer.concat(this.parts, this.buffered + piece.length));
        this.parts = [];
        this.buffered = 0;
      }
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.buffered + rest.length > this.maxLineBytes) throw new LineTooLongError(this.maxLineBytes, lines);
      this.parts.push(rest);
      this.buffered += rest.length;
    }
    return lines;
  }

  get pendingBytes(): number {
    return this.buffered;
  }
}
