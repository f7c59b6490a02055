/**
 * R3 fuzz material: a seeded generator of malformed frames, and an oracle that says, from the
 * protocol rules alone (docs/protocol.md), what the daemon owes for each line. The oracle never
 * looks at the daemon's code: where the two disagree, one of them is wrong and the test says which
 * frame did it, with the seed that reproduces it.
 */
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler";
import type { TSchema } from "@sinclair/typebox";
import { allMethods } from "../../src/domain/methods.js";

// ---------------------------------------------------------------------------------------------
// Randomness

/** mulberry32: tiny, fast, and the same sequence for the same seed on every machine. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)],
    chance: (p: number) => next() < p,
    bytes: (n: number) => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
  };
}

export interface Rng {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
  bytes(n: number): Buffer;
}

// ---------------------------------------------------------------------------------------------
// The oracle

export type RpcId = string | number | null;
/** What one request (or batch element) is owed: nothing, or a reply with this id and one of these codes. */
export interface Owed {
  id: RpcId;
  /** Allowed error codes; "handler" means the params passed the schema and the method ran (a result or an application error). */
  codes: readonly number[] | "handler";
}
export type LineExpectation = { kind: "single"; owed: Owed } | { kind: "batch"; owed: Owed[] };

const MAX_DEPTH = 256;
const MAX_BATCH = 1000;
const decoder = new TextDecoder("utf-8", { fatal: true });

const checks = new Map<string, TypeCheck<TSchema>>(allMethods.map((m) => [m.name, TypeCompiler.Compile(m.params)]));

