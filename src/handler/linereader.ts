// stdin → lines, with a ceiling: a client that sends a gigabyte without a newline costs
// us at most `cap` bytes of memory, and the rest of that line is dropped.

export class LineReader {
  private parts: Buffer[] = [];
  private size = 0;
  private discarding = false;

  constructor(
    private readonly cap: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: () => void,
  ) {}

  push(chunk: Buffer): void {
    let from = 0;
    for (;;) {
      const nl = chunk.indexOf(10, from);
      if (nl === -1) break;
      if (this.discarding) {
        this.discarding = false;
      } else {
        this.parts.push(chunk.subarray(from, nl));
        const line = Buffer.concat(this.parts).toString('utf8');
        this.onLine(line);
      }
      this.parts = [];
      this.size = 0;
      from = nl + 1;
    }
    if (from < chunk.length && !this.discarding) {
      const rest = chunk.subarray(from);
      this.size += rest.length;
      if (this.size > this.cap) {
        this.parts = [];
        this.size = 0;
        this.discarding = true;
        this.onTooLong();
      } else {
        this.parts.push(Buffer.from(rest));
      }
    }
  }

  /** End of input: a last line without a newline still counts. */
  end(): void {
    if (!this.discarding && this.size > 0) this.onLine(Buffer.concat(this.parts).toString('utf8'));
    this.parts = [];
    this.size = 0;
  }
}
