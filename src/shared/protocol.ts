// The wire protocol and the room-log format (docs/design.md sections 3 and 4), described once.
// A room-log line is already a wire message: handlers forward it byte for byte.

import { describe } from './describe.js';
import { isRedacted } from './lifecycle.js';
import { safeLines, textProblem } from './text.js';

export type LeaveReason = 'closed' | 'kicked' | 'lost';

interface EventBase {
  /** Unique and time-ordered per writer: see src/store/eventid.ts. */
  id: string;
  /** ISO-8601 UTC with milliseconds. */
  t: string;
  /** Set on events sent as history rather than live. Never stored. */
  replay?: true;
}

export type RoomEvent = EventBase &
  (
    | { type: 'join'; from: string; color: string }
    | { type: 'leave'; from: string; color: string; reason: LeaveReason }
    | ({
        type: 'msg';
        from: string;
        color: string;
        /** The id of the message this one answers. */
        reply_to?: string;
        /** Names written as @name that were present or registered when it was said (computed by the server). */
        mentions?: string[];
      } & Body)
    | { type: 'me'; from: string; text: string }
    | { type: 'roll'; from: string; spec: string; rolls: number[]; total: number }
    | { type: 'color'; from: string; color: string }
    | { type: 'nick'; from: string; name: string }
    | { type: 'announce'; text: string }
    | { type: 'topic'; from: string; text: string }
    /** The author's new text for their `msg` `ref` (src/shared/lifecycle.ts folds it in). */
    | ({ type: 'edit'; from: string; ref: string } & Body)
    /** `ref` removed by its author, a room operator or an admin; its text is redacted on disk. */
    | { type: 'delete'; from: string; ref: string }
  );

export type RoomEventType = RoomEvent['type'];

/** Every room event type, checked against RoomEvent: all of them, nothing else. */
const ROOM_EVENT_TYPE_LIST = { join: 1, leave: 1, msg: 1, me: 1, roll: 1, color: 1, nick: 1, announce: 1, topic: 1, edit: 1, delete: 1 } satisfies Record<
  RoomEventType,
  1
>;
/** What a room log holds (each with an id `?since=` counts from), and all the archive shows. */
export const ROOM_EVENT_TYPES: ReadonlySet<string> = new Set(Object.keys(ROOM_EVENT_TYPE_LIST));

/** Room events that change who is present or how they look. */
export const PRESENCE_EVENTS: ReadonlySet<string> = new Set(['join', 'leave', 'color', 'nick']);

/** Lines in users/<room>/<name>/inbox: addressed to one chatter, never in history. */
export type InboxEntry =
  | WhisperEntry
  | { type: 'signal'; id: string; t: string; from: string; data: Record<string, unknown> }
  | ({ type: 'status'; id: string; t: string; from: string } & PeerStatus)
  | { type: 'kick'; id: string; t: string; from?: string; text?: string }
  | { type: 'announce'; id: string; t: string; text: string }
  /**
   * `from`'s presence info changed (a new public key, a read marker): the others read it
   * again from there (never from here). `key` is the same note from older handlers.
   */
  | { type: 'presence' | 'key'; id: string; t: string; from: string }
  | InviteEntry;

/**
 * An end-to-end encrypted whisper's body (docs/design.md, "End-to-end whispers"): AES-GCM
 * ciphertext with its tag, and its 12-byte IV, both standard base64. Relayed as it is.
 */
export interface E2eBox {
  v: 1;
  iv: string;
  ct: string;
}

/**
 * What someone said: text, or only ciphertext (a whisper between two browsers with keys,
 * or a msg or edit in an end-to-end room: `e2e = true` in rooms/<room>.ini).
 */
export type Body = { text: string; e2e?: undefined } | { e2e: E2eBox; text?: undefined };

/** A whisper as the inbox holds it and as both ends get it. */
export type WhisperEntry = { type: 'whisper'; id: string; t: string; from: string; to: string } & Body;

/**
 * An invitation to another room, to one chatter: `href` is the page that admits the
 * session opening it (join?room=R&invite=TOKEN), relative to the chat page.
 */
