/** Progress on stderr: a bar redrawn in place on a TTY, else a plain counter line at most once a second. */
export interface Progress {
  update(done: number, total: number, label?: string): void;
  end(): void;
}

export function progress(what: string, stream: NodeJS.WriteStream = process.stderr, write = (t: string) => stream.write(t)): Progress {
  const tty = stream.isTTY === true;
  let last = 0;
  let drawn = false;
  let pending: [number, number] | undefined;
  const line = (done: number, total: number) => `${what}: ${done}/${total}`;
  return {
    update(done, total, label) {
      if (tty) {
        const width = 24;
        const filled = total > 0 ? Math.round((done / total) * width) : width;
        const tail = label ? ` ${label}` : "";
        const cols = stream.columns ?? 80;
        const text = `${what} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}${tail}`;
        write(`\r${text.slice(0, cols - 1).padEnd(Math.min(cols - 1, text.length))}\x1b[K`);
        drawn = true;
        return;
      }
      pending = [done, total];
      const now = Date.now();
      if (now - last >= 1000 || (done === total && total > 0)) {
        write(line(done, total) + "\n");
        last = now;
        pending = undefined;
      }
    },
    end() {
      if (tty && drawn) write("\n");
      else if (!tty && pending) write(line(...pending) + "\n");
    },
  };
}
