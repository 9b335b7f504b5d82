// Who may enter a room and who may use a name: one rule, asked by the room handler
// before it joins, by every page before it shows a room, and by the CLI. The rules are
// files (rooms/<room>.ini, names/<name>, grants in sessions/<id>), see docs/design.md.

import { readdirSync } from 'node:fs';
import type { Identity } from './identity.js';
import type { DataDir } from './store/datadir.js';
import { sealOf } from './store/passwords.js';
import { readRegistration, registeredNames } from './store/registry.js';
import { PUBLIC, type RoomSettings, readRoomSettings } from './store/roomsettings.js';
import { grantOf } from './store/sessions.js';

/**
 * The registered name this identity has proved, or undefined: the SSO proxy's name, or
 * the session's proof while it matches the name's current password hash.
 */
export function provedName(d: DataDir, id: Identity): string | undefined {
  if (id.source === 'trusted') return id.name;
  const proof = id.session?.proved;
  if (!proof || typeof proof.name !== 'string' || typeof proof.seal !== 'string') return undefined;
  const reg = readRegistration(d, proof.name);
  return reg?.hash && sealOf(reg.hash) === proof.seal ? proof.name : undefined;
}

/**
 * Whether this identity may be called `name`: it is not registered (nor looks like a
 * registered name), or it is the one this identity proved.
 */
export function mayUseName(d: DataDir, id: Identity, proved = provedName(d, id)): (name: string) => boolean {
  const ownerOf = registeredNames(d);
  return (name) => {
    const owner = ownerOf(name);
    return owner === undefined || (owner === proved && name === proved);
  };
}

export type Refusal = 'password' | 'private' | 'damaged';

export interface Access {
  ok: boolean;
  /** Why not, when not. */
  refusal?: Refusal;
  settings: RoomSettings;
  /** The room's .ini problems (damaged). */
  problems: string[];
  /** The proved name is one of the room's operators. */
  operator: boolean;
  /** Shown in the room list and the history index. */
  listed: boolean;
}

/** What the refusals say, the same on a page, in the handler's error and in the CLI. */
export const REFUSALS: Record<Refusal, string> = {
  password: 'this room needs a password: enter it on the room page',
  private: 'this room is private: ask one of its operators for an invite',
  damaged: 'this room is closed: its settings file has errors an admin must fix (tailroom room show)',
};

export function roomAccess(d: DataDir, room: string, id: Identity, proved = provedName(d, id)): Access {
  const read = readRoomSettings(d, room);
  const s = read.settings;
  if (read.problems.length) return { ok: false, refusal: 'damaged', settings: s, problems: read.problems, operator: false, listed: false };
  const operator = operates(s, proved);
  const member = operator || (proved !== undefined && s.members.includes(proved));
  const grant = grantOf(id.session, room);
  const granted = grant !== undefined && grant === keySeal(s);
  let refusal: Refusal | undefined;
  if (!member && !granted) {
    if (s.key) refusal = 'password';
    else if (s.visibility === 'private') refusal = 'private';
  }
  const ok = refusal === undefined;
  return { ok, refusal, settings: s, problems: [], operator, listed: s.visibility === 'public' || (ok && (member || granted)) };
}

function operates(s: RoomSettings, proved: string | undefined): boolean {
  return proved !== undefined && s.operators.includes(proved);
}

/** Whether the proved name is an operator of `room` now (its .ini read again; a damaged one has none). */
export function isOperator(d: DataDir, room: string, proved: string | undefined): boolean {
  if (proved === undefined) return false;
  const read = readRoomSettings(d, room);
  return read.problems.length === 0 && operates(read.settings, proved);
}

/** What a grant for this room must hold: the seal of its key, '' for a room without one. */
export function keySeal(s: RoomSettings): string {
  return s.key ? sealOf(s.key) : '';
}

const OPEN: Access = Object.freeze({ ok: true, settings: PUBLIC, problems: [], operator: false, listed: true });

/**
 * roomAccess for a listing of many rooms (the room list, the history index): one readdir
 * of rooms/ says which rooms have a .ini, and a room without one is public with no read
 * of its own. A failed open a room (a thrown error each) cost 60-80 ms of CPU in a fresh
 * page process for 1,000 rooms; this is under 1 ms. A .ini made after the readdir shows
 * from the next view on; a listing opens nothing by itself: the chat page and the
 * handler ask roomAccess again.
 */
export function accessForListing(d: DataDir, id: Identity, proved = provedName(d, id)): (room: string) => Access {
  let configured: Set<string>;
  try {
    configured = new Set(
      readdirSync(d.rooms)
        .filter((f) => f.endsWith('.ini'))
        .map((f) => f.slice(0, -'.ini'.length)),
    );
  } catch {
    return (room) => roomAccess(d, room, id, proved); // each room says for itself why not
  }
  return (room) => (configured.has(room) ? roomAccess(d, room, id, proved) : OPEN);
}
