// rooms/<room>.log: the room's history, append-only JSON Lines, one RoomEvent a line.

import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { appendLine } from './jsonl.js';
import { readLinesBackward } from './jsonl.js';
import { type DataDir, roomLogPath } from './datadir.js';
import type { RoomEvent } from '../shared/protocol.js';
import { newEventId } from './eventid.js';

/** A RoomEvent before it is stamped: what a caller describes. */
export type NewRoomEvent = RoomEvent extends infer E ? (E extends RoomEvent ? Omit<E, 'id' | 't' | 'replay'> : never) : never;

export function stamp(e: NewRoomEvent, now = Date.now()): RoomEvent {
  return { id: newEventId(now), t: new Date(now).toISOString(), ...e } as RoomEvent;
}

export interface RoomLogOptions {
  sharedFs?: boolean;
}

/** Stamp and append one event; returns the stored line, which is also its wire form. */
export async function appendEvent(d: DataDir, room: string, e: NewRoomEvent, opts: RoomLogOptions = {}): Promise<string> {
  const line = JSON.stringify(stamp(e));
  await appendLine(roomLogPath(d, room), line, { alwaysLock: opts.sharedFs, mkdir: true });
  return line;
}

function isEventLine(line: string): boolean {
  return line.startsWith('{"id":"');
}

/** The last `n` event lines that end before byte `end`. */
export function recentLines(path: string, n: number, end: number): string[] {
  if (n <= 0 || end <= 0) return [];
  const fd = openSync(path, 'r');
  try {
    return readLinesBackward(fd, n, end, isEventLine).lines;
  } finally {
    closeSync(fd);
  }
}

/**
 * Every event line after the one with id `since`, up to byte `end`, or undefined when
 * that id is not in the current log (rotated away, or never existed).
 */
export function linesSince(path: string, since: string, end: number, maxBytes = 16 * 1024 * 1024): string[] | undefined {
  const needle = `{"id":"${since}"`;
  const fd = openSync(path, 'r');
  try {
    const found: string[] = [];
    let cursor = end;
    let scanned = 0;
    while (cursor > 0 && scanned < maxBytes) {
      const chunk = readLinesBackward(fd, 512, cursor, isEventLine);
      if (chunk.lines.length === 0) break;
      scanned += cursor - chunk.start;
      for (let i = chunk.lines.length - 1; i >= 0; i--) {
        if (chunk.lines[i].startsWith(needle)) return found.reverse();
        found.push(chunk.lines[i]);
      }
      cursor = chunk.start;
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

export function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Rooms that have a current log file (rotated segments alone do not make a room). */
export function roomsWithLogs(d: DataDir): string[] {
  try {
    return readdirSync(d.rooms)
      .filter((f) => f.endsWith('.log') && !f.startsWith('.'))
      .map((f) => f.slice(0, -4));
  } catch {
    return [];
  }
}

/** Read a whole small file region forward: used by tests and tools, never on a hot path. */
export function readRange(path: string, start: number, end: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(Math.max(0, end - start));
    readSync(fd, buf, 0, buf.length, start);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}
