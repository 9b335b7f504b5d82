// Follow a growing file the way `tail -F` does (docs/design.md): keep (inode,
// offset); on every wake-up read to EOF; survive truncation (copytruncate) and rename
// (create-mode rotation) without losing or repeating a line.
//
// Wake-ups come from inotify through Node's own fs.watch on the file itself: every room
// event wakes every chatter of the room, so a wake must cost as little as possible.
// chokidar stats the file on every event (half the cost of a wake, measured) and its
// `change` event drops changes within 50 ms of each other; we need neither
// its directory walking nor its globbing. It is still the watcher for polling
// (network filesystems, or inotify refused), loaded only then. When polling, a re-check
// shortly after each wake-up covers changes inside one interval; a slow safety timer
// covers anything else.

import { closeSync, fstatSync, openSync, readSync, type Stats, statSync, watch } from 'node:fs';
import { MAX_LINE_BYTES } from './jsonl.js';

export interface FollowOptions {
  /** Byte offset to start at; default: the current end of the file. */
  offset?: number;
  /** Poll instead of inotify (network filesystems). */
  poll?: boolean;
  pollIntervalMs?: number;
  onLine: (line: string) => void;
  /** The path stopped existing (renamed away or removed) and nothing replaced it yet. */
  onMissing?: () => void;
  /**
   * One file for good, never a rotation: a different file at the path later is someone
   * else's (an inbox whose presence was taken over by a newcomer), so it is never read;
   * a missing or replaced file is reported through onMissing, once, and not looked for.
   */
  fixed?: boolean;
  /**
   * Wake-ups closer together than this (ms) mean a busy file: stop waking for each change
   * and read every so often until a read finds nothing. 0 or absent: wake for every change.
   * Asked at each wake-up, so it can follow the size of the room.
   */
  coalesceMs?: () => number;
  /** Watching fell back to polling (inotify refused): worth one line in a log. */
  onFallback?: (reason: string) => void;
}

const RECHECK_MS = 60;
// Only a backstop (inotify loses nothing): rare, because every handler pays it while idle.
const SAFETY_MS = 5000;
/** How often to look for a followed file that was renamed away, until it is back. */
const MISSING_POLL_MS = 100;
const READ_BLOCK = 64 * 1024;
/**
 * How long a rotated-away file is kept open and then read once more: a writer opens the
 * path and then writes, and one that opened the old file just before the rename writes
 * there after we moved on.
 */
const RETIRE_MS = 1000;

export class Follower {
  private fd: number | undefined;
  private ino = -1;
  private offset = 0;
  private partial: Buffer = Buffer.alloc(0);
  private watcher: { close(): unknown } | undefined;
  private recheck: NodeJS.Timeout | undefined;
  private safety: NodeJS.Timeout | undefined;
  private missingPoll: NodeJS.Timeout | undefined;
  /** Set while resting: a busy file is read on this timer instead of per change. */
  private resting: NodeJS.Timeout | undefined;
  private lastWakeAt = -Infinity;
  private bytesRead = 0;
  private polling: boolean;
  private closed = false;
  private missingReported = false;
  /** The inode a fixed file's owner replaced it with (adopt()); -1 = none. */
  private adopted = -1;
  /** The byte before `offset` is a newline we consumed ourselves. */
  private atLineEnd = false;
  private readonly block = Buffer.alloc(READ_BLOCK);
  /** Rotated-away files awaiting their last read (see RETIRE_MS). */
  private readonly retired = new Map<NodeJS.Timeout, number>();

  constructor(
    readonly path: string,
    private readonly opts: FollowOptions,
  ) {
    this.polling = opts.poll ?? false;
    this.openCurrent(opts.offset);
  }

  /** Begin watching; resolves once the watch is in place (lines written before are drained). */
  async start(): Promise<void> {
    await this.startWatcher();
    this.safety = setInterval(() => this.drain(), SAFETY_MS);
    this.safety.unref();
    this.drain();
  }

  /** Reading a busy file in batches rather than per change (see rest()). */
  get isResting(): boolean {
    return this.resting !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.recheck);
    clearInterval(this.safety);
    clearInterval(this.missingPoll);
    clearTimeout(this.resting);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    for (const [timer, fd] of this.retired) {
      clearTimeout(timer);
      closeSync(fd);
    }
    this.retired.clear();
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

