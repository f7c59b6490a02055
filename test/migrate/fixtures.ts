/** Realistic legacy trees as infer, picoclaw and relayburn write them, generated into temp dirs. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const line = (v: unknown) => JSON.stringify(v) + "\n";

export interface FixtureCounts {
  jobs: number;
  plans: number;
  history: number;
  sessions: number;
  messages: number;
  groups: number;
  turns: number;
}

/** An infer root with schedules (CRON_TZ, @every, nickname), plans, history (literal \n), v1 and v2 conversations, groups. */
export function writeInfer(root: string, opts: { conversations?: number; plans?: number } = {}): Pick<FixtureCounts, "jobs" | "plans" | "history" | "sessions" | "messages" | "groups"> {
  mkdirSync(join(root, "schedules", "runs"), { recursive: true });
  writeFileSync(join(root, "schedules", "daily-report.yaml"), [
    "id: daily-report",
    "name: Daily report",
    "description: Summarise yesterday",
    'cron_expression: "CRON_TZ=Europe/Berlin 30 8 * * 1-5"',
    "prompt: Write the daily report",
    "channel: telegram",
    'recipient_id: "12345"',
    "model: openai/gpt-4o",
    "run_once: false",
    "created_at: 2025-01-02T03:04:05.123456789Z",
    "updated_at: 2025-01-03T03:04:05.987654321+01:00",
    "last_run: 2025-02-01T07:30:00.000000001Z",
    'last_error: ""',
    "",
  ].join("\n"));
  writeFileSync(join(root, "schedules", "ping.yaml"), [
    "id: ping", "name: Ping", "cron_expression: '@every 5m'", "prompt: ping", "run_once: true",
    "created_at: 2025-01-02T03:04:05Z", "updated_at: 2025-01-02T03:04:05Z", "last_run: 2025-02-01T07:30:00Z", "",
  ].join("\n"));
  writeFileSync(join(root, "schedules", "nightly.yaml"), "id: nightly\ncron_expression: '@daily'\nprompt: tidy up\n");
  writeFileSync(join(root, "schedules", "broken.yaml"), "id: broken\ncron_expression: 'not a cron'\nprompt: x\n");
  writeFileSync(join(root, "schedules", "half-written.yaml.tmp"), "id: tmp\n");
  writeFileSync(join(root, "schedules", "runs", "daily-report.jsonl"), line({ at: "2025-02-01T07:30:00Z" }));

  const plans = opts.plans ?? 2;
  mkdirSync(join(root, "plans"), { recursive: true });
  writeFileSync(join(root, "plans", "2025-03-04-101500-fix-login.md"), "# Fix the login bug\n\n1. Reproduce\n2. Fix\r\n  trailing  \n");
  writeFileSync(join(root, "plans", "2025-03-04-101500-fix-login-2.md"), "# Fix the login bug (again)\n\nSecond try");
  for (let i = 2; i < plans; i++) writeFileSync(join(root, "plans", `2025-03-05-1${String(i).padStart(5, "0")}-plan-${i}.md`), `# Plan ${i}\n\nBody ${i}\n`);

  mkdirSync(join(root, "history"), { recursive: true });
  writeFileSync(join(root, "history", "history"), "ls -la\n\n  git status  \necho 'a'\\necho 'b'\nprintf 'x\\\\y'\n");

  mkdirSync(join(root, "conversations"), { recursive: true });
  const n = opts.conversations ?? 2;
  let messages = 0;
  // v1: metadata line, then one line with every entry.
  const v1 = {
    metadata: { id: "conv-v1", title: "Old chat", created_at: "2024-12-01T10:00:00.123456Z", updated_at: "2024-12-01T11:00:00Z", model: "gpt-4o", tags: ["old"], message_count: 3, token_stats: { total_input_tokens: 100, total_output_tokens: 50, request_count: 2 }, title_generated: true },
  };
  const v1Entries = [
    { message: { role: "user", content: "hello" }, time: "2024-12-01T10:00:00.5Z" },
    { message: { role: "assistant", content: "", tool_calls: [{ id: "t1", type: "function", function: { name: "ls", arguments: "{}" } }] }, model: "gpt-4o", time: "2024-12-01T10:00:01Z" },
    { message: { role: "tool", content: "a\nb", tool_call_id: "t1" }, time: "2024-12-01T10:00:02Z", tool_execution: { ok: true } },
  ];
  writeFileSync(join(root, "conversations", "conv-v1.jsonl"), line(v1) + line({ entries: v1Entries }));
  messages += 3;
  for (let c = 1; c < n; c++) {
    const id = `conv-v2-${c}`;
    const count = 4 + (c % 5);
    let text = "";
    for (let i = 0; i < count; i++) {
      const e = { message: { role: i % 2 ? "assistant" : "user", content: `message ${i} of ${id}` }, model: "claude", time: `2025-01-0${1 + (i % 9)}T00:00:00Z`, ...(i === 0 && c === 1 ? { hidden: true } : {}) };
      text += line(i === 0 ? { v: 2, type: "entry", index: i, entry: e } : { type: "entry", index: i, entry: e });
      if (i === 1) text += line({ type: "meta", metadata: { id, title: "early title", tags: [] } });
    }
    text += line({ type: "meta", metadata: { id, title: `Chat ${c}`, tags: ["v2"], created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-02T00:00:00Z" } });
    writeFileSync(join(root, "conversations", `${id}.jsonl`), text);
    messages += count;
  }
  writeFileSync(join(root, "conversations", "garbage.jsonl"), "this is not json\n");
  writeFileSync(join(root, "session_groups.json"), JSON.stringify({
    "telegram:42": { current_session_id: "conv-v2-1", history: ["conv-v1"], last_rollover_at: "2025-01-02T00:00:00.123456789Z", channel: "telegram" },
  }));
  return { jobs: 3, plans, history: 4, sessions: n, messages, groups: 1 };
}

/** picoclaw workspace: a legacy .json session and a .jsonl with .meta.json (key with a colon, skip lines). */
export function writePicoclaw(root: string): Pick<FixtureCounts, "sessions" | "messages"> {
  const dir = join(root, "sessions");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "cli_default.json"), JSON.stringify({
    key: "cli:default", messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "hello", reasoning_content: "think" }],
    summary: "greeting", created: "2025-01-01T00:00:00.123456789+02:00", updated: "2025-01-01T01:00:00Z",
  }));
  const msgs = [
    { role: "user", content: "one" }, { role: "assistant", content: "two" },
    { role: "user", content: "three" }, { role: "assistant", content: "four", tool_calls: [{ id: "c", type: "function", function: { name: "x", arguments: "{}" } }] },
    { role: "tool", content: "five", tool_call_id: "c" },
  ];
  writeFileSync(join(dir, "telegram_123.jsonl"), msgs.map(line).join("") + "\n");
  writeFileSync(join(dir, "telegram_123.meta.json"), JSON.stringify({ key: "telegram:123", summary: "", skip: 2, count: 5, created_at: "2025-01-01T00:00:00Z", updated_at: "2025-01-02T00:00:00Z" }, null, 2));
  writeFileSync(join(dir, "old_done.json.migrated"), "{}");
  return { sessions: 2, messages: 7 };
}

