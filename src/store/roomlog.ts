// rooms/<room>.log: the room's history, append-only JSON Lines, one RoomEvent a line.

import { closeSync, openSync, readdirSync, statSync } from 'node:fs';
import { linesBackward } from './backward.js';
import { type DataDir, roomLogPath } from './datadir.js';
import { appendLine } from './jsonl.js';
import { parseEventLine, type RoomEvent } from '../shared/protocol.js';
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

/**
 * How far back from its end a replay reads the log: `?since=` looks this far for its id,
 * and the recent history no further, so a made-up id, or a log of garbage without
 * newlines, costs a join at most this much reading.
 */
export const REPLAY_MAX_BYTES = 16 * 1024 * 1024;

/** The last `n` event lines that end before byte `end` (and start within `maxBytes` of it), oldest first. */
export function recentLines(path: string, n: number, end: number, maxBytes = REPLAY_MAX_BYTES): string[] {
  if (n <= 0 || end <= 0) return [];
  const fd = openSync(path, 'r');
  try {
    const lines: string[] = [];
    for (const [line] of linesBackward(fd, end, undefined, Math.max(0, end - maxBytes))) {
      if (!isEventLine(line)) continue;
      lines.push(line);
      if (lines.length >= n) break;
    }
    return lines.reverse();
  } finally {
    closeSync(fd);
  }
}

/**
 * Every event line after the one with id `since`, up to byte `end`, or undefined when
 * that id is not in the current log (rotated away, or never existed) or does not start
 * within `maxBytes` of `end`.
 */
export function linesSince(path: string, since: string, end: number, maxBytes = REPLAY_MAX_BYTES): string[] | undefined {
  const needle = `{"id":"${since}"`;
  const fd = openSync(path, 'r');
  try {
    const found: string[] = [];
    for (const [line] of linesBackward(fd, end, undefined, Math.max(0, end - maxBytes))) {
      if (line.startsWith(needle)) return found.reverse();
      if (isEventLine(line)) found.push(line);
    }
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** How many of the last lines a "was the leave logged?" check reads: it runs moments after the leave. */
const LEAVE_LOOKBACK_LINES = 200;

/**
 * Is a `leave` of `name` at or after `since` (ISO time) among the log's last lines? So a
 * chatter removed by force, and the admin who removed it, log that leave only once.
 */
export function leaveLoggedSince(path: string, name: string, since: string): boolean {
  return recentLines(path, LEAVE_LOOKBACK_LINES, logSize(path)).some((line) => {
    const e = parseEventLine(line);
    return e?.type === 'leave' && e.from === name && e.t >= since;
  });
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