/** Nesting depth of a JSON text outside strings (written independently of src/rpc/depth.ts). */
function rawDepth(buf: Uint8Array): number {
  let depth = 0, max = 0, inString = false, escaped = false;
  for (const c of buf) {
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

const isValidId = (id: unknown): id is RpcId =>
  id === null || typeof id === "string" || (typeof id === "number" && Number.isFinite(id));

/** Whether `params` pass `method`'s schema (true/false), or undefined for an unknown method. */
export const paramsValid = (method: string, params: unknown): boolean | undefined => checks.get(method)?.Check(params);

function owedFor(message: unknown): Owed | undefined {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return { id: null, codes: [-32600] };
  const req = message as Record<string, unknown>;
  const hasId = Object.hasOwn(req, "id");
  const id = hasId && isValidId(req.id) ? req.id : null;
  if (req.jsonrpc !== "2.0" || typeof req.method !== "string") return { id, codes: [-32600] };
  if (hasId && !isValidId(req.id)) return { id: null, codes: [-32600] };
  const params = req.params;
  if (params !== undefined && (typeof params !== "object" || params === null)) return { id, codes: [-32600] };
  if (!hasId) return undefined; // a well-formed notification: it runs, nothing is sent back
  const valid = checks.has(req.method) ? !Array.isArray(params) && checks.get(req.method)?.Check(params ?? {}) : undefined;
  if (valid === undefined) return { id, codes: [-32601] };
  return valid ? { id, codes: "handler" } : { id, codes: [-32602] };
}

/** What the daemon owes for one line (without its newline), or undefined when nothing. */
export function expectLine(raw: Buffer): LineExpectation | undefined {
  const line = raw.length > 0 && raw[raw.length - 1] === 0x0d ? raw.subarray(0, raw.length - 1) : raw;
  if (line.length === 0) return undefined;
  let text: string;
  try {
    text = decoder.decode(line);
  } catch {
    return { kind: "single", owed: { id: null, codes: [-32700] } };
  }
  if (rawDepth(line) > MAX_DEPTH) return { kind: "single", owed: { id: null, codes: [-32600] } };
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { kind: "single", owed: { id: null, codes: [-32700] } };
  }
  if (Array.isArray(message)) {
    if (message.length === 0 || message.length > MAX_BATCH) return { kind: "single", owed: { id: null, codes: [-32600] } };
    const owed = message.map(owedFor).filter((o): o is Owed => o !== undefined);
    return owed.length === 0 ? undefined : { kind: "batch", owed };
  }
  const owed = owedFor(message);
  return owed === undefined ? undefined : { kind: "single", owed };
}

/** Splits bytes into lines exactly as the framing does (every frame here ends with a newline). */
export function linesOf(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(0x0a); nl !== -1; nl = bytes.indexOf(0x0a, start)) {
    out.push(bytes.subarray(start, nl));
    start = nl + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conformance of one reply object

const STANDARD = new Set([-32700, -32600, -32601, -32602]);
export const allowedCode = (code: unknown): boolean =>
  typeof code === "number" && (STANDARD.has(code) || (Number.isInteger(code) && code <= -32000 && code >= -32099));

/** Problems with one reply object (a single reply or one batch element); empty when it conforms. */
export function replyProblems(reply: unknown): string[] {
  const p: string[] = [];
  if (typeof reply !== "object" || reply === null || Array.isArray(reply)) return ["reply is not an object"];
  const r = reply as Record<string, unknown>;
  if (r.jsonrpc !== "2.0") p.push('jsonrpc is not "2.0"');
  if (!Object.hasOwn(r, "id") || !isValidId(r.id)) p.push("id missing or of a wrong type");
  if (Object.hasOwn(r, "result") === Object.hasOwn(r, "error")) p.push("needs exactly one of result and error");
  if (Object.hasOwn(r, "error")) {
    const e = r.error as Record<string, unknown> | null;
    if (typeof e !== "object" || e === null) return [...p, "error is not an object"];
    if (e.code === -32603) p.push("internal error (-32603) on malformed input");
    else if (!allowedCode(e.code)) p.push(`error.code ${String(e.code)} not in the allowed set`);
    if (typeof e.message !== "string") p.push("error.message is not a string");
    const data = e.data as Record<string, unknown> | undefined;
    if (typeof data !== "object" || data === null || typeof data.code !== "string") p.push("error.data.code missing");
    else if (e.code === -32602 && !Array.isArray(data.issues)) p.push("-32602 without data.issues");
    if (/\n\s+at |node_modules|\.js:\d+/.test(JSON.stringify(e))) p.push("error leaks a stack or a file path");
  }
  return p;
}

/** Whether a conforming reply object satisfies what was owed (the id is matched by the caller). */
export function satisfies(reply: Record<string, unknown>, owed: Owed): boolean {
  const error = reply.error as { code: number } | undefined;
  if (owed.codes === "handler") return error === undefined || error.code === -32602 || (error.code <= -32000 && error.code >= -32099);
  return error !== undefined && owed.codes.includes(error.code);
}

// ---------------------------------------------------------------------------------------------
// Valid values from a schema, and their mutations (wrong type, missing required, unknown field)

type Schema = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  anyOf?: Schema[];
  allOf?: Schema[];
  items?: Schema;
  format?: string;
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  minLength?: number;
};

/** A value of `s`, with every optional property present so each one gets mutated. */
export function sample(s: Schema, tag: string): unknown {
  if (Object.hasOwn(s, "const")) return s.const;
  if (s.anyOf) return sample(s.anyOf.find((x) => x.type !== "null") ?? s.anyOf[0] ?? {}, tag);
  if (s.allOf) return Object.assign({}, ...s.allOf.map((x) => sample(x, tag)));
  switch (s.type) {
    case "string":
      if (s.format === "date-time") return "2030-01-02T03:04:05.000Z";
      return s.format === "agentstate-id" ? `fz-${tag}` : "x".repeat(Math.max(1, s.minLength ?? 1));
    case "integer":
    case "number":
      return Math.min(Math.max(1, s.minimum ?? 1), s.maximum ?? 1);
    case "boolean":
      return true;
    case "null":
      return null;
    case "array":
      return Array.from({ length: Math.max(1, s.minItems ?? 1) }, () => sample(s.items ?? {}, tag));
    case "object": {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(s.properties ?? {})) out[k] = sample(v, tag);
      return out;
    }
    default:
      return {}; // Unknown: any JSON
  }
}

const WRONG: readonly unknown[] = [
  123, -1, 0, 1.5, 2 ** 53 + 2, -1e300, "str", "", "\u0000ctl", "x".repeat(300), "\ud800", "2030-13-45T99:99:99Z",
  true, false, null, [], [1, "a"], {}, { a: 1 }, [[[]]], { $ref: "#" },
];

/** Legal but awkward values: what passes a field's schema reaches a handler and a backend. */
const EDGE: readonly unknown[] = [
  "\ud800", "\udfff", "..", ".", "../../etc/passwd", "/abs/path", "a/../../b", "'; DROP TABLE sessions; --", '" OR 1=1 --', "$1", "?",
  "\r\nFLUSHALL\r\n", "*1\r\n$8\r\nFLUSHALL\r\n", "\u202e\u0301", "🦀".repeat(64), "é".repeat(128), "x".repeat(100_000),
  2 ** 53 - 1, 0, 1e308, -1e308, 0.5, "1970-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "0000-01-01T00:00:00Z",
];

export interface Mutation {
  method: string;
  label: string;
  params: unknown;
  /** Passes the method's schema anyway (a field typed as free-form JSON): the handler runs. */
  schemaValid: boolean;
}

