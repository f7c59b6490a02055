import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { DAEMON_NODE_FLAGS } from "../../src/config/node-flags.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

test("the daemon's node flags are the same in its shebang, in npm start and in CLI autostart (which uses the list itself)", () => {
  const shebang = readFileSync(`${ROOT}bin/agentstated.js`, "utf8").split("\n")[0];
  const start = (JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { scripts: Record<string, string> }).scripts.start;
  assert.ok(DAEMON_NODE_FLAGS.length > 0);
  for (const flag of DAEMON_NODE_FLAGS) {
    assert.ok(shebang.split(" ").includes(flag), `the shebang lacks ${flag}: ${shebang}`);
    assert.ok(start.split(" ").includes(flag), `npm start lacks ${flag}: ${start}`);
  }
  const semi = (s: string) => s.match(/--max-semi-space-size=\d+/g) ?? [];
  assert.deepEqual(semi(shebang), semi(DAEMON_NODE_FLAGS.join(" ")), "the shebang sets another semi-space size");
  assert.deepEqual(semi(start), semi(DAEMON_NODE_FLAGS.join(" ")), "npm start sets another semi-space size");
});
