// The room list, the front page: every room with a log file, every room the config
// describes (even empty), every room with people in it now; who is where, in their
// colours; and a form to enter (and so create) a room. The directory listing is the
// truth: `touch rooms/x.log` adds a room, `rm` removes it. A room's .ini may keep it out
// of the list (unlisted, private) or mark it as needing a password (src/access.ts).

import { readdirSync, statSync } from 'node:fs';
import { accessForListing, provedName } from '../access.js';
import type { DataDir } from '../store/datadir.js';
import { identify, safeColor } from '../identity.js';
import { isValid, validateRoom } from '../store/names.js';
import { presenceByRoom } from '../store/presence.js';
import type { UserSummary } from '../shared/protocol.js';
import { ago, dateTime, plural } from '../shared/format.js';
import { type PageHandler, HttpError, allowMethods, param, redirect, requestedRoom } from './http.js';
import { page } from './layout.js';
import { pageAsked, paginate } from './paginate.js';
import { readMarks, readOwnerOf } from '../store/readmarks.js';
import { countUnread } from '../store/unread.js';

export interface RoomInfo {
  name: string;
  description?: string;
  users: UserSummary[];
  /** Last change of the current log, if there is one. */
  mtimeMs?: number;
}

function validNames(names: Iterable<string>): string[] {
  return [...names].filter((n) => !n.startsWith('.') && isValid(validateRoom, n) && n.normalize('NFC') === n);
}

function readdirOrEmpty(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/**
 * Every room worth listing, in the order shown: configured rooms as the config lists
 * them, then rooms with people (most first), then the rest by last activity.
 */
export function listRooms(d: DataDir, configured: Record<string, string>): RoomInfo[] {
  const rooms = new Map<string, RoomInfo>();
  const get = (name: string): RoomInfo => {
    const known = rooms.get(name);
    if (known) return known;
    const r: RoomInfo = { name, users: [] };
    rooms.set(name, r);
    return r;
  };
  for (const [name, description] of Object.entries(configured)) {
    if (isValid(validateRoom, name) && description.trim() !== '') get(name).description = description.trim();
  }
  const logs = readdirOrEmpty(d.rooms)
    .filter((f) => f.endsWith('.log'))
    .map((f) => f.slice(0, -4));
  for (const name of validNames(logs)) {
    // Plain concatenation: path.join's normalising was a tenth of a 1,000-room page view.
    const st = statSync(`${d.rooms}/${name}.log`, { throwIfNoEntry: false });
    if (st) get(name).mtimeMs = st.mtimeMs; // else removed since readdir: not a room any more
  }
  const present = presenceByRoom(d);
  for (const name of validNames(present.keys())) {
    const users = (present.get(name) ?? []).map((u) => ({ name: u.name, color: safeColor(u.color, u.name) }));
    if (users.length) get(name).users = users;
  }
  const order = Object.keys(configured);
  const rank = (r: RoomInfo) => {
    const i = order.indexOf(r.name);
    return r.description !== undefined && i >= 0 ? i : order.length + (r.users.length ? 0 : 1);
  };
  return [...rooms.values()].sort(
    (a, b) => rank(a) - rank(b) || b.users.length - a.users.length || (b.mtimeMs ?? 0) - (a.mtimeMs ?? 0) || (a.name < b.name ? -1 : 1),
  );
}

/** Rooms on one page of the list: a phone should not get 1,000 at once. */
export const ROOMS_PER_PAGE = 100;
const ROOM_PAGES = { perPage: ROOMS_PER_PAGE, path: 'rooms', noun: 'rooms' };

export const roomHref = (room: string) => `chat?room=${encodeURIComponent(room)}`;
export const historyHref = (room: string) => `history?room=${encodeURIComponent(room)}`;

export const roomsPage: PageHandler = (req, { cfg, d, now }) => {
  allowMethods(req, 'GET');
  const me = identify(cfg, d, req);
  const enter = param(req.query, 'enter');
  let error: string | undefined;
  if (enter !== undefined) {
    try {
      return redirect(roomHref(requestedRoom(enter.trim())));
    } catch (e) {
      // Shown on this page, beside the form, rather than as an error page.
      if (!(e instanceof HttpError)) throw e;
      error = e.message;
    }
  }
  const pageNo = pageAsked(req.query);
  const proved = provedName(d, me);
  const accessOf = accessForListing(d, me, proved);
  // Unlisted, private (to outsiders) and damaged rooms are left out, their people too:
  // one read of rooms/<room>.ini for each room that has one.
  const all = listRooms(d, cfg.rooms).flatMap((r) => {
    const access = accessOf(r.name);
    if (!access.listed) return [];
    // A password room is listed, but who is in it and its history are for those let in.
    return [access.ok ? { ...r, settings: access.settings, locked: false } : { ...r, users: [], settings: access.settings, locked: true }];
  });
  const shown = paginate(all, pageNo, ROOM_PAGES);
  // The visitor's read markers: one small file; only rooms shown with a marker read a log tail.
  const owner = readOwnerOf(proved, me.session ? me.sessionId : undefined);
  const marks = owner ? readMarks(d, owner) : new Map<string, string>();
  const unreadIn = (r: (typeof all)[number]): string | undefined => {
    const mark = r.locked || r.mtimeMs === undefined ? undefined : marks.get(r.name);
    if (mark === undefined) return undefined;
    const u = countUnread(`${d.rooms}/${r.name}.log`, mark);
    return u.count === 0 ? undefined : `${u.count}${u.more ? '+' : ''}`;
  };
  const rooms = shown.items.map((r) => ({
    name: r.name,
    description: r.description ?? r.settings.description,
    topic: r.settings.topic,
    locked: r.locked,
    password: r.settings.key !== undefined,
    users: r.users,
    unread: unreadIn(r),
    here: r.locked ? 'enter with its password' : r.users.length ? `${r.users.length} here` : 'nobody here',
    chatHref: roomHref(r.name),
    historyHref: r.mtimeMs !== undefined && !r.locked ? historyHref(r.name) : undefined,
    active: r.mtimeMs !== undefined ? ago(new Date(r.mtimeMs), now) : undefined,
    activeExact: r.mtimeMs !== undefined ? dateTime(new Date(r.mtimeMs)) : undefined,
    activeIso: r.mtimeMs !== undefined ? new Date(r.mtimeMs).toISOString() : undefined,
  }));
  const people = all.reduce((n, r) => n + r.users.length, 0);
  const view = {
    rooms,
    summary: `${plural(all.length, 'room')}, ${plural(people, 'person', 'people')} chatting${shown.position ? ` · ${shown.position}` : ''}`,
    prevHref: shown.prevHref,
    nextHref: shown.nextHref,
    error,
    value: error ? enter : '',
    me,
  };
  return page('rooms', view, { title: 'Rooms', page: 'rooms', current: 'rooms', user: me }, { status: error ? 400 : 200 });
};
