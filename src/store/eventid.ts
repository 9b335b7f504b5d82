// Event ids, made by whoever appends to a room log or an inbox. Their shape is checked
// by isEventId (src/shared/protocol.ts), which `?since=` uses and which needs no Node.

/** The time part of an id: fixed-width base36 milliseconds, so ids compare as text in time order. */
const TIME_CHARS = 9;
/** Lines land in about the order they were stamped: this much disorder is allowed for. */
const STAMP_DISORDER_MS = 60_000;

let seq = 0;
// Made on first use, not at load: the handler may be loaded from a V8 start-up snapshot,
// where a value computed at load would be shared by every process started from it.
let writerTag = '';

/**
 * Time first (fixed-width base36 milliseconds) so ids from one writer sort in order;
 * pid plus a random tag so two hosts or two restarts never collide.
 */
export function newEventId(now = Date.now()): string {
  writerTag ||=
    process.pid.toString(36) +
    Math.floor(Math.random() * 36 ** 3)
      .toString(36)
      .padStart(3, '0');
  return `${now.toString(36).padStart(TIME_CHARS, '0')}-${writerTag}-${(seq++).toString(36)}`;
}

/**
 * Where a backward search for event `id` may stop: ids begin with their time, so a line
 * whose id is older than the returned floor (see stampedBefore) was stamped well before
 * `id`, and `id` cannot lie further back.
 */
export function searchFloor(id: string): string {
  const ms = Number.parseInt(id.slice(0, TIME_CHARS), 36);
  return Math.max(0, ms - STAMP_DISORDER_MS)
    .toString(36)
    .padStart(TIME_CHARS, '0');
}

/** A stored line's id is older than `floor` (from searchFloor). */
export function stampedBefore(line: string, floor: string): boolean {
  return line.startsWith('{"id":"') && line.slice(7, 7 + TIME_CHARS) < floor;
}
