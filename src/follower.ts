// Follow a growing file the way `tail -F` does (DESIGN.md section 2): keep (inode,
// offset); on every wake-up read to EOF; survive truncation (copytruncate) and rename
// (create-mode rotation) without losing or repeating a line.
//
// Wake-ups come from chokidar's unthrottled `raw` events: its `change` event drops
// changes that come within 50 ms of each other (NOTES.md). When polling, a re-check
// shortly after each wake-up covers changes inside one interval; a slow safety timer
// covers anything else.

import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

export interface FollowOptions {
  /** Byte offset to start at; default: the current end of the file. */
  offset?: number;
  /** Poll instead of inotify (network filesystems). */
  poll?: boolean;
  pollIntervalMs?: number;
  onLine: (line: string) => void;
  /** The path stopped existing (renamed away or removed) and nothing replaced it yet. */
  onMissing?: () => void;
  /** Watching fell back to polling (inotify refused): worth one line in a log. */
  onFallback?: (reason: string) => void;
}

const RECHECK_MS = 60;
// Only a backstop (inotify loses nothing): rare, because every handler pays it while idle.
const SAFETY_MS = 5000;
/** How often to look for a followed file that was renamed away, until it is back. */
const MISSING_POLL_MS = 100;
const READ_BLOCK = 64 * 1024;
/** A line longer than this without a newline is garbage: drop it rather than grow memory. */
const MAX_PARTIAL = 1024 * 1024;

export class Follower {
  private fd: number | undefined;
  private ino = -1;
  private offset = 0;
  private partial: Buffer = Buffer.alloc(0);
  private watcher: FSWatcher | undefined;
  private recheck: NodeJS.Timeout | undefined;
  private safety: NodeJS.Timeout | undefined;
  private missingPoll: NodeJS.Timeout | undefined;
  private polling: boolean;
  private onFallbackReady: (() => void) | undefined;
  private closed = false;
  private missingReported = false;
  /** The byte before `offset` is a newline we consumed ourselves. */
  private atLineEnd = false;
  private readonly name: string;
  private readonly block = Buffer.alloc(READ_BLOCK);

  constructor(
    readonly path: string,
    private readonly opts: FollowOptions,
  ) {
    this.polling = opts.poll ?? false;
    this.name = basename(path);
    this.openCurrent(opts.offset);
  }

  /** Begin watching; resolves once the watch is in place (lines written before are drained). */
  async start(): Promise<void> {
    await this.startWatcher();
    this.safety = setInterval(() => this.drain(), SAFETY_MS);
    this.safety.unref();
    this.drain();
  }

  /** Current read position in the file being followed. */
  get position(): { ino: number; offset: number } {
    return { ino: this.ino, offset: this.offset };
  }

