// sessions/<id>: who a browser is. The id is 32 random bytes (base64url), validated
// before it is ever joined into a path; the file is JSON written by temp + rename. Only
// ids the server made become files (src/pages/settings.ts); the file's mtime says when
// the session was last used.

import { closeSync, fstatSync, futimesSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCookie } from 'cookie';
import { type DataDir, sessionPath, sessionSecretPath } from './datadir.js';
import { writeJsonAtomic } from './jsonl.js';
import { isValid, validateSessionId, validateUserName } from './names.js';

export const SESSION_COOKIE = 'tailroom_session';

/** A session used again after this long gets its mtime refreshed: at most one write a day. */
export const SEEN_REFRESH_MS = 24 * 60 * 60 * 1000;

const SECRET_BYTES = 32;

export interface Session {
  name: string;
  color: string;
  created: string;
  /** When the session was last saved; its file's mtime is when it was last used. */
  seen: string;
  /** Written by older versions (derived from the id alone): never trusted, dropped on the next save. */
  csrf?: string;
  /** The registered name this session proved the password of, and the seal of the hash it proved (void when the password changes). */
  proved?: { name: string; seal: string };
  /** Rooms this session may enter: room -> the seal of the room key when granted ('' for none), void when the key changes. */
  grants?: Record<string, string>;
}

/** Most rooms one session holds grants for: the oldest go first. */
export const MAX_GRANTS = 200;

/** The grant a session holds for a room, or undefined (own properties only: a room may be called `constructor`). */
export function grantOf(s: Session | undefined, room: string): string | undefined {
  const g = s?.grants;
  return g && typeof g === 'object' && Object.hasOwn(g, room) && typeof g[room] === 'string' ? g[room] : undefined;
}

/** The session with a grant for `room` added (the newest last, the oldest dropped past MAX_GRANTS). */
export function withGrant(s: Session, room: string, seal: string): Session {
  const grants = Object.entries(s.grants && typeof s.grants === 'object' ? s.grants : {}).filter(([r]) => r !== room);
  grants.push([room, seal]);
  return { ...s, grants: Object.fromEntries(grants.slice(-MAX_GRANTS)) };
}

export function newSessionId(): string {
  // node:crypto on first use: the room handler reads sessions but never makes one.
  return process.getBuiltinModule('node:crypto').randomBytes(32).toString('base64url');
}

/** The session id from a Cookie header, or undefined when absent or malformed. */
export function sessionIdFromCookie(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader || cookieHeader.length > 8192) return undefined;
  let value: string | undefined;
  try {
    value = parseCookie(cookieHeader)[SESSION_COOKIE];
  } catch {
    return undefined;
  }
  return value !== undefined && isValid(validateSessionId, value) ? value : undefined;
}

/**
 * The session stored under `id`, or undefined. Given `now`, a session last used more than
 * SEEN_REFRESH_MS ago gets its mtime set to `now`, so `tailroom prune` keeps sessions in
 * use: a touch of the metadata, not a rewrite, so it can never undo a concurrent save.
 */
export function readSession(d: DataDir, id: string, now?: number): Session | undefined {
  let fd: number;
  try {
    fd = openSync(sessionPath(d, validateSessionId(id)), 'r');
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(readFileSync(fd, 'utf8')) as Session;
    if (typeof s.name !== 'string' || !isValid(validateUserName, s.name)) return undefined;
    if (now !== undefined && now - fstatSync(fd).mtimeMs > SEEN_REFRESH_MS) touch(fd, now);
    // The checked form is the one used: a hand-edited NFD name would be another path.
    return { ...s, name: s.name.normalize('NFC'), color: typeof s.color === 'string' ? s.color : '' };
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function touch(fd: number, now: number): void {
  try {
    futimesSync(fd, now / 1000, now / 1000);
  } catch {
    /* a file an admin owns: prune falls back to its `seen` */
  }
}

export function writeSession(d: DataDir, id: string, s: Session): void {
  mkdirSync(d.sessions, { recursive: true, mode: 0o700 });
  writeJsonAtomic(sessionPath(d, validateSessionId(id)), s);
}

/**
 * The server's secret for CSRF tokens, made on first use: 32 random bytes, mode 0600.
 * Written whole to a temp file and hard-linked into place, which fails if the secret
 * exists: of two first page views racing, one links, and both then read the same secret.
 */
export function sessionSecret(d: DataDir): Buffer {
  const path = sessionSecretPath(d);
  const existing = readSecret(path);
  if (existing) return existing;
  mkdirSync(d.sessions, { recursive: true, mode: 0o700 });
  const { randomBytes } = process.getBuiltinModule('node:crypto');
  // `.tmp-` like every temp file in sessions/: `tailroom prune` removes one left by a crash.
  const tmp = join(d.sessions, `.tmp-secret-${process.pid}-${randomBytes(6).toString('hex')}`);
  writeFileSync(tmp, randomBytes(SECRET_BYTES), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  const made = readSecret(path);
  if (!made) throw new Error(`${path} was removed while it was made`);
  return made;
}

function readSecret(path: string): Buffer | undefined {
  let b: Buffer;
  try {
    b = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  // A damaged (short) secret would make tokens guessable: refuse it rather than use it.
  if (b.length < SECRET_BYTES) throw new Error(`${path} is shorter than ${SECRET_BYTES} bytes: remove it and a new one is made`);
  return b;
}
