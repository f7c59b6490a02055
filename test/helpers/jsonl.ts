/**
 * A jsonl backend on a FaultyDisk in a temp directory, closed after the test, for the engine's
 * failure tests; `say` appends one user message to session "s".
 */
import type { TestContext } from "node:test";
import { cpSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { FaultyDisk } from "./faulty-disk.js";
import { tempDir } from "./tmp.js";

/** The active journal's text without the zeros preallocated after its lines (journal.ts, Preallocation). */
export function journalText(dataDir: string): string {
  return readFileSync(join(dataDir, "journal.jsonl"), "utf8").replace(/\0+$/, "");
}

/**
 * What a crash would leave of a live data directory: a copy of it now, without the lock file. A
 * second backend opened on the live directory instead would race the first one's file writes.
 */
export function crashImage(dataDir: string): string {
  const image = `${dataDir}-crashed`;
  cpSync(dataDir, image, { recursive: true });
  rmSync(join(image, "agentstate.lock"));
  return image;
}

export interface FaultyJsonl {
  b: JsonlBackend;
  disk: FaultyDisk;
  dir: string;
  say: (content: string) => Promise<unknown>;
}

export async function openFaultyJsonl(t: TestContext): Promise<FaultyJsonl> {
  const dir = join(tempDir(t), "data");
  const disk = new FaultyDisk();
  const b = new JsonlBackend({ dataDir: dir, origin: "t", now: () => new Date(), disk, log: { warn: () => {}, info: () => {} } });
  await b.open();
  t.after(() => b.close());
  const say = (content: string) => b.conversations.append({ sessionId: "s", createSession: true, messages: [{ role: "user", content }] });
  return { b, disk, dir, say };
}
