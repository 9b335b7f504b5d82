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

/** How far back a "was the leave logged?" check reads at most. */
const LEAVE_LOOKBACK_BYTES = 8 * 1024 * 1024;
/**
 * Lines land in about the order they were stamped, not exactly: a writer stamps, then
 * appends (after waiting for the log's lock, on a shared filesystem). Reading back, a
 * line stamped this long before `since` ends the search.
 */
const STAMP_DISORDER_MS = 60_000;

/**
 * Is a `leave` of `name` stamped at or after `since` (ISO time) in the log? So a chatter
 * removed by force, and the admin who removed it, log that leave only once, and a reaper
 * logs none for a holder that logged its own leave before it died. Reads back from the
 * end, only as far as lines stamped before `since` (with some disorder allowed for).
 */
export function leaveLoggedSince(path: string, name: string, since: string): boolean {
  const size = logSize(path);
  if (size === 0) return false;
  const from = Date.parse(since);
  const stop = Number.isNaN(from) ? '' : new Date(from - STAMP_DISORDER_MS).toISOString();
  const fd = openSync(path, 'r');
  try {
    for (const [line, start] of linesBackward(fd, size)) {
      if (size - start > LEAVE_LOOKBACK_BYTES) return false;
      if (!isEventLine(line)) continue;
      if (stampOf(line) < stop) return false;
      if (!line.includes('"type":"leave"')) continue; // only a candidate is parsed
      const e = parseEventLine(line);
      if (e?.type === 'leave' && e.from === name && e.t >= since) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

/** The `t` of a stored line without parsing it: stored lines begin {"id":"...","t":"...". */
function stampOf(line: string): string {
  const i = line.indexOf('","t":"');
  return i === -1 ? '' : line.slice(i + 7, line.indexOf('"', i + 7));
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
