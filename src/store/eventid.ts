// Event ids, made by whoever appends to a room log or an inbox. Their shape is checked
// by isEventId (src/shared/protocol.ts), which `?since=` uses and which needs no Node.

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
  return `${now.toString(36).padStart(9, '0')}-${writerTag}-${(seq++).toString(36)}`;
}