export interface InviteEntry {
  type: 'invite';
  id: string;
  t: string;
  from: string;
  room: string;
  href: string;
  /** Made by /private: a room for just the two of them. */
  private?: true;
}

export interface UserSummary {
  name: string;
  color: string;
  /** The chatter's public key for end-to-end whispers (standard base64, 65 bytes raw), if it announced one. */
  pub?: string;
  /** The id of the newest message the chatter has seen here (its read marker), if it said. */
  read?: string;
}

/**
 * What a chat page would use a direct (WebRTC) connection for, told to the others
 * through the server, so that pages connect only where both sides want the same thing.
 */
export interface PeerStatus {
  /** In the call. */
  call: boolean;
  /** Shows and shares the live typing preview. */
  preview: boolean;
}

export type ErrorCode =
  | 'bad_json'
  | 'too_long'
  | 'rate_limited'
  | 'unknown_command'
  | 'no_such_user'
  | 'bad_request'
  | 'storage'
  | 'forbidden'
  /** An edit of someone else's message, or a delete of it without being an operator. */
  | 'not_yours'
  /** An edit or delete of an id that is no message here (unknown, not a `msg`, deleted, too old). */
  | 'no_such_message'
  /** A whisper or signal to a chatter with chat.max_inbox_bytes unread already: not delivered. */
  | 'inbox_full'
  /** Plain text where the room takes only ciphertext (an end-to-end room). */
  | 'e2e_required';

export type ClientMessage =
  | ({ type: 'msg'; reply_to?: string } & Body)
  | ({ type: 'edit'; ref: string } & Body)
  | { type: 'delete'; ref: string }
  | ({ type: 'whisper'; to: string } & Body)
  | { type: 'signal'; to: string; data: Record<string, unknown> }
  | ({ type: 'status'; to?: string } & PeerStatus)
  | { type: 'key'; pub: string }
  /** I have seen the room up to message `ref` (my read marker). */
  | { type: 'read'; ref: string }
  | { type: 'ping' };

export interface Limits {
  maxMessageBytes: number;
  ratePerSec: number;
  rateBurst: number;
  idleTimeoutSec: number;
  maxSignalBytes: number;
}

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export type ServerMessage =
  | {
      type: 'welcome';
      room: string;
      you: UserSummary;
      users: UserSummary[];
      iceServers: IceServer[];
      limits: Limits;
      /** The room's topic (rooms/<room>.ini), when it has one. */
      topic?: string;
      /** This chatter may use the operators' commands here. */
      operator?: true;
      /** An end-to-end room: every msg and edit must carry an `e2e` box, never text. */
      e2e?: true;
      /** This chatter's stored read marker for the room: the page marks what came after it. */
      lastRead?: string;
    }
  | RoomEvent
  | { type: 'users'; users: UserSummary[] }
  | WhisperEntry
  | { type: 'signal'; id: string; t: string; from: string; data: Record<string, unknown> }
  | ({ type: 'status'; id: string; t: string; from: string } & PeerStatus)
  | InviteEntry
  | { type: 'info'; text: string }
  | { type: 'error'; code: ErrorCode; message: string }
  | { type: 'pong' };

export class ProtocolError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The shape of an id newEventId (src/store/eventid.ts) makes. */
export function isEventId(s: string): boolean {
  return /^[0-9a-z]{9}-[0-9a-z]{1,16}-[0-9a-z]{1,10}$/.test(s);
}

/**
 * How many bytes standard base64 (with its padding, no line breaks) decodes to; undefined
 * when `s` is not that. The shared code has neither Buffer nor atob.
 */
export function base64Bytes(s: string): number | undefined {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s)) return undefined;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return (s.length / 4) * 3 - pad;
}

/** Bytes of a raw uncompressed P-256 point: 0x04, then x and y. */
const P256_RAW_BYTES = 65;
/** The AES-GCM IV a whisper uses, and the tag every ciphertext ends with. */
const E2E_IV_BYTES = 12;
const E2E_TAG_BYTES = 16;

