/**
 * The scheduler's sense of time: the wall clock it compares slots with and the timers it waits
 * on. Injected so tests move time forward without waiting; the daemon uses the system clock.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` (never before `now() + ms` on this clock). */
  setTimer(fn: () => void, ms: number): Timer;
}

/** Node's clock. Timers are unref'd: a scheduler never keeps a process alive by itself. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};
