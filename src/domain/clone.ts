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
    for (const key of Object.keys(value)) {
      const v = clone((value as Record<string, unknown>)[key]);
      // A "__proto__" key (JSON.parse makes one from user metadata) stays a plain property.
      if (key === "__proto__") Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[key] = v;
    }
    return out as T;
  }
  // A copy of the bytes, as a plain Uint8Array (as structuredClone gives for a Buffer too).
  if (value instanceof Uint8Array) return new Uint8Array(value) as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  return structuredClone(value);
}
