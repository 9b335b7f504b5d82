// users/<room>/<name>/inbox: JSON Lines for one chatter only (whispers, signaling,
// kicks). Appending never creates the directory: a chatter who left has no inbox, so
// a late whisper fails with no_such_user instead of resurrecting a ghost.

import { existsSync } from 'node:fs';
import { type DataDir, inboxPath, presenceDir } from './datadir.js';
import { appendLine, StorageError } from './jsonl.js';
import { isValid, validateUserName } from './names.js';
import { type InboxEntry, ProtocolError } from '../shared/protocol.js';
import { newEventId } from './eventid.js';

export type NewInboxEntry = InboxEntry extends infer E ? (E extends InboxEntry ? Omit<E, 'id' | 't'> : never) : never;

export function isPresent(d: DataDir, room: string, name: string): boolean {
  return isValid(validateUserName, name) && existsSync(presenceDir(d, room, name));
}

/** Deliver to one chatter; returns the stamped entry. Throws ProtocolError. */
export async function deliver(d: DataDir, room: string, to: string, e: NewInboxEntry, sharedFs = false): Promise<InboxEntry> {
  if (!isPresent(d, room, to)) throw new ProtocolError('no_such_user', `nobody called ${to.slice(0, 40)} is in ${room}`);
  const now = Date.now();
  const entry = { id: newEventId(now), t: new Date(now).toISOString(), ...e } as InboxEntry;
  try {
    await appendLine(inboxPath(d, room, to), JSON.stringify(entry), { alwaysLock: sharedFs });
  } catch (err) {
    if (err instanceof StorageError && /ENOENT/.test(err.message)) {
      throw new ProtocolError('no_such_user', `${to} just left ${room}`);
    }
    throw err;
  }
  return entry;
}
