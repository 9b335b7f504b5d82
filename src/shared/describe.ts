// An event in words, worded here only: the text lines (formatText), the history page and
// the chat page render what this returns, so the three cannot disagree.

import { validColor } from './colors.js';
import { type FoldedMsg, isBlanked } from './lifecycle.js';
import type { ErrorCode, LeaveReason, RoomEvent, ServerMessage } from './protocol.js';

/** What a terminal, the CLI or a page without the key shows for an end-to-end encrypted whisper. */
export const E2E_PLACEHOLDER = '(end-to-end encrypted whisper)';

/** What every reader but a chat page with the room's passphrase shows for a msg or edit in an end-to-end room. */
export const E2E_ROOM_PLACEHOLDER = 'encrypted message';

/** What is described: the room's events, and what is said to one chatter only. */
export type Describable = RoomEvent | Extract<ServerMessage, { type: 'whisper' | 'info' | 'error' }>;

/**
 * `text` is what someone wrote (a chatter, the operator): renderers show it as theirs
 * (escaped, emoticons, search hits). `note` is our wording of what happened; where there
 * is a `from`, the note follows the name ("joined", "rolls 2d6: 3 4 = 7"). `color` is
 * the name's colour (the new colour for `color`), only ever a valid `#rrggbb`.
 */
export type Description =
  /** `sealed`: ciphertext (an end-to-end room), `text` is then E2E_ROOM_PLACEHOLDER. */
  | { kind: 'msg'; from: string; color?: string; text: string; edited?: string; deleted?: true; sealed?: true }
  | { kind: 'me'; from: string; text: string }
  /** `sealed`: end-to-end encrypted, `text` is then our placeholder (only the two pages can read it). */
  | { kind: 'whisper'; from: string; to: string; text: string; sealed?: true }
  | { kind: 'announce'; text: string }
  | { kind: 'topic'; from: string; note: string; text: string }
  | { kind: 'edit'; from: string; note: string; text: string; sealed?: true }
  | { kind: 'delete'; from: string; note: string }
  | { kind: 'join'; from: string; note: string }
  | { kind: 'leave'; from: string; note: string }
  | { kind: 'nick'; from: string; note: string }
  | { kind: 'roll'; from: string; note: string }
  | { kind: 'color'; from: string; color?: string; note: string }
  | { kind: 'info'; note: string }
  | { kind: 'error'; code: ErrorCode; note: string };

const LEAVE_NOTES: Record<LeaveReason, string> = { closed: 'left (closed)', kicked: 'left (kicked)', lost: 'left (connection lost)' };

// Nothing here may throw on a field of the wrong type (hence Array.isArray): a room log is
// a file an operator may have edited, and a page must still show the rest of it.
export function describe<E extends Describable>(e: E): Extract<Description, { kind: E['type'] }>;
export function describe(e: Describable): Description {
  switch (e.type) {
    case 'msg': {
      // A folded msg (src/shared/lifecycle.ts) says how it stands now; a redacted one is gone.
      const { edited, deleted } = e as FoldedMsg;
      if (deleted || isBlanked(e)) return { kind: 'msg', from: e.from, color: validColor(e.color), text: '', deleted: true };
      const when = typeof edited === 'string' ? { edited } : {};
      if (e.e2e) return { kind: 'msg', from: e.from, color: validColor(e.color), text: E2E_ROOM_PLACEHOLDER, sealed: true, ...when };
      return { kind: 'msg', from: e.from, color: validColor(e.color), text: e.text, ...when };
    }
    case 'edit':
      if (isBlanked(e)) return { kind: 'edit', from: e.from, note: 'edited a message', text: '' };
      if (e.e2e) return { kind: 'edit', from: e.from, note: 'edited a message', text: E2E_ROOM_PLACEHOLDER, sealed: true };
      return { kind: 'edit', from: e.from, note: 'edited a message', text: typeof e.text === 'string' ? e.text : '' };
    case 'delete':
      return { kind: 'delete', from: e.from, note: 'deleted a message' };
    case 'me':
      return { kind: 'me', from: e.from, text: e.text };
    case 'whisper':
      if (typeof e.text === 'string') return { kind: 'whisper', from: e.from, to: e.to, text: e.text };
      return { kind: 'whisper', from: e.from, to: e.to, text: E2E_PLACEHOLDER, sealed: true };
    case 'announce':
      return { kind: 'announce', text: e.text };
    case 'topic':
      return { kind: 'topic', from: e.from, note: 'set the topic', text: e.text };
    case 'join':
      return { kind: 'join', from: e.from, note: 'joined' };
    case 'leave':
      return { kind: 'leave', from: e.from, note: Object.hasOwn(LEAVE_NOTES, e.reason) ? LEAVE_NOTES[e.reason] : 'left' };
    case 'color':
      return { kind: 'color', from: e.from, color: validColor(e.color), note: `is now ${e.color}` };
    case 'nick':
      return { kind: 'nick', from: e.from, note: `is now known as ${e.name}` };
    case 'roll':
      return { kind: 'roll', from: e.from, note: `rolls ${e.spec}: ${Array.isArray(e.rolls) ? e.rolls.join(' ') : ''} = ${e.total}` };
    case 'info':
      return { kind: 'info', note: e.text };
    case 'error':
      return { kind: 'error', code: e.code, note: e.message };
  }
}
