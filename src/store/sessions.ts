// sessions/<id>: who a browser is. The id is 32 random bytes (base64url), validated
// before it is ever joined into a path; the file is JSON written by temp + rename.

import { mkdirSync, readFileSync } from 'node:fs';
import { parse as parseCookie } from 'cookie';
import { type DataDir, sessionPath } from './datadir.js';
import { writeJsonAtomic } from './jsonl.js';
import { isValid, validateSessionId, validateUserName } from './names.js';

export const SESSION_COOKIE = 'tailroom_session';

export interface Session {
  name: string;
  color: string;
  created: string;
  seen: string;
  /** Per-session secret for CSRF tokens on POST forms. */
  csrf?: string;
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

export function readSession(d: DataDir, id: string): Session | undefined {
  try {
    const s = JSON.parse(readFileSync(sessionPath(d, validateSessionId(id)), 'utf8')) as Session;
    if (typeof s.name !== 'string' || !isValid(validateUserName, s.name)) return undefined;
    // The checked form is the one used: a hand-edited NFD name would be another path.
    return { ...s, name: s.name.normalize('NFC'), color: typeof s.color === 'string' ? s.color : '' };
  } catch {
    return undefined;
  }
}

export function writeSession(d: DataDir, id: string, s: Session): void {
  mkdirSync(d.sessions, { recursive: true, mode: 0o700 });
  writeJsonAtomic(sessionPath(d, validateSessionId(id)), s);
}