/** For each method: each field (nested too) set to a wrong type, each required field dropped, an unknown field added. */
export function mutations(r: Rng): Mutation[] {
  const out: Mutation[] = [];
  for (const def of allMethods) {
    const schema = def.params as unknown as Schema;
    const base = sample(schema, def.name.replace(/\W/g, "-"));
    const add = (label: string, params: unknown) => {
      // migrate.legacy with valid params would import the host's real legacy files.
      const schemaValid = paramsValid(def.name, params) === true;
      if (!(schemaValid && def.name === "migrate.legacy")) out.push({ method: def.name, label, params, schemaValid });
    };
    const walk = (s: Schema, value: unknown, path: (string | number)[]) => {
      const set = (v: unknown, drop = false) => setAt(base, path, v, drop);
      if (path.length > 0) {
        // Try wrong values until one fails the schema; if none does, the field takes any JSON.
        const order = [...WRONG].sort(() => r.next() - 0.5);
        const wrong = order.find((w) => paramsValid(def.name, set(w)) === false) ?? order[0];
        add(`${path.join("/")}=${JSON.stringify(wrong)}`, set(wrong));
        for (const edge of EDGE) if (paramsValid(def.name, set(edge)) === true) add(`${path.join("/")}=${JSON.stringify(edge).slice(0, 40)} (legal)`, set(edge));
      } else {
        add("all fields (legal)", base);
      }
      const eff = s.anyOf?.find((x) => x.type !== "null") ?? s;
      if (eff.type === "object" && value !== null && typeof value === "object" && !Array.isArray(value)) {
        for (const [k, sub] of Object.entries(eff.properties ?? {})) {
          walk(sub, (value as Record<string, unknown>)[k], [...path, k]);
          if (eff.required?.includes(k)) add(`${[...path, k].join("/")} dropped`, setAt(base, [...path, k], undefined, true));
        }
        add(`${path.join("/") || "params"} +unknown`, setAt(base, [...path, "zzUnknownField"], r.pick(WRONG)));
      } else if (eff.type === "array" && Array.isArray(value) && value.length > 0 && eff.items) {
        walk(eff.items, value[0], [...path, 0]);
      } else if (eff.allOf && value !== null && typeof value === "object") {
        for (const part of eff.allOf) {
          for (const [k, sub] of Object.entries(part.properties ?? {})) {
            walk(sub, (value as Record<string, unknown>)[k], [...path, k]);
            if (part.required?.includes(k)) add(`${[...path, k].join("/")} dropped`, setAt(base, [...path, k], undefined, true));
          }
        }
      }
    };
    walk(schema, base, []);
  }
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown, drop = false): unknown {
  const copy = structuredClone(root);
  if (path.length === 0) return value;
  let cur = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (drop) delete cur[last];
  else cur[last] = value;
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Frames

export interface Frame {
  kind: string;
  label: string;
  bytes: Buffer;
}

/** Ids unique within a connection, in every legal shape (numbers, odd unicode, lone surrogates). */
export class Ids {
  private n = 0;
  constructor(private readonly conn: number, private readonly r: Rng) {}
  next(): string | number {
    const n = ++this.n;
    switch (this.r.int(0, 5)) {
      case 0: return this.conn * 1_000_000 + n;
      case 1: return -(this.conn * 1_000_000 + n) - 0.5;
      case 2: return `c${this.conn}-${n}-\u202e🦀\u0301`;
      case 3: return `c${this.conn}-${n}-\ud800`;
      case 4: return `c${this.conn}-${n}-../../etc/passwd`;
      default: return `c${this.conn}-${n}`;
    }
  }
}

const line = (v: unknown) => Buffer.from(JSON.stringify(v) + "\n");
const INVALID_UTF8 = [
  [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xff], [0xfe],
  [0x80], [0xbf, 0xbf], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xf4, 0x90, 0x80, 0x80], [0xc1, 0xbf],
].map((b) => Buffer.from(b));

export class FrameMaker {
  /** `mi`: where this connection starts in the mutation list, so that together the connections send every one. */
  constructor(private readonly r: Rng, private readonly ids: Ids, private readonly muts: readonly Mutation[], private mi = 0) {}

  request(method: string, params?: unknown, id: RpcId | undefined = this.ids.next()): Record<string, unknown> {
    const m: Record<string, unknown> = { jsonrpc: "2.0", method };
    if (params !== undefined) m.params = params;
    if (id !== undefined) m.id = id;
    return m;
  }

