// A chatter's read marker as its handler keeps it: a page says `read` often (each new
// message it shows), so the marker is stored and told to the others at most once every
// chat.read_coalesce_ms, the latest one winning, and once more when the chatter leaves.

export class ReadMarker {
  private pending: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastFlushAt = 0;
  private flushing: Promise<void> = Promise.resolve();

  /** `flush` stores and publishes one marker; its failures are its own to report. */
  constructor(
    private readonly everyMs: number,
    private readonly flush: (id: string) => Promise<void>,
    private current: string | undefined,
  ) {}

  /** A new marker from the page: now, if none went out lately, else at the end of the interval. */
  set(id: string): void {
    if (id === this.current && this.pending === undefined) return; // every reconnect says it again
    this.pending = id;
    if (this.timer) return;
    const wait = Math.max(0, this.lastFlushAt + this.everyMs - Date.now());
    if (wait === 0) {
      this.now();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.now();
    }, wait);
  }

  /** Whatever is pending, out now (the chatter leaves); resolves when written. */
  close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.now();
    return this.flushing;
  }

  private now(): void {
    const id = this.pending;
    this.pending = undefined;
    if (id === undefined || id === this.current) return;
    this.current = id;
    this.lastFlushAt = Date.now();
    this.flushing = this.flushing.then(() => this.flush(id)).catch(() => undefined);
  }
}