/**
 * A public key as exportKey('raw') gives it, in base64: 65 bytes, the first 0x04 (its
 * base64 then starts with "B" and a character worth 0 to 15). Whether the point is on the
 * curve only the browsers check (importKey refuses it); the server has no use for it.
 */
export function isPublicKey(pub: unknown): pub is string {
  return typeof pub === 'string' && base64Bytes(pub) === P256_RAW_BYTES && pub[0] === 'B' && /^[A-P]$/.test(pub[1] ?? '');
}

/** A well-formed e2e box, or why not. Its size is the handler's to bound (chat.max_message_bytes). */
function checkedBox(v: unknown): E2eBox {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ProtocolError('bad_request', '"e2e" must be an object');
  const b = v as Record<string, unknown>;
  if (b.v !== 1) throw new ProtocolError('bad_request', 'unknown e2e version: only "v":1 is understood');
  if (typeof b.iv !== 'string' || base64Bytes(b.iv) !== E2E_IV_BYTES) throw new ProtocolError('bad_request', 'e2e "iv" must be base64 of 12 bytes');
  const ct = typeof b.ct === 'string' ? base64Bytes(b.ct) : undefined;
  if (ct === undefined || ct < E2E_TAG_BYTES) throw new ProtocolError('bad_request', 'e2e "ct" must be base64 of a ciphertext and its 16-byte tag');
  // Only the three fields are relayed: nothing else rides along into an inbox.
  return { v: 1, iv: b.iv, ct: b.ct as string };
}

/** Text someone wrote, refused with bad_request when it holds a control character (src/shared/text.ts). */
function checkedText(text: string): string {
  const problem = textProblem(text);
  if (problem) throw new ProtocolError('bad_request', problem);
  return text;
}

/** A msg's or an edit's body: text, or an e2e box and no text. */
function bodyOf(m: Record<string, unknown>, missing: string): Body {
  if (m.e2e !== undefined) {
    if (m.text !== undefined) throw new ProtocolError('bad_request', 'a message with "e2e" carries no "text"');
    return { e2e: checkedBox(m.e2e) };
  }
  if (typeof m.text !== 'string') throw new ProtocolError('bad_request', missing);
  return { text: checkedText(m.text) };
}

/**
 * One browser line → one message. A line that is not JSON is what a terminal user
 * typed: a chat message. A line that starts like JSON but does not parse is a client bug.
 */
export function parseClientLine(line: string): ClientMessage {
  // A terminal's Enter may send CR LF: the CR is the line's end, not its text.
  const trimmed = line.replace(/\r$/, '');
  if (!trimmed.startsWith('{"') && !trimmed.startsWith('{ "')) return { type: 'msg', text: checkedText(trimmed) };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    throw new ProtocolError('bad_json', 'that line is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError('bad_request', 'a message must be a JSON object');
  }
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'msg':
      if (m.reply_to !== undefined && (typeof m.reply_to !== 'string' || !isEventId(m.reply_to))) {
        throw new ProtocolError('bad_request', '"reply_to" must be the id of a message');
      }
      return { type: 'msg', ...bodyOf(m, 'msg needs a string "text" (or "e2e")'), ...(typeof m.reply_to === 'string' ? { reply_to: m.reply_to } : {}) };
    case 'whisper':
      if (typeof m.to !== 'string') throw new ProtocolError('bad_request', 'whisper needs string "to" and "text" (or "e2e")');
      return { type: 'whisper', to: m.to, ...bodyOf(m, 'whisper needs string "to" and "text" (or "e2e")') };
    case 'key':
      if (!isPublicKey(m.pub)) throw new ProtocolError('bad_request', 'key needs "pub": base64 of a raw uncompressed P-256 point (65 bytes, starting 0x04)');
      return { type: 'key', pub: m.pub };
    case 'signal':
      if (typeof m.to !== 'string' || typeof m.data !== 'object' || m.data === null || Array.isArray(m.data)) {
        throw new ProtocolError('bad_request', 'signal needs a string "to" and an object "data"');
      }
      return { type: 'signal', to: m.to, data: m.data as Record<string, unknown> };
    case 'status':
      if (typeof m.call !== 'boolean' || typeof m.preview !== 'boolean' || (m.to !== undefined && typeof m.to !== 'string')) {
        throw new ProtocolError('bad_request', 'status needs boolean "call" and "preview" (and a string "to", if any)');
      }
      return { type: 'status', call: m.call, preview: m.preview, ...(typeof m.to === 'string' ? { to: m.to } : {}) };
    case 'edit':
      if (typeof m.ref !== 'string' || !isEventId(m.ref)) throw new ProtocolError('bad_request', 'edit needs a message id "ref" and a string "text"');
      return { type: 'edit', ref: m.ref, ...bodyOf(m, 'edit needs a message id "ref" and a string "text" (or "e2e")') };
    case 'delete':
      if (typeof m.ref !== 'string' || !isEventId(m.ref)) throw new ProtocolError('bad_request', 'delete needs a message id "ref"');
      return { type: 'delete', ref: m.ref };
    case 'read':
      if (typeof m.ref !== 'string' || !isEventId(m.ref)) throw new ProtocolError('bad_request', 'read needs a message id "ref"');
      return { type: 'read', ref: m.ref };
    case 'ping':
      return { type: 'ping' };
    default:
      throw new ProtocolError('bad_request', 'unknown message type');
  }
}

