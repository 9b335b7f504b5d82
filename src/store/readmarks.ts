// Read markers: the id of the last message a chatter has seen, per room (docs/design.md,
// "Read markers"). Kept beside a session, sessions/<id>.read, or, for a name the chatter
// proved (a registered name, an SSO name), in names/.reads/<name>, so two devices of one
// user share it. A file of its own: the pages rewrite sessions/<id> whole, and a handler
// writing that file too would race them and could lose a grant or a proof.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataDir } from './datadir.js';
import { writeJsonAtomic } from './jsonl.js';
import { validateSessionId, validateUserName } from './names.js';
import { isEventId } from '../shared/protocol.js';

/** Whose markers: a proved name's (shared by its devices) or one browser session's. */
export type ReadOwner = { name: string; session?: undefined } | { session: string; name?: undefined };

/** Most rooms one file keeps a marker for: the least recently read go first. */
export const MAX_READ_ROOMS = 200;

/** A file far bigger than MAX_READ_ROOMS markers can be is not ours: ignored, not parsed. */
const MAX_FILE_BYTES = 64 * 1024;

/** The folder under names/ that holds the names' markers: a dot, so no name can be it. */
export function nameReadsDir(d: DataDir): string {
  return join(d.names, '.reads');
}

export function readMarksPath(d: DataDir, owner: ReadOwner): string {
  return owner.name !== undefined ? join(nameReadsDir(d), validateUserName(owner.name)) : join(d.sessions, `${validateSessionId(owner.session)}.read`);
}

/** Whose markers a chatter keeps: its proved name, else its session, else nobody's (presence only). */
export function readOwnerOf(proved: string | undefined, sessionId: string | undefined): ReadOwner | undefined {
  if (proved !== undefined) return { name: proved };
  return sessionId !== undefined ? { session: sessionId } : undefined;
}

/** Every marker of `owner`, room -> id; empty when there is no file or it is damaged. Only valid ids. */
export function readMarks(d: DataDir, owner: ReadOwner): Map<string, string> {
  const marks = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(readMarksPath(d, owner), 'utf8');
  } catch {
    return marks;
  }
  if (text.length > MAX_FILE_BYTES) return marks;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return marks;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return marks;
  for (const [room, id] of Object.entries(v)) if (typeof id === 'string' && isEventId(id)) marks.set(room, id);
  return marks;
}

/** `owner`'s marker for `room`, if any. */
export function readMark(d: DataDir, owner: ReadOwner, room: string): string | undefined {
  return readMarks(d, owner).get(room);
}

/**
 * Set `owner`'s marker for `room`: read again just before the write (another tab of the
 * same owner may have moved another room's), the room moved last (the newest), the oldest
 * dropped past MAX_READ_ROOMS, then written whole by temp + rename.
 */
export function saveMark(d: DataDir, owner: ReadOwner, room: string, id: string): void {
  if (!isEventId(id)) throw new Error(`not an event id: ${id}`);
  const marks = readMarks(d, owner);
  marks.delete(room);
  marks.set(room, id);
  const kept = [...marks].slice(-MAX_READ_ROOMS);
  mkdirSync(owner.name !== undefined ? nameReadsDir(d) : d.sessions, { recursive: true, mode: 0o700 });
  writeJsonAtomic(readMarksPath(d, owner), Object.fromEntries(kept));
}
