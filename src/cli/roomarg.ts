// The room an admin verb acts on: validated like any name that becomes a path, and
// known to exist, so a typo does not silently create rooms/lobbby.log.

import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { type DataDir, roomLogPath } from '../store/datadir.js';
import { NameError, validateRoom, validateUserName } from '../store/names.js';
import { hasPresenceDir } from '../store/presence.js';

/** The command line itself is wrong: exit status 2, as for a yargs usage error. */
export class UsageError extends Error {}

export function roomArg(raw: string): string {
  try {
    return validateRoom(raw);
  } catch (e) {
    if (e instanceof NameError) throw new UsageError(`bad room name "${raw.slice(0, 80)}": ${e.message}`);
    throw e;
  }
}

export function userArg(raw: string): string {
  try {
    return validateUserName(raw);
  } catch (e) {
    if (e instanceof NameError) throw new UsageError(`bad user name "${raw.slice(0, 80)}": ${e.message}`);
    throw e;
  }
}

/** A room exists if it has a log, a description in the config, or people in users/. */
export function isKnownRoom(cfg: Config, d: DataDir, room: string): boolean {
  return existsSync(roomLogPath(d, room)) || Object.hasOwn(cfg.rooms, room) || hasPresenceDir(d, room);
}

export function requireRoom(cfg: Config, d: DataDir, room: string): void {
  if (!isKnownRoom(cfg, d, room)) {
    throw new Error(`no room called ${room} in ${d.rooms} (touch ${roomLogPath(d, room)} creates it)`);
  }
}