function clock(t: string): string {
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '--:--:--';
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** How a text line marks what it shows, after the time: the original system's notation. */
const TEXT_MARKS = { join: '-->', leave: '<--', color: '***', nick: '***', roll: '***', topic: '***', announce: '***', info: '***' } as const;

/**
 * The original system's human-readable line, for `?format=text` and `tailroom tail`:
 * continuation lines indented and control characters shown, whatever a log holds.
 */
export function formatText(m: ServerMessage): string {
  return safeLines(textLine(m));
}

function textLine(m: ServerMessage): string {
  const at = 't' in m && typeof m.t === 'string' ? `[${clock(m.t)}] ` : '';
  switch (m.type) {
    case 'signal':
      return `${at}*** signal from ${m.from}`;
    case 'status':
      return `${at}*** ${m.from}: call ${m.call ? 'on' : 'off'}, preview ${m.preview ? 'on' : 'off'}`;
    case 'users':
      return `*** here: ${m.users.map((u) => u.name).join(', ')}`;
    case 'welcome':
      return `*** welcome to ${m.room}, ${m.you.name}. Here: ${m.users.map((u) => u.name).join(', ')}`;
    case 'pong':
      return '*** pong';
    case 'invite':
      return `${at}*** ${m.from} invites you to ${m.room}: ${m.href}`;
  }
  const d = describe(m);
  switch (d.kind) {
    case 'msg':
      if (d.deleted) return `${at}${TEXT_MARKS.info} ${d.from}: message deleted`;
      return `${at}${d.from}> ${d.edited ? '(edited) ' : ''}${d.text}`;
    case 'edit':
      return isRedacted(d.text) ? `${at}${TEXT_MARKS.info} ${d.from}: message deleted` : `${at}${d.from}> (edited) ${d.text}`;
    case 'delete':
      return `${at}${TEXT_MARKS.info} message deleted by ${d.from}`;
    case 'me':
      return `${at}* ${d.from} ${d.text}`;
    case 'whisper':
      return `${at}${d.from} -> ${d.to}: ${d.text}`;
    case 'announce':
      return `${at}${TEXT_MARKS.announce} ${d.text}`;
    case 'topic':
      return `${at}${TEXT_MARKS.topic} ${d.from} ${d.note}: ${d.text}`;
    case 'info':
      return `${at}${TEXT_MARKS.info} ${d.note}`;
    case 'error':
      return `${at}!!! ${d.code}: ${d.note}`;
    default:
      return `${at}${TEXT_MARKS[d.kind]} ${d.from} ${d.note}`;
  }
}

/** Parse one stored line; undefined for anything that is not a well-formed event. */
export function parseEventLine(line: string): RoomEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line) as RoomEvent;
    return typeof v === 'object' && v !== null && typeof v.type === 'string' && typeof v.id === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