  get isPolling(): boolean {
    return this.polling;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.recheck);
    clearInterval(this.safety);
    clearInterval(this.missingPoll);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    const w = this.watcher;
    this.watcher = undefined;
    await w?.close();
  }

  private openCurrent(offset?: number): boolean {
    try {
      const fd = openSync(this.path, 'r');
      const st = fstatSync(fd);
      this.fd = fd;
      this.ino = st.ino;
      this.offset = offset === undefined ? st.size : Math.min(offset, st.size);
      this.partial = Buffer.alloc(0);
      this.atLineEnd = false;
      this.missingReported = false;
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      return false;
    }
  }

  private startWatcher(): Promise<void> {
    const w = watch(this.path, {
      ignoreInitial: true,
      persistent: false,
      usePolling: this.polling,
      interval: this.opts.pollIntervalMs ?? 200,
      binaryInterval: this.opts.pollIntervalMs ?? 200,
      atomic: false,
    });
    this.watcher = w;
    // Once the file is renamed away chokidar also watches the directory: ignore the
    // events of sibling files (other rooms' logs).
    w.on('raw', (event, file) => {
      if (typeof file !== 'string' || file === this.name || file === '') this.wake(event === 'rename');
    });
    // With inotify every change already arrives as a raw event; chokidar's own events
    // would only repeat the work. The stat-polling watcher needs them.
    if (this.polling) w.on('all', () => this.wake());
    w.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (!this.polling && (code === 'EMFILE' || code === 'ENOSPC' || code === 'ENFILE')) {
        this.fallBackToPolling(`inotify refused a watch (${code})`);
      }
    });
    // If this watcher fails and we fall back to polling, the polling one's ready counts.
    return new Promise((resolve) => {
      w.once('ready', () => resolve());
      this.onFallbackReady = resolve;
    });
  }

  private fallBackToPolling(reason: string): void {
    if (this.closed || this.polling) return;
    this.polling = true;
    this.opts.onFallback?.(reason);
    const old = this.watcher;
    this.watcher = undefined;
    void old?.close();
    const waiting = this.onFallbackReady;
    void this.startWatcher().then(() => {
      waiting?.();
      this.drain();
    });
  }

  private wake(renamed = false): void {
    if (this.closed) return;
    this.drain(renamed || this.polling);
    // inotify reports every write after the data is readable, so a raw event is never
    // lost; stat polling can miss a change inside its interval, so look once more.
    if (this.polling && !this.recheck) {
      this.recheck = setTimeout(() => {
        this.recheck = undefined;
        this.drain();
      }, RECHECK_MS);
    }
  }

  /** Read everything new, following truncation and rotation. Safe to call any time. */
  drain(checkPath = true): void {
    if (this.closed) return;
    if (this.fd === undefined && !this.openCurrent(0)) return;
    for (let guard = 0; guard < 4; guard++) {
      // While the file grows it is still the one at the path: writers open the path for
      // every line. Look for a rotation only when it stops growing, or when told to.
      if (this.readToEof() > 0 && !checkPath) return;
      let st;
      try {
        st = statSync(this.path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return;
        if (!this.missingReported) {
          this.missingReported = true;
          this.opts.onMissing?.();
        }
        // Renamed away (logrotate nocreate): the next append creates the file, and the
        // watch may not see it. Look often until it is back, or a second rotation could
        // rename that new file away before we ever opened it.
        this.missingPoll ??= setInterval(() => this.drain(true), MISSING_POLL_MS);
        return; // keep the old descriptor: late writers may still append to it
      }
      clearInterval(this.missingPoll);
      this.missingPoll = undefined;
      if (st.ino === this.ino) return;
      // Rotated: the old file is drained to EOF above; follow the new one from 0, and
      // watch the new file itself rather than through its directory.
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
      if (!this.openCurrent(0)) return;
      this.rewatch();
    }
  }

  private rewatch(): void {
    if (this.closed) return;
    const old = this.watcher;
    this.watcher = undefined;
    void old?.close();
    void this.startWatcher().then(() => this.drain(true));
  }

  /** Returns how many bytes were read. */
  private readToEof(): number {
    const fd = this.fd;
    if (fd === undefined) return 0;
    let got = 0;
    const size = fstatSync(fd).size;
    if (size < this.offset || this.wasRewritten()) {
      // copytruncate: the file was cut under us; what follows is new.
      this.offset = 0;
      this.partial = Buffer.alloc(0);
      this.atLineEnd = false;
    }
    for (;;) {
      const n = readSync(fd, this.block, 0, READ_BLOCK, this.offset);
      if (n <= 0) break;
      this.offset += n;
      got += n;
      this.consume(this.block.subarray(0, n));
      if (this.closed) return got;
    }
    return got;
  }

  /**
   * A truncation followed at once by new appends can leave the size above our offset.
   * Everything we consumed ended with a newline, so a different byte there means the
   * file was rewritten.
   */
  private wasRewritten(): boolean {
    if (!this.atLineEnd || this.offset === 0 || this.fd === undefined) return false;
    const one = Buffer.alloc(1);
    const n = readSync(this.fd, one, 0, 1, this.offset - 1);
    return n === 1 && one[0] !== 10;
  }

  private consume(chunk: Buffer): void {
    let data = this.partial.length ? Buffer.concat([this.partial, chunk]) : chunk;
    let from = 0;
    for (;;) {
      const nl = data.indexOf(10, from);
      if (nl === -1) break;
      if (nl > from) this.opts.onLine(data.subarray(from, nl).toString('utf8'));
      from = nl + 1;
      if (this.closed) return;
    }
    data = data.subarray(from);
    this.atLineEnd = data.length === 0;
    this.partial = data.length > MAX_PARTIAL ? Buffer.alloc(0) : Buffer.from(data);
  }
}