/** relayburn ledger with a duplicate line, a snake_case record and a broken line. */
export function writeRelayburn(root: string, turns = 3): Pick<FixtureCounts, "turns"> {
  mkdirSync(root, { recursive: true });
  let text = "";
  for (let i = 0; i < turns; i++) {
    text += line({ source: "claude", sessionId: `s${i % 7}`, messageId: `m${i}`, ts: `2025-01-01T00:00:${String(i % 60).padStart(2, "0")}.5+00:00`, model: "claude-sonnet", project: "/home/me/p", usage: { input: 10 + i, output: 5, cacheRead: 2 }, costUsd: 0.001, toolCalls: 1 });
  }
  text += line({ source: "claude", sessionId: "s0", messageId: "m0", ts: "2025-01-01T00:00:00Z", model: "claude-sonnet", usage: { input: 999, output: 1 } });
  text += line({ source: "codex", session_id: "x", message_id: "y", timestamp: "2025-01-02T00:00:00Z", model: "gpt-5", usage: { input_tokens: 3, output_tokens: 4, reasoning_tokens: 1 }, cost_usd: 0.5, tool_calls: [{ name: "a" }], branch: "main" });
  text += "{\"torn\": \n";
  writeFileSync(join(root, "ledger.jsonl"), text);
  return { turns: turns + 1 };
}