  valid(): Record<string, unknown> {
    const r = this.r;
    return r.pick([
      () => this.request("daemon.ping"),
      () => this.request("daemon.version"),
      () => this.request("sessions.get", { id: `missing-${r.int(0, 1e6)}` }),
      () => this.request("sessions.list", { limit: r.int(1, 5) }),
      () => this.request("groups.list", {}),
    ])();
  }

  mutation(forced?: Mutation): Frame {
    const m = forced ?? this.r.pick(this.muts);
    const notify = this.r.chance(0.05);
    return { kind: "mutation", label: `${m.method}: ${m.label}${notify ? " (notification)" : ""}`, bytes: line(this.request(m.method, m.params, notify ? undefined : this.ids.next())) };
  }

  randomBytes(): Frame {
    const b = this.r.bytes(this.r.int(1, 2000));
    return { kind: "random", label: `${b.length} random bytes`, bytes: Buffer.concat([b, Buffer.from("\n")]) };
  }

  invalidUtf8(): Frame {
    const bad = this.r.pick(INVALID_UTF8);
    const text = JSON.stringify(this.request("sessions.create", { title: "AAAA" }));
    const at = this.r.chance(0.7) ? text.indexOf("AAAA") + 2 : this.r.int(0, text.length);
    const bytes = Buffer.concat([Buffer.from(text.slice(0, at)), bad, Buffer.from(text.slice(at)), Buffer.from("\n")]);
    return { kind: "utf8", label: `invalid UTF-8 ${bad.toString("hex")} at ${at}`, bytes };
  }

  deep(): Frame {
    const r = this.r;
    const d = r.pick([255, 256, 257, 300, 1000, 10_000, 50_000, 200_000]);
    const shapes: Record<string, () => string> = {
      open: () => "[".repeat(d),
      balanced: () => "[".repeat(d) + "]".repeat(d),
      objects: () => '{"a":'.repeat(d) + "1" + "}".repeat(d),
      inParams: () => `{"jsonrpc":"2.0","id":${JSON.stringify(this.ids.next())},"method":"sessions.create","params":{"metadata":{"m":${"[".repeat(d)}${"]".repeat(d)}}}}`,
      inString: () => JSON.stringify(this.request("sessions.get", { id: "[{".repeat(d) + '\\"]' })),
      closeFirst: () => "]".repeat(d) + "[".repeat(Math.min(d, 200)),
    };
    const shape = r.pick(Object.keys(shapes));
    return { kind: "deep", label: `${shape} depth ${d}`, bytes: Buffer.from((shapes[shape])() + "\n") };
  }

  huge(): Frame {
    const r = this.r;
    const n = r.int(1_000_000, 3_000_000); // at most 3.75 MB once encoded: inside the 4 MiB limit
    const s = r.chance(0.5) ? "h".repeat(n) : "é🦀\\\"".repeat(Math.floor(n / 8));
    const shapes: Record<string, () => unknown> = {
      method: () => this.request(s),
      id: () => this.request("daemon.ping", undefined, s),
      idParam: () => this.request("sessions.get", { id: s }),
      wrongType: () => this.request("sessions.list", { limit: s }),
      unknownField: () => this.request("groups.list", { [s.slice(0, 1000)]: s }),
      notification: () => this.request("sessions.get", { id: s }, undefined),
      notRequest: () => ({ jsonrpc: "2.0", id: this.ids.next(), method: 5, params: s }),
      rawString: () => s,
    };
    const shape = r.pick(Object.keys(shapes));
    return { kind: "huge", label: `${n}-char string as ${shape}`, bytes: line((shapes[shape])()) };
  }

