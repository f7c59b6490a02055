/**
 * A set of 16-hex-digit keys (the ledger's idHash) that costs ~8 bytes per key, so a million stored
 * turns hold ~8 MB (up to ~12 MB between growths) instead of the ~60+ MB of a Set of strings
 * (a string of 16 characters is ~32 bytes on the heap plus ~20–30 bytes of hash-table entry).
 *
 * Most keys live in `sorted`, a BigUint64Array kept in ascending order (binary search, ~20 steps at
 * a million keys). New keys go into `recent`, a small Set of strings, and are merged into `sorted`
 * once it holds RECENT_MAX of them: the merge walks both from the end into spare capacity, so it
 * needs no second array unless the capacity grows (by half, amortized). `recent` stays bounded
 * (~1 MB), and the merges cost O(n) per RECENT_MAX inserts (about 120 merges, 0.1–0.3 s in all,
 * over a million inserts).
 */
const RECENT_MAX = 8192;

const toBig = (hex: string): bigint => BigInt("0x" + hex);

export class KeySet {
  private sorted: BigUint64Array = new BigUint64Array(0);
  private length = 0;
  private recent = new Set<string>();

  get size(): number {
    return this.length + this.recent.size;
  }

  /**
   * Replaces the content with the first `count` keys of `keys`, taking the array over (its spare
   * length becomes capacity). Returns how many of them repeated another.
   */
  load(keys: BigUint64Array, count: number): number {
    keys.subarray(0, count).sort();
    let n = 0;
    for (let i = 0; i < count; i++) if (n === 0 || keys[i] !== keys[n - 1]) keys[n++] = keys[i];
    this.sorted = keys;
    this.length = n;
    this.recent.clear();
    return count - n;
  }

  has(key: string): boolean {
    return this.recent.has(key) || this.inSorted(toBig(key));
  }

  add(key: string): void {
    if (this.has(key)) return;
    this.recent.add(key);
    if (this.recent.size >= RECENT_MAX) this.merge();
  }

  private inSorted(k: bigint): boolean {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.sorted[mid];
      if (v === k) return true;
      if (v < k) lo = mid + 1;
      else hi = mid;
    }
    return false;
  }

  private merge(): void {
    const add = BigUint64Array.from([...this.recent], toBig).sort();
    this.recent.clear();
    const total = this.length + add.length;
    if (total > this.sorted.length) {
      const grown = new BigUint64Array(Math.max(total, Math.ceil(this.sorted.length * 1.5), 1024));
      grown.set(this.sorted.subarray(0, this.length));
      this.sorted = grown;
    }
    const s = this.sorted;
    let i = this.length - 1;
    let j = add.length - 1;
    for (let w = total - 1; j >= 0; w--) s[w] = i >= 0 && s[i] > add[j] ? s[i--] : add[j--];
    this.length = total;
  }
}
