// How many messages came after a read marker (the room list's unread counts): counted
// from the end of the current log backward, within a hard bound, so a page listing 100
// rooms reads at most 100 small tails, whatever the logs weigh.

import { closeSync, fstatSync, openSync } from 'node:fs';
import { linesBackward } from './backward.js';

/** What counts as something to read: what people said, not who came and went. */
const COUNTED = new Set(['msg', 'me', 'roll']);

export interface UnreadBound {
  /** Most lines looked at. */
  lines: number;
  /** Most bytes read from the end. */
  bytes: number;
}

export const UNREAD_BOUND: UnreadBound = { lines: 100, bytes: 64 * 1024 };

export interface Unread {
  count: number;
  /** The bound was reached before the marker: at least `count`. */
  more: boolean;
}

/**
 * Messages after `marker` in the log at `path`. The count stops at the marker's line, or
 * at the first line older than it (ids begin with their time: the marked message may be
 * gone, or the marker is another writer's), or at the start of the log (the marker is in
 * a rotated segment: everything here is new). No log: nothing to read.
 */
export function countUnread(path: string, marker: string, bound: UnreadBound = UNREAD_BOUND): Unread {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { count: 0, more: false };
  }
  try {
    const size = fstatSync(fd).size;
    const floor = Math.max(0, size - bound.bytes);
    const markTime = marker.slice(0, 9);
    let count = 0;
    let seen = 0;
    for (const [line] of linesBackward(fd, size, 16 * 1024, floor)) {
      // Stored lines all begin {"id":"...": no need to parse one to know its id.
      if (!line.startsWith('{"id":"')) continue;
      const id = line.slice(7, line.indexOf('"', 7));
      if (id === marker || id.slice(0, 9) < markTime) return { count, more: false };
      if (COUNTED.has(typeOf(line))) count++;
      if (++seen >= bound.lines) return { count, more: true };
    }
    return { count, more: floor > 0 };
  } catch {
    return { count: 0, more: false };
  } finally {
    closeSync(fd);
  }
}

function typeOf(line: string): string {
  const i = line.indexOf('"type":"');
  return i === -1 ? '' : line.slice(i + 8, line.indexOf('"', i + 8));
}
