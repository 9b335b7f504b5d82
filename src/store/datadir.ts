// The layout of the data directory (docs/design.md). Callers pass names that
// already went through names.ts; join() here never sees a raw user string.

import { join } from 'node:path';

export interface DataDir {
  root: string;
  rooms: string;
  users: string;
  sessions: string;
  /** Registered names (src/store/registry.ts). */
  names: string;
}

export function dataDir(root: string): DataDir {
  return { root, rooms: join(root, 'rooms'), users: join(root, 'users'), sessions: join(root, 'sessions'), names: join(root, 'names') };
}

export function roomLogPath(d: DataDir, room: string): string {
  return join(d.rooms, `${room}.log`);
}

export function roomUsersDir(d: DataDir, room: string): string {
  return join(d.users, room);
}

export function presenceDir(d: DataDir, room: string, name: string): string {
  return join(d.users, room, name);
}

export function infoPath(d: DataDir, room: string, name: string): string {
  return join(d.users, room, name, 'info');
}

export function inboxPath(d: DataDir, room: string, name: string): string {
  return join(d.users, room, name, 'inbox');
}

export function sessionPath(d: DataDir, id: string): string {
  return join(d.sessions, id);
}

/** The server's key for CSRF tokens: a dot file, so no session id can name it. */
export function sessionSecretPath(d: DataDir): string {
  return join(d.sessions, '.secret');
}

/** One file per history search running on a host (src/store/searchslots.ts). */
export function searchSlotsDir(d: DataDir): string {
  return join(d.root, '.searches');
}

/** A registered name: its password hash (src/store/registry.ts). */
export function registrationPath(d: DataDir, name: string): string {
  return join(d.names, name);
}

/** A room's settings: who may enter, its operators, its topic (src/store/roomsettings.ts). */
export function roomSettingsPath(d: DataDir, room: string): string {
  return join(d.rooms, `${room}.ini`);
}

/** A room's open invites, one file per token (src/store/invites.ts). */
export function invitesDir(d: DataDir, room: string): string {
  return join(d.rooms, `${room}.invites`);
}

/** Recent failed sign-ins, one file per name or address (src/store/attempts.ts). */
export function attemptsDir(d: DataDir): string {
  return join(d.root, '.attempts');
}