  notRequest(): Frame {
    const r = this.r;
    const id = () => this.ids.next();
    const values: Array<() => unknown> = [
      () => 1, () => -0, () => "2.0", () => null, () => true, () => ({}), () => [1], () => [null, 2, "x"], () => [[]],
      () => ({ jsonrpc: "2.0" }), () => ({ jsonrpc: "2.0", id: id() }), () => ({ method: "daemon.ping", id: id() }),
      () => ({ jsonrpc: "1.0", method: "daemon.ping", id: id() }), () => ({ jsonrpc: 2.0, method: "daemon.ping", id: id() }),
      () => ({ jsonrpc: "2.0", method: 1, id: id() }), () => ({ jsonrpc: "2.0", method: null, id: id() }),
      () => ({ jsonrpc: "2.0", method: ["daemon.ping"], id: id() }),
      () => ({ jsonrpc: "2.0", method: "daemon.ping", id: {} }), () => ({ jsonrpc: "2.0", method: "daemon.ping", id: [1] }),
      () => ({ jsonrpc: "2.0", method: "daemon.ping", id: true }), () => ({ jsonrpc: "2.0", method: "daemon.ping", id: null }),
      () => ({ jsonrpc: "2.0", method: "daemon.ping", id: id(), params: "bar" }),
      () => ({ jsonrpc: "2.0", method: "daemon.ping", id: id(), params: null }),
      () => ({ jsonrpc: "2.0", method: "daemon.ping", id: id(), params: 7 }),
      () => ({ jsonrpc: "2.0", method: "daemon.ping", id: id(), params: [1, 2] }),
      () => ({ jsonrpc: "2.0", method: "sessions.get", id: id(), params: ["s1"] }),
      () => ({ jsonrpc: "2.0", method: "daemon.ping", params: "bar" }),
      () => ({ jsonrpc: "2.0", method: r.pick(["__proto__", "toString", "constructor", "hasOwnProperty", "rpc.", "", ".", "sessions", "sessions.", "daemon.ping ", "DAEMON.PING", "daemon\u0000ping"]), id: id() }),
      () => ({ jsonrpc: "2.0", method: "daemon.ping", id: id(), extra: { nested: [1, 2] } }),
      () => ({ jsonrpc: "2.0", result: "pong", id: id() }),
      () => ({ jsonrpc: "2.0", error: { code: 1, message: "x" }, id: id() }),
    ];
    const raws = ["1e400", '{"jsonrpc":"2.0","method":"daemon.ping","id":1e400}', '{"jsonrpc":"2.0","method":"daemon.ping","id":-1e999}',
      '{"jsonrpc":"2.0","method":"daemon.ping","id":1,"id":2,"id":@ID@}', '{"jsonrpc":"2.0","method":"daemon.ping","id":@ID@,"__proto__":{"x":1}}',
      "   ", "\t", "\r", "{", "}", "[", "]", '"', "nul", "tru", "NaN", "Infinity", "undefined", "0x10", "01", "{'a':1}", '{"a":1,}', "[1,]",
      '{"jsonrpc":"2.0","method":"daemon.ping","id":@ID@,"x":"\\ud800"}', '"\\u0000"', "\ufeff{}", "[1][2]", "{} {}", "\u2028"];
    if (r.chance(0.25)) {
      const text = r.pick(raws).replace("@ID@", () => JSON.stringify(id()));
      return { kind: "notRequest", label: `raw ${JSON.stringify(text)}`, bytes: Buffer.from(text + "\n") };
    }
    const v = r.pick(values)();
    return { kind: "notRequest", label: JSON.stringify(v)?.slice(0, 200) ?? "?", bytes: line(v) };
  }

  batch(): Frame {
    const r = this.r;
    const special = r.int(0, 19);
    if (special === 0) return { kind: "batch", label: "empty batch", bytes: Buffer.from("[]\n") };
    if (special === 1) {
      const big = Array.from({ length: r.int(1001, 1200) }, () => this.request("daemon.ping"));
      return { kind: "batch", label: `batch of ${big.length}`, bytes: line(big) };
    }
    if (special === 2) {
      const notes = Array.from({ length: r.int(1, 20) }, () => this.request("daemon.ping", undefined, undefined));
      return { kind: "batch", label: `batch of ${notes.length} notifications`, bytes: line(notes) };
    }
    const n = r.int(1, 40);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const f = r.pick([
        () => JSON.stringify(this.valid()),
        () => JSON.stringify(this.request("daemon.ping", undefined, undefined)),
        () => this.mutation().bytes.toString().trimEnd(),
        () => this.notRequestValue(),
        () => "[" + JSON.stringify(this.valid()) + "]",
        () => ((k) => "[".repeat(k) + "]".repeat(k))(r.int(1, 300)),
        () => JSON.stringify("x".repeat(r.int(0, 20_000))),
      ])();
      parts.push(f);
    }
    return { kind: "batch", label: `mixed batch of ${n}`, bytes: Buffer.from(`[${parts.join(",")}]\n`) };
  }

  private notRequestValue(): string {
    const f = this.notRequest();
    const text = f.bytes.toString("utf8").trimEnd();
    try {
      JSON.parse(text);
      return text;
    } catch {
      return "null";
    }
  }

  /** The next frame: first every method mutation once (in random order), then a weighted mix. */
  next(): Frame {
    const r = this.r;
    const x = r.next();
    if (x < 0.3) {
      const m = this.muts[this.mi++ % this.muts.length];
      return this.mutation(m);
    }
    if (x < 0.48) return this.randomBytes();
    if (x < 0.58) return this.invalidUtf8();
    if (x < 0.63) return this.deep();
    if (x < 0.633) return this.huge();
    if (x < 0.83) return this.notRequest();
    return this.batch();
  }
}