  private async startWatcher(): Promise<void> {
    if (this.closed) return;
    void this.watcher?.close();
    this.watcher = undefined;
    if (this.polling) return this.startPolling();
    try {
      const w = watch(this.path, { persistent: false }, (event) => this.wake(event === 'rename'));
      w.on('error', (err) => void this.watchFailed(err));
      this.watcher = w;
    } catch (err) {
      await this.watchFailed(err);
    }
  }

  private async watchFailed(err: unknown): Promise<void> {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EMFILE' || code === 'ENOSPC' || code === 'ENFILE') {
      await this.fallBackToPolling(`inotify refused a watch (${code})`);
    } else {
      // The file is gone (ENOENT) or its watch broke: find it again by path.
      void this.watcher?.close();
      this.watcher = undefined;
      this.drain(true);
      // Still there, same file, but unwatched (a watch that broke): try again shortly.
      if (!this.watcher && !this.missingPoll && !this.resting && !this.closed) {
        setTimeout(() => !this.watcher && !this.resting && this.rewatch(), MISSING_POLL_MS);
      }
    }
  }

  private async startPolling(): Promise<void> {
    const { watch: pollWatch } = await import('chokidar');
    if (this.closed) return;
    const w = pollWatch(this.path, {
      ignoreInitial: true,
      persistent: false,
      usePolling: true,
      interval: this.opts.pollIntervalMs ?? 200,
      binaryInterval: this.opts.pollIntervalMs ?? 200,
      atomic: false,
    });
    this.watcher = w;
    w.on('all', () => this.wake());
    await new Promise<void>((resolve) => w.once('ready', () => resolve()));
  }

  private async fallBackToPolling(reason: string): Promise<void> {
    if (this.closed || this.polling) return;
    this.polling = true;
    this.opts.onFallback?.(reason);
    await this.startWatcher();
    this.drain();
  }

  private wake(renamed = false): void {
    if (this.closed) return;
    this.drain(renamed || this.polling);
    const now = performance.now();
    const gap = this.opts.coalesceMs?.() ?? 0;
    const busy = now - this.lastWakeAt < gap;
    this.lastWakeAt = now;
    if (busy && !this.polling) this.rest(gap);
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
    if (this.fd === undefined) {
      // Not there when we began: whatever is there now was never ours.
      if (this.opts.fixed) {
        this.reportMissing();
        return;
      }
      if (!this.openCurrent(0)) {
        this.lookUntilBack();
        return;
      }
      this.rewatch();
    }
    for (let guard = 0; guard < 4; guard++) {
      // While the file grows it is still the one at the path: writers open the path for
      // every line. Look for a rotation only when it stops growing, or when told to.
      if (this.readToEof() > 0 && !checkPath) return;
      let st: Stats;
      try {
        st = statSync(this.path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return;
        this.reportMissing();
        if (!this.opts.fixed) this.lookUntilBack();
        return; // keep the old descriptor: late writers may still append to it
      }
      clearInterval(this.missingPoll);
      this.missingPoll = undefined;
      if (st.ino === this.ino) return;
      if (this.opts.fixed && st.ino !== this.adopted) {
        this.reportMissing(); // replaced: someone else's file now
        return;
      }
      // Rotated: the old file is drained to EOF above; follow the new one from 0, and
      // watch the new file itself rather than through its directory.
      if (this.fd !== undefined) this.retire(this.fd, this.offset);
      this.fd = undefined;
      if (!this.openCurrent(0)) return;
      this.rewatch();
    }
  }

  /** Read a rotated-away file once more after RETIRE_MS, from where we left it, then close it. */
  private retire(fd: number, offset: number): void {
    const timer = setTimeout(() => {
      this.retired.delete(timer);
      try {
        if (!this.closed) this.readLate(fd, offset);
      } finally {
        closeSync(fd);
      }
    }, RETIRE_MS);
    timer.unref();
    this.retired.set(timer, fd);
  }

  /** Whole lines a late writer appended past `offset`; what follows the last newline is a torn fragment. */
  private readLate(fd: number, offset: number): void {
    const size = fstatSync(fd).size;
    if (size <= offset || size - offset > MAX_LINE_BYTES) return;
    const late = Buffer.alloc(size - offset);
    const n = readSync(fd, late, 0, late.length, offset);
    const text = late.subarray(0, late.subarray(0, n).lastIndexOf(10) + 1).toString('utf8');
    for (const line of text.split('\n')) {
      if (line !== '' && !this.closed) this.opts.onLine(line);
    }
  }

  /**
   * For a fixed file: its owner is about to put the file with inode `ino` at the path
   * itself (an inbox rotated once read), so that one is a rotation to follow, not a stranger.
   */
  adopt(ino: number): void {
    this.adopted = ino;
  }

  private reportMissing(): void {
    if (this.missingReported) return;
    this.missingReported = true;
    this.opts.onMissing?.();
  }

  /**
   * Renamed away (logrotate nocreate) or not there yet: the next append creates the file,
   * and no watch sees that. Look often until it is back, or a second rotation could
   * rename that new file away before we ever opened it.
   */
  private lookUntilBack(): void {
    this.missingPoll ??= setInterval(() => this.drain(true), MISSING_POLL_MS);
  }

  /**
   * Every line wakes every chatter of a room: in a flood that is N wake-ups per line, and
   * the CPU they take starves the very chatters who write. While lines keep coming, stop
   * the watch and read in batches on a timer instead (what interrupt coalescing does for
   * network cards); the first read that finds nothing goes back to waking per change.
   */
  private rest(gap: number): void {
    if (this.resting) return;
    void this.watcher?.close();
    this.watcher = undefined;
    const tick = (): void => {
      const before = this.bytesRead;
      this.drain(false);
      if (this.closed) return;
      if (this.bytesRead !== before) {
        this.resting = setTimeout(tick, this.opts.coalesceMs?.() || gap);
        return;
      }
      this.resting = undefined;
      this.rewatch(); // and reads what came before the new watch was in place
    };
    this.resting = setTimeout(tick, gap);
  }

  private rewatch(): void {
    if (this.closed || this.resting) return;
    void this.startWatcher().then(() => this.drain(true));
  }

  /**
   * Returns how many bytes were read. One pread per wake-up in the usual case: every
   * chatter of a room runs this for every line, so checks ride along with the read.
   * Everything we consumed ended with a newline, so we read from the byte before our
   * offset: if that byte is no longer a newline, the file was cut and refilled past our
   * offset (copytruncate, then new appends). A short read is the end for now: the next
   * append wakes us again.
   */
  private readToEof(): number {
    const fd = this.fd;
    if (fd === undefined) return 0;
    // A partial line is read again from its start, not kept: a writer whose write was cut
    // short ends its fragment by overwriting the fragment's last byte (jsonl.ts), which a
    // copy taken before would never show, and the next line would be glued to it.
    const held = this.partial.length;
    this.offset -= held;
    this.bytesRead -= held;
    this.partial = Buffer.alloc(0);
    let got = -held;
    let back = this.atLineEnd && this.offset > 0 ? 1 : 0;
    for (;;) {
      const n = readSync(fd, this.block, 0, READ_BLOCK, this.offset - back);
      if (back === 1 && n >= 1 && this.block[0] !== 10) {
        back = 0;
        this.restart(); // rewritten under us: what is there now is all new
        continue;
      }
      const fresh = n - back;
      if (fresh <= 0) break;
      this.take(fresh, back);
      got += fresh;
      if (this.closed || n < READ_BLOCK) return Math.max(0, got);
      back = 0;
    }
    // Nothing new: perhaps the file was cut below our offset (copytruncate).
    if (got <= 0 && fstatSync(fd).size < this.offset) {
      this.restart();
      return this.readToEof();
    }
    return Math.max(0, got);
  }

  private take(n: number, from: number): void {
    this.offset += n;
    this.bytesRead += n;
    this.consume(this.block.subarray(from, from + n));
  }

  private restart(): void {
    this.offset = 0;
    this.partial = Buffer.alloc(0);
    this.atLineEnd = false;
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
    // A partial line this long is garbage: drop it rather than grow memory.
    this.partial = data.length > MAX_LINE_BYTES ? Buffer.alloc(0) : Buffer.from(data);
  }
}
