/**
 * Configuration resolved once (SPEC §8): flags > AGENTSTATE_* env > config file > defaults, the
 * source of each value reported, bad input rejected with a message that names where it came from.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { ConfigError, redactConfig, redactUrl, resolveConfig } from "../../src/config/config.js";
import { defaultConfigFile, defaultDataDir, defaultSocketPath } from "../../src/config/paths.js";
import { tempDir } from "../helpers/tmp.js";

/** An env whose default config file lives in a fresh directory (optionally with `file` in it). */
function envWithFile(t: TestContext, file?: unknown, extra: Record<string, string> = {}) {
  const home = tempDir(t);
  const env: Record<string, string> = { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), ...extra };
  const path = join(home, "config.json");
  if (file !== undefined) {
    writeFileSync(path, typeof file === "string" ? file : JSON.stringify(file));
    env.AGENTSTATE_CONFIG = path;
  }
  return { env, path, home };
}

describe("precedence", () => {
  test("flags > env > file > defaults, with the source of every value", (t) => {
    const { env, path } = envWithFile(
      t,
      { backend: "sqlite", logLevel: "warn", socket: "/file/agentstate.sock", maxInFlight: 7, dataDir: "/file/data" },
      { AGENTSTATE_BACKEND: "redis", AGENTSTATE_LOG_LEVEL: "error", AGENTSTATE_MAX_IN_FLIGHT: "9" },
    );
    const { config, sources } = resolveConfig({ flags: { backend: "memory" }, env });
    assert.equal(config.backend, "memory");
    assert.equal(sources.backend, "flag");
    assert.equal(config.logLevel, "error");
    assert.equal(sources.logLevel, "env");
    assert.equal(config.maxInFlight, 9);
    assert.equal(sources.maxInFlight, "env");
    assert.equal(config.socket, "/file/agentstate.sock");
    assert.equal(sources.socket, "file");
    assert.equal(config.dataDir, "/file/data");
    assert.equal(sources.dataDir, "file");
    assert.equal(config.drainTimeoutMs, 10_000);
    assert.equal(sources.drainTimeoutMs, "default");
    assert.equal(config.configFile, path);
    assert.equal(sources.configFile, "env");
  });

  test("defaults with no flags, env or file", (t) => {
    const { env, home } = envWithFile(t);
    const { config, sources } = resolveConfig({ flags: {}, env });
    assert.equal(config.backend, "jsonl");
    assert.equal(config.logLevel, "info");
    assert.equal(config.autostart, true);
    assert.equal(config.maxLineBytes, 16 * 1024 * 1024);
    assert.equal(config.maxInFlight, 1024);
    assert.equal(config.requestTimeoutMs, 30_000);
    assert.equal(config.dataDir, join(home, ".local", "state", "agentstate"));
    assert.equal(config.configFile, undefined);
    assert.equal(config.url, undefined);
    for (const [key, source] of Object.entries(sources)) assert.equal(source, "default", key);
  });

  test("the default config file ($XDG_CONFIG_HOME/agentstate/config.json) is read when present", (t) => {
    const { env } = envWithFile(t);
    const path = defaultConfigFile(env);
    assert.equal(path, join(env.XDG_CONFIG_HOME, "agentstate", "config.json"));
    const dir = join(env.XDG_CONFIG_HOME, "agentstate");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, JSON.stringify({ backend: "memory" }));
    const { config, sources } = resolveConfig({ env });
    assert.equal(config.backend, "memory");
    assert.equal(sources.backend, "file");
    assert.equal(config.configFile, path);
    assert.equal(sources.configFile, "default");
  });

  test("--config beats AGENTSTATE_CONFIG; an explicit file that is missing is an error", (t) => {
    const a = envWithFile(t, { backend: "sqlite" });
    const b = envWithFile(t, { backend: "redis" });
    const { config, sources } = resolveConfig({ flags: { config: b.path }, env: a.env });
    assert.equal(config.backend, "redis");
    assert.equal(sources.configFile, "flag");
    assert.throws(() => resolveConfig({ flags: { config: join(a.home, "missing.json") }, env: a.env }), (e: unknown) =>
      e instanceof ConfigError && e.message.includes("missing.json"));
  });

  test("an empty environment variable counts as unset", (t) => {
    const { env } = envWithFile(t, { backend: "sqlite" }, { AGENTSTATE_BACKEND: "" });
    const { config, sources } = resolveConfig({ env });
    assert.equal(config.backend, "sqlite");
    assert.equal(sources.backend, "file");
  });

  test("--no-autostart and AGENTSTATE_AUTOSTART=0 turn autostart off", (t) => {
    const { env } = envWithFile(t);
    assert.equal(resolveConfig({ flags: { "no-autostart": true }, env }).config.autostart, false);
    assert.equal(resolveConfig({ flags: { "no-autostart": true }, env }).sources.autostart, "flag");
    assert.equal(resolveConfig({ env: { ...env, AGENTSTATE_AUTOSTART: "0" } }).config.autostart, false);
    assert.equal(resolveConfig({ env: { ...env, AGENTSTATE_AUTOSTART: "true" } }).config.autostart, true);
  });
});

