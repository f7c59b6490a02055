/**
 * AgentstateSession against a real daemon (socket, dispatcher, store) on the memory, jsonl and
 * sqlite backends. OpenAI Agents ships no conformance suite, so each case is a rule the `Session`
 * and `SessionHistoryTransactionAwareSession` interfaces of @openai/agents-core document: order,
 * limit semantics, pop on empty, clear, compaction, transactions (repeated operationId applied
 * once, reused operationId with another transaction refused, a stale expectedSuffix refused
 * without changing history).
 */
import assert from "node:assert/strict";
import { describe, test, type TestContext } from "node:test";
import { UserError, type AgentInputItem, type SessionHistoryTransactionArgs } from "@openai/agents-core";
import { AgentstateSession } from "../../src/adapters/openai-agents/index.js";
import type { BackendName } from "../../src/backends/contract.js";
import { startTestDaemon, type TestDaemon } from "../helpers/daemon.js";

const user = (text: string): AgentInputItem => ({ role: "user", content: text });
const assistant = (text: string): AgentInputItem => ({
  type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text }],
});
const call = (id: string): AgentInputItem => ({ type: "function_call", callId: id, name: "lookup", arguments: `{"q":"${id}"}` });
const result = (id: string): AgentInputItem => ({
  type: "function_call_result", callId: id, name: "lookup", status: "completed", output: { type: "text", text: `result ${id}` },
});

const append = (operationId: string, items: AgentInputItem[]): SessionHistoryTransactionArgs => ({
  operationId, transaction: { type: "append_items", items },
});
const replace = (operationId: string, expectedSuffix: AgentInputItem[], replacement: AgentInputItem[]): SessionHistoryTransactionArgs => ({
  operationId, transaction: { type: "replace_suffix", expectedSuffix, replacement },
});

const isUserError = (pattern: RegExp) => (e: unknown) => e instanceof UserError && pattern.test(e.message);

const BACKENDS: BackendName[] = ["memory", "jsonl", "sqlite"];

