/**
 * The conformance suite is a function of a factory: describeBackend(name, factory, caps) runs every
 * case against a fresh store per test. Cases use only the contract (src/backends/contract.ts).
 * Skips happen by declared capability, with the reason printed, never by backend name.
 */
import type { TestContext } from "node:test";
import type { Backend } from "../../src/backends/contract.js";
import { TestClock } from "../helpers/clock.js";

export interface Capabilities {
  /** Data survives close() and a new open() on the same location. */
  durable: boolean;
  /** Several stores may have the same location open at once (other daemons, other hosts). */
  shared?: boolean;
  /** The factory can make the next writes' sync fail (FactoryContext.faults). */
  faults?: boolean;
}

/** Injected storage failures, for backends that declare the "faults" capability. */
export interface Faults {
  /** The next durable write's flush fails with `code` (EIO, ENOSPC), once; nothing of it may be stored. */
  failNextSync(code: "EIO" | "ENOSPC"): void;
}

export interface FactoryContext {
  /** Unique per test, safe to use in a schema name, key prefix or directory name. */
  isolationKey: string;
  now: () => Date;
  origin: string;
  /** Register cleanup to run after the test. */
  after(fn: () => Promise<void> | void): void;
  /** Set by a factory whose backend declares "faults". */
  faults?: Faults;
}

/** Opens a store on the isolated location; calling it again on the same ctx reopens that location. */
export type BackendFactory = (ctx: FactoryContext) => Promise<Backend>;

export interface Fixture {
  backend: Backend;
  clock: TestClock;
  /** Close the store and open it again on the same data (durable backends only). */
  reopen(): Promise<Backend>;
  /** A second store open on the same location at the same time ("shared" backends only), as daemon `origin` when given; closed after the test. */
  another(origin?: string): Promise<Backend>;
  /** Failure injection ("faults" backends only). */
  readonly faults: Faults;
}

export interface Suite {
  name: string;
  caps: Capabilities;
  /** A fresh, isolated store for this test, closed after it. */
  open(t: TestContext): Promise<Fixture>;
  /** Skips `t` (with the reason shown) unless the backend declares `cap`. */
  requires(t: TestContext, cap: keyof Capabilities): boolean;
}

const seen = new Set<string>();

export function makeSuite(name: string, factory: BackendFactory, caps: Capabilities): Suite {
  return {
    name,
    caps,
    requires(t, cap) {
      if (caps[cap]) return true;
      t.skip(`${name} does not declare the "${cap}" capability`);
      return false;
    },
    async open(t) {
      const key = isolationKey(name, t.name);
      const clock = new TestClock();
      const cleanups: Array<() => Promise<void> | void> = [];
      const ctx: FactoryContext = { isolationKey: key, now: clock.now, origin: `test-${process.pid}`, after: (fn) => cleanups.push(fn) };
      let backend = await factory(ctx);
      await backend.open();
      t.after(async () => {
        await backend.close();
        for (const fn of cleanups.reverse()) await fn();
      });
      const fixture: Fixture = {
        clock,
        get backend() {
          return backend;
        },
        get faults() {
          if (!caps.faults || !ctx.faults) throw new Error(`${name} does not inject faults; guard with suite.requires(t, "faults")`);
          return ctx.faults;
        },
        async another(origin?: string) {
          if (!caps.shared) throw new Error(`${name} is not shared; guard with suite.requires(t, "shared")`);
          const other = await factory(origin === undefined ? ctx : { ...ctx, origin });
          await other.open();
          cleanups.push(() => other.close());
          return other;
        },
        async reopen() {
          if (!caps.durable) throw new Error(`${name} is not durable; guard reopen checks with suite.requires(t, "durable")`);
          await backend.close();
          backend = await factory(ctx);
          await backend.open();
          return backend;
        },
      };
      return fixture;
    },
  };
}

/** A short, unique, identifier-safe key derived from the test's name; duplicates are rejected. */
function isolationKey(backend: string, testName: string): string {
  const full = `${backend}/${testName}`;
  if (seen.has(full)) throw new Error(`duplicate conformance test name: ${full}`);
  seen.add(full);
  let h = 0x811c9dc5;
  for (let i = 0; i < full.length; i++) h = Math.imul(h ^ full.charCodeAt(i), 0x01000193) >>> 0;
  const slug = testName.toLowerCase().replace(/[^a-z0-9]+/g, "_").slice(0, 30);
  return `t_${slug}_${h.toString(16)}`;
}
