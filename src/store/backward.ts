// Reading a file backwards from a byte offset, a line at a time, so the last lines of a
// 1 GB log cost one or two block reads. Replay on join (roomlog.ts) and the history
// pages (archive.ts) both read this way.

import { readSync } from 'node:fs';
import { MAX_LINE_BYTES } from './jsonl.js';

/**
 * Complete lines that end at or before byte `end`, newest first, each with the byte
 * offset it starts at. Bytes after the last newline before `end` are a line still being
 * written: not yielded. Empty lines and lines over MAX_LINE_BYTES are skipped, the latter
 * without holding them in memory. A short read means the file was cut under us
 * (copytruncate): what lies below `end` is no longer what we were asked for, so the
 * reading stops there. Nothing below `floor` is read: a line that starts there is not
 * yielded, so the cost of a read is bounded even by a file with no newlines at all.
 */
export function* linesBackward(fd: number, end: number, blockSize = 64 * 1024, floor = 0): Generator<[line: string, start: number]> {
  let pos = end;
  let carry: Buffer = Buffer.alloc(0);
  let found = false; // seen the newline that ends the newest complete line
  let skipping = false; // inside an overlong line
  while (pos > floor) {
    const size = Math.min(blockSize, pos - floor);
    pos -= size;
    const block = Buffer.allocUnsafe(size);
    if (readSync(fd, block, 0, size, pos) < size) return;
    const buf = carry.length ? Buffer.concat([block, carry]) : block;
    let lineEnd = buf.length;
    if (!found) {
      const nl = buf.lastIndexOf(10);
      if (nl === -1) {
        carry = buf.length > MAX_LINE_BYTES ? Buffer.alloc(0) : buf;
        continue;
      }
      found = true;
      lineEnd = nl;
    }
    for (;;) {
      const nl = lineEnd > 0 ? buf.lastIndexOf(10, lineEnd - 1) : -1;
      if (nl === -1 && pos > floor) {
        carry = buf.subarray(0, lineEnd);
        if (carry.length > MAX_LINE_BYTES) {
          carry = Buffer.alloc(0);
          skipping = true;
        }
        break;
      }
      if (nl === -1 && floor > 0) return; // its start lies below the floor
      const length = lineEnd - nl - 1;
      if (skipping) skipping = false;
      else if (length > 0 && length <= MAX_LINE_BYTES) yield [buf.toString('utf8', nl + 1, lineEnd), pos + nl + 1];
      if (nl === -1) return;
      lineEnd = nl;
    }
  }
}
