/**
 * Human output (issue 19, items 1 and 11): stored text is untrusted, so control characters are shown
 * escaped, never written to the terminal; JSON stays exact. Columns align by display width.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { escapeControls, formatTable } from "../../src/client/cli/output.js";
import { displayWidth, truncateToWidth } from "../../src/client/cli/width.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { cli } from "../helpers/cli.js";


const EVIL = "\x1b[2J\x1b]0;pwned\x07";
 
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe("control characters in stored text", () => {
  test("sessions list/show, messages tail/list, history, plans show and events tail print them escaped; --json is exact", async (t) => {
    const d = await startTestDaemon(t);
    const client = await d.client();
    await client.sessions.create({ id: "evil", title: EVIL });
    await client.messages.append({ sessionId: "evil", messages: [{ role: "assistant", content: `done ${EVIL}` }] });
    await client.history.append({ entries: [{ command: `ls ${EVIL}` }] });
    await client.plans.save({ id: "p1", title: "plan", body: `# Plan\n\nstep ${EVIL}\n\tindented\n` });
    const cases = [
      ["sessions", "list"],
      ["sessions", "show", "evil"],
      ["messages", "tail", "evil"],
      ["messages", "list", "evil"],
      ["history"],
      ["plans", "show", "p1"],
      ["events", "tail", "--from", "0", "--count", "3"],
    ];
    for (const argv of cases) {
      const r = await cli([...argv, "--socket", d.socket]);
      assert.equal(r.code, 0, `${argv.join(" ")}: ${r.err}`);
      assert.ok(!RAW_CONTROL.test(r.out), `${argv.join(" ")} wrote a raw control character: ${JSON.stringify(r.out)}`);
      if (argv[0] !== "events") assert.ok(r.out.includes("\\e[2J\\e]0;pwned\\a"), `${argv.join(" ")}: ${r.out}`);
    }
    const plan = await cli(["plans", "show", "p1", "--socket", d.socket]);
    assert.ok(plan.out.includes("\n\tindented\n"), "a body keeps its newlines and tabs");
    const json = await cli(["sessions", "show", "evil", "--json", "--socket", d.socket]);
    assert.equal((JSON.parse(json.out) as { title: string }).title, EVIL);
  });

  test("escapeControls: C0, C1, DEL and bidi overrides; keepLines keeps newline and tab", () => {
    assert.equal(escapeControls("a\x1bb\x07c\x00d\x7fe\x9bf"), "a\\eb\\ac\\x00d\\x7fe\\x9bf");
    assert.equal(escapeControls("abc\u202Edef"), "abc\\u{202e}def");
    assert.equal(escapeControls("a\nb\tc\r", true), "a\nb\tc\\r");
    assert.equal(escapeControls("a\nb"), "a\\nb");
  });
});

describe("display width", () => {
  test("CJK and emoji take two columns, combining marks none", () => {
    assert.equal(displayWidth("abc"), 3);
    assert.equal(displayWidth("日本語"), 6);
    assert.equal(displayWidth("😀"), 2);
    assert.equal(displayWidth("👍🏽"), 2);
    assert.equal(displayWidth("🇩🇪"), 2);
    assert.equal(displayWidth("e\u0301"), 1);
    assert.equal(displayWidth("👩‍👩‍👧"), 2);
  });

  test("columns line up by display width", () => {
    const rows = [{ a: "日本語", b: "x" }, { a: "ab", b: "y" }, { a: "😀😀", b: "z" }];
    const out = formatTable(rows, [{ header: "a", value: (r) => r.a }, { header: "b", value: (r) => r.b }]);
    const lines = out.trimEnd().split("\n");
    const columnOfB = lines.map((l) => displayWidth(l.slice(0, l.lastIndexOf(" ") + 1)));
    assert.deepEqual(new Set(columnOfB).size, 1, out);
  });

  test("a cut cell never splits a grapheme or a surrogate pair", () => {
    const cut = truncateToWidth("ab😀😀😀", 5);
    assert.equal(cut, "ab😀…");
    assert.ok(displayWidth(cut) <= 5);
    assert.equal(truncateToWidth("👩‍👩‍👧👩‍👩‍👧", 3), "👩‍👩‍👧…");
    const rows = [{ t: "x".repeat(3) + "😀".repeat(30) }];
    const out = formatTable(rows, [{ header: "t", value: (r) => r.t, max: 10 }]);
    assert.ok(!/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/.test(out), "no lone high surrogate");
    assert.equal(displayWidth(out.split("\n")[1]), 10);
  });
});
