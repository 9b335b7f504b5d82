// stdout as the browser's line stream. Node makes a stdout pipe blocking, so a client
// that stops reading (websocketd stops draining our pipe) would freeze the whole handler,
// signals included. A non-blocking socket on fd 1 instead queues in memory, and the
// queue is bounded: past `maxBacklog` bytes the client is too slow to keep, and is dropped.

import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { warn } from '../warn.js';

const resolved = Promise.resolve();

/** A client that drains nothing for this long while over its backlog is gone. */
const STALL_MS = 5000;

export class LineOutput {
  private readonly sock: Socket;
  private overflowed = false;
  private pending = '';
  private lastWritten = 0;
  private lastProgress = Date.now();

  constructor(
    private readonly fd: number,
    private readonly maxBacklog: number,
    private readonly onOverflow: () => void,
  ) {
    this.sock = new Socket({ fd, readable: false, writable: true });
    this.sock.on('error', (e) => {
      warn(`writing to the client failed: ${(e as NodeJS.ErrnoException).code ?? e.message}`);
      this.overflowed = true;
      this.onOverflow();
    });
  }

  write(line: string): void {
    if (this.overflowed) return;
    if (this.sock.writableLength > this.maxBacklog && this.stalled()) {
      this.overflowed = true;
      this.onOverflow();
      return;
    }
    // Lines written in one turn of the event loop (a follower draining a burst) leave in
    // one write(2); websocketd still makes one frame of each line.
    // (A promise job, not queueMicrotask: that one wraps each callback in an AsyncResource.)
    if (this.pending === '') void resolved.then(this.flush);
    this.pending += `${line}\n`;
  }

  private readonly flush = (): void => {
    const chunk = this.pending;
    this.pending = '';
    if (chunk === '' || this.sock.destroyed) return;
    if (this.sock.writableLength > 0) {
      this.sock.write(chunk); // behind what is queued already
      return;
    }
    // Nothing queued: write(2) straight away. Every chatter of a room wakes for every
    // line, and the stream machinery costs more than the write itself (measured); the
    // socket (non-blocking since it opened fd 1) only takes what the pipe refuses.
    const buf = Buffer.from(chunk);
    let n = 0;
    try {
      n = writeSync(this.fd, buf);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return void this.sock.destroy(e as Error);
    }
    if (n < buf.length) this.sock.write(buf.subarray(n));
  };

  /**
   * A long replay queues far more than the limit in one go and a healthy client drains
   * it: the client is only too slow if nothing drained for a while, or if the queue
   * outgrew any burst a replay can make.
   */
  private stalled(): boolean {
    if (this.sock.writableLength > this.maxBacklog * 8) return true;
    const now = Date.now();
    // bytesWritten counts what was handed to write(), queued or not.
    const flushed = this.sock.bytesWritten - this.sock.writableLength;
    if (flushed !== this.lastWritten) {
      this.lastWritten = flushed;
      this.lastProgress = now;
      return false;
    }
    return now - this.lastProgress > STALL_MS;
  }

  /** Flush what is queued (bounded by `ms`), then resolve. */
  close(ms = 500): Promise<void> {
    this.flush();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, this.overflowed ? 0 : ms);
      this.sock.end(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }
}
