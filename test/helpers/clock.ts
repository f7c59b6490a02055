/** A controllable clock for stores and schedulers. */
export class TestClock {
  private t: number;
  constructor(start: Date | string = "2026-03-01T12:00:00.000Z") {
    this.t = new Date(start).getTime();
  }
  readonly now = (): Date => new Date(this.t);
  set(at: Date | string): void {
    this.t = new Date(at).getTime();
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
