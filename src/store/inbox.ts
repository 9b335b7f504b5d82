// users/<room>/<name>/inbox: JSON Lines for one chatter only (whispers, signaling,
// kicks). Appending never creates the directory: a chatter who left has no inbox, so
// a late whisper fails with no_such_user instead of resurrecting a ghost. What chatters
// send is capped at what waits unread; the owner replaces a file it has read (rotateInbox).

import { existsSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type DataDir, inboxPath, presenceDir } from './datadir.js';
import { appendLine, StorageError } from './jsonl.js';
import { isValid, validateUserName } from './names.js';
import { type InboxEntry, ProtocolError } from '../shared/protocol.js';
import { newEventId } from './eventid.js';

export type NewInboxEntry = InboxEntry extends infer E ? (E extends InboxEntry ? Omit<E, 'id' | 't'> : never) : never;

export function isPresent(d: DataDir, room: string, name: string): boolean {
  return isValid(validateUserName, name) && existsSync(presenceDir(d, room, name));
}

/** The inbox's size, 0 when it is not there (the append will say why). */
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * Deliver to one chatter; returns the stamped entry. Throws ProtocolError. With maxBytes
 * (what chatters send; an admin's kick always gets through), refuses with inbox_full once
 * the inbox would grow past it: its owner rotates it once read, so its size is, within
 * chat.inbox_rotate_bytes, what waits unread. Concurrent senders may overshoot by a line each.
 */
export async function deliver(d: DataDir, room: string, to: string, e: NewInboxEntry, sharedFs = false, maxBytes = Infinity): Promise<InboxEntry> {
  if (!isPresent(d, room, to)) throw new ProtocolError('no_such_user', `nobody called ${to.slice(0, 40)} is in ${room}`);
  const now = Date.now();
  const entry = { id: newEventId(now), t: new Date(now).toISOString(), ...e } as InboxEntry;
  const line = JSON.stringify(entry);
  const path = inboxPath(d, room, to);
  if (maxBytes !== Infinity && sizeOf(path) + Buffer.byteLength(line) + 1 > maxBytes) {
    throw new ProtocolError('inbox_full', `${to} has ${maxBytes} bytes unread waiting already: not delivered, try again later`);
  }
  try {
    await appendLine(path, line, { alwaysLock: sharedFs });
  } catch (err) {
    if (err instanceof StorageError && /ENOENT/.test(err.message)) {
      throw new ProtocolError('no_such_user', `${to} just left ${room}`);
    }
    throw err;
  }
  return entry;
}

/**
 * The owner, having read its inbox, puts an empty one in its place: an empty file renamed
 * over the path, so the path is never missing (a missing inbox means a lost presence, and
 * an append would create it). Its follower drains the old file to its end, then follows
 * the new one. Returns the new file's inode; undefined when the presence directory is gone.
 */
export function rotateInbox(path: string): number | undefined {
  const fresh = join(dirname(path), `.inbox-${process.pid}`);
  try {
    writeFileSync(fresh, '', { mode: 0o600 });
    const { ino } = statSync(fresh);
    renameSync(fresh, path);
    return ino;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
