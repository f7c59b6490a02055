/**
 * After a failed journal write, the health probe writes past the journal's last line, flushes and
 * cuts back. A batch the writer wrote meanwhile must not be cut off with it: it was acknowledged.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonlBackend } from "../../src/backends/jsonl/index.js";
import { journalText, openFaultyJsonl } from "../helpers/jsonl.js";

test("jsonl: a write acknowledged while the health probe waits on its flush stays in the journal", { timeout: 20_000 }, async (t) => {
  const { b, disk, dir, say } = await openFaultyJsonl(t);
  await say("before");
  disk.fail({ op: "write", path: /journal/, code: "ENOSPC", times: 1 });
  await assert.rejects(say("refused"), { code: "BACKEND_UNAVAILABLE" });
  // The journal recovers on its own (a cut back to the last line), but health still wants proof
  // that a real write fits: its probe writes 64 KiB past the last line.
  await new Promise((r) => setTimeout(r, 300));
  // Hold the next two journal flushes: the probe's own two (its first cut-back, then its write).
  // A writer that does not wait for the probe would write its batch meanwhile, and the probe's
  // final cut would take the acknowledged line back.
  let releaseProbe!: () => void;
  let releaseProbeWrite!: () => void;
  disk.holdNext("datasync", /journal\.jsonl$/, new Promise<void>((r) => (releaseProbe = r)));
  disk.holdNext("datasync", /journal\.jsonl$/, new Promise<void>((r) => (releaseProbeWrite = r)));
  const probe = b.engine.probeWrites();
  await new Promise((r) => setTimeout(r, 20)); // the probe's flush is held
  const acked = say("acknowledged during the probe");
  await new Promise((r) => setTimeout(r, 50));
  releaseProbe();
  await new Promise((r) => setTimeout(r, 50));
  releaseProbeWrite();
  assert.equal(await probe, true);
  await acked;
  const journal = journalText(dir);
  assert.ok(journal.includes("acknowledged during the probe"), "the acknowledged line is still in the journal");
  assert.ok(!journal.includes("\u0000"), "no hole in the journal");
  await b.close();
  const again = new JsonlBackend({ dataDir: dir, origin: "t", now: () => new Date() });
  await again.open();
  t.after(() => again.close());
  const items = (await again.conversations.listMessages({ sessionId: "s", limit: 10 })).items.map((m) => m.content);
  assert.deepEqual(items, ["before", "acknowledged during the probe"]);
});
