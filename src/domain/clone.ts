/**
 * A deep copy of stored data: plain objects, arrays, byte arrays and dates, the shapes records are
 * made of. Stores hand out and keep copies so that nobody mutates what another holds; this is what
 * `structuredClone` does for these shapes, about ten times faster (it runs on every read and write
 * of the in-process stores). Anything else (a Map, a class instance) goes to `structuredClone`.
 */
export function clone<T>(value: T): T {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map(clone) as T;
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) setOwn(out, key, clone((value as Record<string, unknown>)[key]));
    return out as T;
  }
  // A copy of the bytes, as a plain Uint8Array (as structuredClone gives for a Buffer too).
  if (value instanceof Uint8Array) return new Uint8Array(value) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  return structuredClone(value);
}

/**
 * `{ ...base, ...extra }` for records: the same own enumerable string keys in the same order, built
 * by assignment (symbol keys are left out; a setter on Object.prototype would fire). In
 * Node 20's V8, a spread followed by a property its source lacks takes a slow path that makes a new
 * hidden class for every object: 1.6 µs instead of 40 ns (measured here), on every stored message.
 * A "__proto__" key stays a plain own property, as the spread keeps it.
 */
export function extend<T extends object, E extends object>(base: T, extra: E): Omit<T, keyof E> & E {
  const out: Record<string, unknown> = {};
  for (const from of [base, extra] as Record<string, unknown>[]) {
    for (const key of Object.keys(from)) setOwn(out, key, from[key]);
  }
  return out as Omit<T, keyof E> & E;
}

/** `out[key] = value`, except that a "__proto__" key (JSON.parse makes one from user metadata) stays a plain own property. */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}