describe("bad input is rejected, naming its source", () => {
  test("unknown keys in the file", (t) => {
    const { env, path } = envWithFile(t, { backend: "memory", sockte: "/typo.sock" });
    assert.throws(() => resolveConfig({ env }), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.ok(e.message.includes(path), e.message);
      assert.ok(e.message.includes('"sockte"'), e.message);
      return true;
    });
  });

  test("a file that is not JSON, or not an object", (t) => {
    assert.throws(() => resolveConfig({ env: envWithFile(t, "{ nope").env }), /not valid JSON/);
    assert.throws(() => resolveConfig({ env: envWithFile(t, "[1, 2]").env }), /must hold a JSON object/);
  });

  const cases: { name: string; input: (t: TestContext) => Parameters<typeof resolveConfig>[0]; where: RegExp }[] = [
    { name: 'backend "mysql" (flag)', input: (t) => ({ flags: { backend: "mysql" }, env: envWithFile(t).env }), where: /--backend.*jsonl, sqlite, postgres, redis, memory.*"mysql"/ },
    { name: 'logLevel "loud" (env)', input: (t) => ({ env: envWithFile(t, undefined, { AGENTSTATE_LOG_LEVEL: "loud" }).env }), where: /AGENTSTATE_LOG_LEVEL.*"loud"/ },
    { name: 'timezone "Mars/Olympus" (file)', input: (t) => ({ env: envWithFile(t, { timezone: "Mars/Olympus" }).env }), where: /config\.json: timezone.*"Mars\/Olympus"/ },
    { name: 'maxLineBytes "-1" (flag)', input: (t) => ({ flags: { "max-line-bytes": "-1" }, env: envWithFile(t).env }), where: /--max-line-bytes.*positive integer.*"-1"/ },
    { name: "maxLineBytes 1.5 (file)", input: (t) => ({ env: envWithFile(t, { maxLineBytes: 1.5 }).env }), where: /config\.json: maxLineBytes/ },
    { name: 'maxInFlight "ten" (env)', input: (t) => ({ env: envWithFile(t, undefined, { AGENTSTATE_MAX_IN_FLIGHT: "ten" }).env }), where: /AGENTSTATE_MAX_IN_FLIGHT.*"ten"/ },
    { name: 'autostart "maybe" (env)', input: (t) => ({ env: envWithFile(t, undefined, { AGENTSTATE_AUTOSTART: "maybe" }).env }), where: /AGENTSTATE_AUTOSTART.*"maybe"/ },
    { name: "socket 42 (file)", input: (t) => ({ env: envWithFile(t, { socket: 42 }).env }), where: /config\.json: socket must be a non-empty string/ },
  ];
  for (const c of cases) {
    test(c.name, (t) => {
      assert.throws(() => resolveConfig(c.input(t)), (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.match(e.message, c.where);
        return true;
      });
    });
  }
});

describe("secrets", () => {
  test("redactConfig hides the url password and secret query parameters", (t) => {
    const { env } = envWithFile(t);
    const { config } = resolveConfig({ flags: { url: "postgres://agent:hunter2@db.example:5432/state?sslpassword=s3cret&application_name=x" }, env });
    const shown = redactConfig(config);
    const text = JSON.stringify(shown);
    assert.ok(!text.includes("hunter2") && !text.includes("s3cret"), text);
    assert.match(shown.url ?? "", /^postgres:\/\/agent:\*\*\*@db\.example:5432\/state\?/);
    assert.match(shown.url ?? "", /application_name=x/);
    assert.equal(config.url, "postgres://agent:hunter2@db.example:5432/state?sslpassword=s3cret&application_name=x", "the original is untouched");
  });

  test("redactUrl: no password stays as is; garbage is fully hidden", () => {
    assert.equal(redactUrl("redis://localhost:6379/0"), "redis://localhost:6379/0");
    assert.equal(redactUrl("not a url with pass=word"), "***");
    assert.ok(!redactUrl("redis://:topsecret@cache:6379").includes("topsecret"));
  });
});

describe("default paths", () => {
  test("socket: $XDG_RUNTIME_DIR, else /run/agentstate for root, else /tmp/agentstate-<uid>", () => {
    assert.equal(defaultSocketPath({ XDG_RUNTIME_DIR: "/run/user/1000" }, 1000), "/run/user/1000/agentstate/agentstate.sock");
    assert.equal(defaultSocketPath({ XDG_RUNTIME_DIR: "/run/user/0" }, 0), "/run/user/0/agentstate/agentstate.sock");
    assert.equal(defaultSocketPath({}, 0), "/run/agentstate/agentstate.sock");
    assert.equal(defaultSocketPath({}, 1000), "/tmp/agentstate-1000/agentstate.sock");
    assert.equal(defaultSocketPath({ XDG_RUNTIME_DIR: "" }, 501), "/tmp/agentstate-501/agentstate.sock");
  });

  test("data dir: $STATE_DIRECTORY (systemd), else $XDG_STATE_HOME/agentstate, else ~/.local/state/agentstate", () => {
    assert.equal(defaultDataDir({ STATE_DIRECTORY: "/var/lib/agentstate:/var/lib/other", XDG_STATE_HOME: "/x" }), "/var/lib/agentstate");
    assert.equal(defaultDataDir({ XDG_STATE_HOME: "/home/a/.state" }), "/home/a/.state/agentstate");
    assert.equal(defaultDataDir({ HOME: "/home/a" }), "/home/a/.local/state/agentstate");
  });

  test("AGENTSTATE_SOCKET points the resolution at one socket", (t) => {
    const { env } = envWithFile(t, undefined, { AGENTSTATE_SOCKET: "/somewhere/a.sock", XDG_RUNTIME_DIR: "/run/user/1" });
    assert.equal(resolveConfig({ env }).config.socket, "/somewhere/a.sock");
    const bare = envWithFile(t, undefined, { XDG_RUNTIME_DIR: "/run/user/1" });
    assert.equal(resolveConfig({ env: bare.env }).config.socket, "/run/user/1/agentstate/agentstate.sock");
  });
});