for (const backend of BACKENDS) {
  describe(`AgentstateSession on ${backend}`, () => {
    const daemonFor = (t: TestContext): Promise<TestDaemon> => startTestDaemon(t, { backend });
    /** A session on its own connection, closed with the test. */
    const open = (t: TestContext, d: TestDaemon, sessionId = "s1") => {
      const s = new AgentstateSession({ socket: d.socket, sessionId });
      t.after(() => s.close());
      return s;
    };

    test("a session never written reads empty; pop gives undefined; clear is harmless", async (t) => {
      const s = open(t, await daemonFor(t));
      assert.deepEqual(await s.getItems(), []);
      assert.deepEqual(await s.getItems(3), []);
      assert.equal(await s.popItem(), undefined);
      await s.clearSession();
      await s.addItems([]);
      assert.deepEqual(await s.getItems(), []);
    });

    test("getSessionId: the given id, or one generated id that stays the same", async (t) => {
      const d = await daemonFor(t);
      assert.equal(await open(t, d, "chat:42").getSessionId(), "chat:42");
      const generated = new AgentstateSession({ socket: d.socket });
      t.after(() => generated.close());
      const id = await generated.getSessionId();
      assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
      assert.equal(await generated.getSessionId(), id);
    });

    test("items come back exactly as added, oldest first, across calls and connections", async (t) => {
      const d = await daemonFor(t);
      const a = open(t, d);
      const items = [user("hi"), call("c1"), result("c1"), assistant("done"), { role: "system", content: "be brief" } as AgentInputItem];
      await a.addItems(items.slice(0, 2));
      await a.addItems(items.slice(2));
      const b = open(t, d);
      assert.deepEqual(await b.getItems(), items);
    });

    test("getItems(limit): the most recent `limit` items in chronological order", async (t) => {
      const s = open(t, await daemonFor(t));
      const items = Array.from({ length: 7 }, (_, i) => user(`m${i}`));
      await s.addItems(items);
      assert.deepEqual(await s.getItems(3), items.slice(4));
      assert.deepEqual(await s.getItems(1), items.slice(6));
      assert.deepEqual(await s.getItems(7), items);
      assert.deepEqual(await s.getItems(50), items);
      assert.deepEqual(await s.getItems(0), []);
      assert.deepEqual(await s.getItems(-2), []);
    });

    test("getItems(limit) above one page (1000) still gives the newest `limit`, in order", async (t) => {
      const s = open(t, await daemonFor(t));
      const items = Array.from({ length: 1005 }, (_, i) => user(`m${i}`));
      await s.addItems(items);
      const got = await s.getItems(1002);
      assert.equal(got.length, 1002);
      assert.deepEqual(got, items.slice(3));
      assert.equal((await s.getItems()).length, 1005);
    });

    test("popItem removes and returns the newest item until none is left", async (t) => {
      const s = open(t, await daemonFor(t));
      await s.addItems([user("a"), user("b"), user("c")]);
      assert.deepEqual(await s.popItem(), user("c"));
      assert.deepEqual(await s.getItems(), [user("a"), user("b")]);
      assert.deepEqual(await s.popItem(), user("b"));
      assert.deepEqual(await s.popItem(), user("a"));
      assert.equal(await s.popItem(), undefined);
      await s.addItems([user("d")]);
      assert.deepEqual(await s.getItems(), [user("d")]);
    });

    test("clearSession removes every item; the session id stays usable", async (t) => {
      const s = open(t, await daemonFor(t));
      await s.addItems([user("a"), assistant("b")]);
      await s.clearSession();
      assert.deepEqual(await s.getItems(), []);
      await s.addItems([user("again")]);
      assert.deepEqual(await s.getItems(), [user("again")]);
    });

    test("replaceHistoryWithCompaction: the history becomes the compaction item and what it keeps", async (t) => {
      const d = await daemonFor(t);
      const s = open(t, d);
      await s.addItems([user("a"), assistant("b"), user("c"), assistant("d")]);
      const compacted: AgentInputItem[] = [{ type: "compaction", encrypted_content: "summary-of-a-b" }, user("c"), assistant("d")];
      await s.replaceHistoryWithCompaction(compacted);
      assert.deepEqual(await s.getItems(), compacted);
      assert.deepEqual(await s.getItems(2), compacted.slice(1));
      await s.addItems([user("e")]);
      assert.deepEqual(await s.getItems(), [...compacted, user("e")]);
      const fresh = open(t, d, "never-written");
      await fresh.replaceHistoryWithCompaction(compacted);
      assert.deepEqual(await fresh.getItems(), compacted);
    });

    test("items that are not plain JSON are refused before anything is written", async (t) => {
      const s = open(t, await daemonFor(t));
      await s.addItems([user("a")]);
      const binary = { role: "user", content: new Uint8Array([1, 2]) } as unknown as AgentInputItem;
      await assert.rejects(s.addItems([user("b"), binary]), UserError);
      await assert.rejects(s.applyHistoryTransaction(append("op", [binary])), isUserError(/invalid or unsupported/));
      assert.deepEqual(await s.getItems(), [user("a")]);
    });

    test("messages written by other tools read back as items", async (t) => {
      const d = await daemonFor(t);
      const c = await d.client();
      await c.messages.append({ sessionId: "shared", createSession: true, messages: [{ role: "user", content: "from the CLI" }] });
      const s = open(t, d, "shared");
      assert.deepEqual(await s.getItems(), [{ role: "user", content: "from the CLI" }]);
    });

    describe("applyHistoryTransaction", () => {
      test("append_items appends; repeating the operationId with the same transaction applies it once", async (t) => {
        const s = open(t, await daemonFor(t));
        await s.addItems([user("q")]);
        const op = append("turn-1:blocked_append:0:2", [call("c1"), result("c1")]);
        await s.applyHistoryTransaction(op);
        await s.applyHistoryTransaction(op);
        await s.applyHistoryTransaction(structuredClone(op));
        assert.deepEqual(await s.getItems(), [user("q"), call("c1"), result("c1")]);
      });

      test("a repeated operationId is recognised from another process (a new connection)", async (t) => {
        const d = await daemonFor(t);
        const op = append("op-1", [user("x")]);
        await open(t, d).applyHistoryTransaction(op);
        await open(t, d).applyHistoryTransaction(op);
        assert.deepEqual(await open(t, d).getItems(), [user("x")]);
      });

      test("reusing an operationId with a different transaction fails and changes nothing", async (t) => {
        const s = open(t, await daemonFor(t));
        await s.applyHistoryTransaction(append("op-1", [user("x")]));
        await assert.rejects(s.applyHistoryTransaction(append("op-1", [user("y")])), isUserError(/different transaction/));
        await assert.rejects(s.applyHistoryTransaction(replace("op-1", [user("x")], [user("z")])), isUserError(/different transaction/));
        assert.deepEqual(await s.getItems(), [user("x")]);
      });

      test("replace_suffix replaces a matching suffix; a repeat applies nothing", async (t) => {
        const s = open(t, await daemonFor(t));
        await s.addItems([user("q"), assistant("blocked draft"), call("c1")]);
        const op = replace("op-2", [assistant("blocked draft"), call("c1")], [assistant("accepted")]);
        await s.applyHistoryTransaction(op);
        assert.deepEqual(await s.getItems(), [user("q"), assistant("accepted")]);
        await s.applyHistoryTransaction(op);
        assert.deepEqual(await s.getItems(), [user("q"), assistant("accepted")]);
      });

      test("replace_suffix with a stale expectedSuffix fails without changing history", async (t) => {
        const s = open(t, await daemonFor(t));
        await s.addItems([user("q"), assistant("a1")]);
        const stale = replace("op-3", [assistant("something else")], [assistant("new")]);
        await assert.rejects(s.applyHistoryTransaction(stale), isUserError(/no longer matches/));
        const tooLong = replace("op-4", [user("p"), user("q"), assistant("a1")], []);
        await assert.rejects(s.applyHistoryTransaction(tooLong), isUserError(/no longer matches/));
        assert.deepEqual(await s.getItems(), [user("q"), assistant("a1")]);
        // The failed operation left no record: the same id with a suffix that matches now applies.
        await s.applyHistoryTransaction(replace("op-3", [assistant("a1")], [assistant("new")]));
        assert.deepEqual(await s.getItems(), [user("q"), assistant("new")]);
      });

      test("replace_suffix with an empty replacement removes the suffix, once", async (t) => {
        const s = open(t, await daemonFor(t));
        await s.addItems([user("q"), assistant("a"), assistant("b")]);
        const op = replace("op-5", [assistant("b")], []);
        await s.applyHistoryTransaction(op);
        await s.applyHistoryTransaction(op);
        assert.deepEqual(await s.getItems(), [user("q"), assistant("a")]);
      });

      test("replace_suffix with an empty expectedSuffix appends, once, even to a session never written", async (t) => {
        const s = open(t, await daemonFor(t));
        const op = replace("op-6", [], [user("first")]);
        await s.applyHistoryTransaction(op);
        await s.applyHistoryTransaction(op);
        assert.deepEqual(await s.getItems(), [user("first")]);
      });

      test("a retried operation whose result later operations replaced still applies only once", async (t) => {
        const s = open(t, await daemonFor(t));
        const blocked = append("turn:blocked_append", [assistant("draft")]);
        const accepted = replace("turn:accepted_replace", [assistant("draft")], [assistant("final")]);
        await s.applyHistoryTransaction(blocked);
        await s.applyHistoryTransaction(accepted);
        await s.addItems([user("next")]);
        await s.applyHistoryTransaction(blocked);
        await s.applyHistoryTransaction(accepted);
        assert.deepEqual(await s.getItems(), [assistant("final"), user("next")]);
      });

      test("two writers replacing the same suffix under different operationIds: exactly one wins", async (t) => {
        const d = await daemonFor(t);
        const a = open(t, d);
        const b = open(t, d);
        await a.addItems([user("q"), assistant("draft")]);
        const outcomes = await Promise.allSettled([
          a.applyHistoryTransaction(replace("writer-a", [assistant("draft")], [assistant("from a")])),
          b.applyHistoryTransaction(replace("writer-b", [assistant("draft")], [assistant("from b")])),
        ]);
        const won = outcomes.filter((o) => o.status === "fulfilled");
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
        assert.equal(won.length, 1, JSON.stringify(outcomes));
        assert.ok(isUserError(/no longer matches/)(lost[0]?.reason), String(lost[0]?.reason));
        const items = await a.getItems();
        assert.equal(items.length, 2);
        assert.deepEqual(items[0], user("q"));
        assert.ok([JSON.stringify(assistant("from a")), JSON.stringify(assistant("from b"))].includes(JSON.stringify(items[1])));
      });

      test("malformed arguments are refused before anything is written", async (t) => {
        const s = open(t, await daemonFor(t));
        await s.addItems([user("q")]);
        await assert.rejects(s.applyHistoryTransaction(append("", [user("x")])), isUserError(/operationId/));
        await assert.rejects(s.applyHistoryTransaction(append("   ", [user("x")])), isUserError(/operationId/));
        const extra = { operationId: "op", transaction: { type: "append_items", items: [], extra: 1 } } as unknown as SessionHistoryTransactionArgs;
        await assert.rejects(s.applyHistoryTransaction(extra), isUserError(/fields are invalid/));
        const unknown = { operationId: "op", transaction: { type: "rewrite" } } as unknown as SessionHistoryTransactionArgs;
        await assert.rejects(s.applyHistoryTransaction(unknown), isUserError(/Unsupported/));
        assert.deepEqual(await s.getItems(), [user("q")]);
      });

      test("after clearSession an operationId is forgotten with the history", async (t) => {
        const s = open(t, await daemonFor(t));
        const op = append("op-7", [user("x")]);
        await s.applyHistoryTransaction(op);
        await s.clearSession();
        await s.applyHistoryTransaction(op);
        assert.deepEqual(await s.getItems(), [user("x")]);
      });
    });

    test("close releases only what the session opened: a given client stays open", async (t) => {
      const d = await daemonFor(t);
      const client = await d.client();
      const s = new AgentstateSession({ client, sessionId: "given" });
      await s.addItems([user("a")]);
      await s.close();
      assert.equal((await client.messages.list({ sessionId: "given" })).items.length, 1);
      assert.throws(() => new AgentstateSession({ client, socket: d.socket }), /socket or client/);
    });
  });
}
