/**
 * CLI conventions (SPEC §9; issue 19 items 2, 4–9): paging everywhere, local times in the job's
 * zone, exact event counts, global options anywhere, help and version, exit 2 for input rejected by
 * the CLI or the server, and error text that says what is wrong.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { RpcCallError } from "../../src/client/index.js";
import { startTestDaemon } from "../helpers/daemon.js";
import { cli } from "../helpers/cli.js";


const json = <T>(r: { out: string }): T => JSON.parse(r.out) as T;
type Page = { items: { id: string }[]; nextCursor: string | null };

describe("paging", () => {
  test("sessions, jobs and runs list take --cursor and --all, and say when more exist", async (t) => {
    const d = await startTestDaemon(t);
    const client = await d.client();
    for (const id of ["s1", "s2", "s3"]) await client.sessions.create({ id });
    for (const id of ["j1", "j2", "j3"]) await client.jobs.save({ id, schedule: { cron: "@yearly" }, action: { type: "exec", argv: ["/bin/true"] }, enabled: false });
    for (let i = 0; i < 3; i++) await client.jobs.trigger({ id: "j1" }).catch(() => undefined);
    await client.jobs.save({ id: "j4", schedule: { cron: "@yearly" }, noOverlap: false });
    for (let i = 0; i < 3; i++) await client.jobs.trigger({ id: "j4" });
    for (const [list, extra] of [[["sessions", "list"], []], [["jobs", "list"], []], [["runs", "list"], ["--job", "j4"]]] as const) {
      const first = await cli([...list, ...extra, "--limit", "2", "--socket", d.socket]);
      assert.equal(first.code, 0, first.err);
      const more = /\(more: --cursor (\S+), or --all\)\n$/.exec(first.out);
      assert.ok(more, `${list.join(" ")} says there is more: ${first.out}`);
      const second = await cli([...list, ...extra, "--limit", "2", "--cursor", more[1], "--json", "--socket", d.socket]);
      assert.equal(second.code, 0, second.err);
      const firstIds = json<Page>(await cli([...list, ...extra, "--limit", "2", "--json", "--socket", d.socket])).items.map((i) => i.id);
      const all = json<Page>(await cli([...list, ...extra, "--all", "--limit", "1", "--json", "--socket", d.socket]));
      assert.equal(all.nextCursor, null);
      assert.deepEqual(all.items.map((i) => i.id), [...firstIds, ...json<Page>(second).items.map((i) => i.id)]);
      assert.ok(all.items.length >= 3);
      const last = await cli([...list, ...extra, "--all", "--socket", d.socket]);
      assert.ok(!last.out.includes("(more:"), last.out);
    }
  });

  test("messages tail -n beyond one page pages instead of failing", async (t) => {
    const d = await startTestDaemon(t);
    const client = await d.client();
    const messages = Array.from({ length: 1200 }, (_, i) => ({ role: "user", content: `m${i + 1}` }));
    await client.messages.append({ sessionId: "big", messages, createSession: true });
    const r = await cli(["messages", "tail", "big", "-n", "1100", "--json", "--socket", d.socket]);
    assert.equal(r.code, 0, r.err);
    const items = json<{ seq: number }[]>(r);
    assert.equal(items.length, 1100);
    assert.equal(items[0].seq, 101);
    assert.equal(items.at(-1)?.seq, 1200);
    const everything = json<unknown[]>(await cli(["messages", "tail", "big", "-n", "5000", "--json", "--socket", d.socket]));
    assert.equal(everything.length, 1200);
  });
});

describe("local times", () => {
  test("--at without an offset is read in --tz, a bare date is its midnight there, else in the default zone", async (t) => {
    const d = await startTestDaemon(t);
    const at = async (args: string[]) => {
      const r = await cli(["jobs", "add", ...args, "--exec", "--json", "--socket", d.socket, "--", "/bin/true"]);
      assert.equal(r.code, 0, r.err);
      return json<{ schedule: { at: string } }>(r).schedule.at;
    };
    assert.equal(await at(["--at", "2026-12-07T09:00", "--tz", "Europe/Berlin"]), "2026-12-07T08:00:00.000Z");
    assert.equal(await at(["--at", "2026-12-07", "--tz", "America/New_York"]), "2026-12-07T05:00:00.000Z");
    assert.equal(await at(["--at", "2026-07-07T09:00", "--tz", "Europe/Berlin"]), "2026-07-07T07:00:00.000Z");
    assert.equal(await at(["--at", "2026-12-07T09:00:00Z", "--tz", "Europe/Berlin"]), "2026-12-07T09:00:00.000Z");
    process.env.AGENTSTATE_TIMEZONE = "Asia/Tokyo";
    t.after(() => delete process.env.AGENTSTATE_TIMEZONE);
    assert.equal(await at(["--at", "2026-12-07T09:00"]), "2026-12-07T00:00:00.000Z");
    const gap = await cli(["jobs", "add", "--at", "2026-03-29T02:30", "--tz", "Europe/Berlin", "--socket", d.socket]);
    assert.equal(gap.code, 2);
    assert.match(gap.err, /does not exist in Europe\/Berlin/);
  });
});

describe("events tail", () => {
  test("--from 0 --count 2 prints exactly two events", async (t) => {
    const d = await startTestDaemon(t);
    const client = await d.client();
    for (let i = 0; i < 20; i++) await client.sessions.create({ id: `e${i}` });
    for (const extra of [[], ["--json"]]) {
      const r = await cli(["events", "tail", "--from", "0", "--count", "2", ...extra, "--socket", d.socket]);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out.trimEnd().split("\n").length, 2, r.out);
    }
  });
});

describe("global options, help, version", () => {
  test("global options anywhere on the line", async (t) => {
    const d = await startTestDaemon(t);
    await (await d.client()).sessions.create({ id: "g" });
    for (const argv of [
      ["--json", "sessions", "list", "--socket", d.socket],
      ["--socket", d.socket, "--json", "sessions", "list"],
      ["sessions", "--json", "list", `--socket=${d.socket}`],
      ["--no-autostart", "--socket", d.socket, "sessions", "list", "--json"],
    ]) {
      const r = await cli(argv);
      assert.equal(r.code, 0, `${argv.join(" ")}: ${r.err}`);
      assert.deepEqual(json<Page>(r).items.map((s) => s.id), ["g"]);
    }
  });

  test("--version, help, help <command>, help <domain>, --help on a command", async () => {
    const v = await cli(["--version"]);
    assert.equal(v.code, 0);
    assert.match(v.out, /^agentstate \d+\.\d+\.\d+/);
    const h = await cli(["help"]);
    assert.equal(h.code, 0);
    assert.match(h.out, /usage: agentstate <command>/);
    assert.match(h.out, /\bstatus\b[\s\S]*\bstop\b[\s\S]*\brestart\b/);
    assert.match(h.out, /\bcall\b/);
    const one = await cli(["help", "runs", "claim"]);
    assert.equal(one.code, 0);
    assert.match(one.out, /^usage: agentstate runs claim/);
    const domain = await cli(["help", "jobs"]);
    assert.match(domain.out, /agentstate jobs add[\s\S]*agentstate jobs list/);
    const flag = await cli(["--help", "jobs", "add"]);
    assert.match(flag.out, /^usage: agentstate jobs add/);
    const bad = await cli(["help", "frob"]);
    assert.equal(bad.code, 2);
  });
});

describe("exit codes", () => {
  test("input the server rejects exits 2, like input the CLI rejects", async (t) => {
    const d = await startTestDaemon(t);
    const cron = await cli(["jobs", "add", "--cron", "61 * * * *", "--socket", d.socket]);
    assert.equal(cron.code, 2, cron.err);
    const zone = await cli(["jobs", "add", "--cron", "@daily", "--tz", "Mars/Olympus", "--socket", d.socket]);
    assert.equal(zone.code, 2, zone.err);
    assert.match(zone.err, /not a known IANA time zone/);
    const limit = await cli(["call", "sessions.list", '{"limit":0}', "--socket", d.socket]);
    assert.equal(limit.code, 2, limit.err);
    const method = await cli(["call", "sessions.nope", "--socket", d.socket]);
    assert.equal(method.code, 2);
    const notFound = await cli(["sessions", "show", "missing", "--socket", d.socket]);
    assert.equal(notFound.code, 1, "a missing record is a failure, not a usage error");
  });

  test("extra words and --env without = are rejected (exit 2) before anything connects", async (t) => {
    const d = await startTestDaemon(t);
    const extra = await cli(["sessions", "list", "extra", "--socket", d.socket]);
    assert.equal(extra.code, 2);
    assert.match(extra.err, /unexpected argument "extra"/);
    const env = await cli(["jobs", "add", "--every", "1h", "--exec", "--env", "FOO", "--socket", d.socket, "--", "/bin/true"]);
    assert.equal(env.code, 2);
    assert.match(env.err, /--env takes NAME=VALUE/);
    const stray = await cli(["jobs", "add", "--every", "1h", "--env", "FOO=1", "--socket", d.socket]);
    assert.equal(stray.code, 2, "an exec option without --exec is not dropped silently");
    assert.match(stray.err, /--env belongs to an exec job/);
    const jobs = await (await d.client()).jobs.list({});
    assert.equal(jobs.items.length, 0);
  });
});

describe("error text", () => {
  test("a bad id says what an id may hold; issues are in RpcCallError.message; Method not found names the method", async (t) => {
    const d = await startTestDaemon(t);
    const r = await cli(["sessions", "show", "a\nb", "--socket", d.socket]);
    assert.equal(r.code, 2);
    assert.match(r.err, /\/id: must be 1–256 UTF-8 bytes with no control characters/);
    assert.ok(!r.err.includes("agentstate-id"), r.err);
    const client = await d.client();
    const err = await client.sessions.list({ limit: 0 }).catch((e: unknown) => e);
    assert.ok(err instanceof RpcCallError);
    assert.match(err.message, /^Invalid params: \/limit: /);
    assert.equal(err.serverMessage, "Invalid params");
    const missing = await client.call("sessions.nope" as never, {} as never).catch((e: unknown) => e);
    assert.ok(missing instanceof RpcCallError);
    assert.equal(missing.message, "Method not found: sessions.nope");
  });

  test("a bad cron is printed once", async (t) => {
    const d = await startTestDaemon(t);
    const r = await cli(["jobs", "add", "--cron", "61 * * * *", "--socket", d.socket]);
    assert.equal(r.err.match(/Invalid value for minute/g)?.length, 1, r.err);
  });
});

describe("call", () => {
  test("call <method> [json] prints the result as JSON", async (t) => {
    const d = await startTestDaemon(t);
    const created = await cli(["call", "sessions.create", '{"id":"c1","title":"via call"}', "--socket", d.socket]);
    assert.equal(created.code, 0, created.err);
    assert.equal(json<{ id: string }>(created).id, "c1");
    const ping = await cli(["call", "daemon.ping", "--socket", d.socket]);
    assert.equal(ping.out, '"pong"\n');
    const bad = await cli(["call", "sessions.get", "{nope", "--socket", d.socket]);
    assert.equal(bad.code, 2);
  });
});

describe("write verbs", () => {
  test("sessions create/truncate/fork, messages append, history add, plans save, ledger query", async (t) => {
    const d = await startTestDaemon(t);
    const s = d.socket;
    assert.equal((await cli(["sessions", "create", "--id", "w1", "--title", "T", "--tag", "a", "--socket", s])).code, 0);
    for (const text of ["one", "two", "three"]) assert.equal((await cli(["messages", "append", "w1", text, "--socket", s])).code, 0);
    const appended = await cli(["messages", "append", "w1", "--message", '{"role":"tool","content":"x","toolCallId":"t1"}', "--json", "--socket", s]);
    assert.deepEqual(json(appended), { firstSeq: 4, lastSeq: 4 });
    const fork = await cli(["sessions", "fork", "w1", "--new-id", "w2", "--upto", "2", "--json", "--socket", s]);
    assert.equal(json<{ messageCount: number }>(fork).messageCount, 2);
    const trunc = await cli(["sessions", "truncate", "w1", "--keep-last", "1", "--json", "--socket", s]);
    assert.equal(json<{ messageCount: number }>(trunc).messageCount, 1);
    const hist = await cli(["history", "add", "make test", "--exit", "0", "--socket", s]);
    assert.equal(hist.code, 0, hist.err);
    assert.match((await cli(["history", "--socket", s])).out, /make test/);
    const plan = await cli(["plans", "save", "--title", "Ship it", "--body", "# Ship\n", "--json", "--socket", s]);
    assert.equal(plan.code, 0, plan.err);
    const q = await cli(["ledger", "query", "--json", "--socket", s]);
    assert.equal(q.code, 0, q.err);
    assert.deepEqual(json(q), { items: [], nextCursor: null });
  });
});

describe("plans edit", () => {
  test("runs $EDITOR on the body and saves it only when changed", async (t) => {
    const d = await startTestDaemon(t);
    const client = await d.client();
    await client.plans.save({ id: "pe", title: "Edit me", body: "# Plan\n\nold step\n" });
    const saved = { VISUAL: process.env.VISUAL, EDITOR: process.env.EDITOR };
    t.after(() => {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    });
    delete process.env.VISUAL;
    process.env.EDITOR = "sed -i s/old/new/";
    const r = await cli(["plans", "edit", "pe", "--socket", d.socket]);
    assert.equal(r.code, 0, r.err);
    assert.equal((await client.plans.get({ id: "pe" })).body, "# Plan\n\nnew step\n");
    process.env.EDITOR = "true";
    const same = await cli(["plans", "edit", "pe", "--socket", d.socket]);
    assert.equal(same.code, 0);
    assert.match(same.err, /unchanged/);
    assert.equal((await client.plans.get({ id: "pe" })).version, 2);
  });
});
