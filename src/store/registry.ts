// names/<name>: registered names. A file holds the name's password hash; while it
// exists only a session that proved the password (or the SSO proxy) may use the name.
// An admin can `ls names/`, `rm names/bob` to free a name, or use `tailroom names`.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadSkeleton } from './confusables.js';
import { type DataDir, registrationPath } from './datadir.js';
import { writeJsonAtomic } from './jsonl.js';
import { readMarksPath } from './readmarks.js';
import { isValid, validateUserName } from './names.js';
import { isPasswordHash } from './passwords.js';

export interface Registration {
  /** scrypt hash (src/store/passwords.ts). */
  hash: string;
  created: string;
  /** When the password last changed. */
  changed?: string;
}

/** The registration of `name`, or undefined when it is free. A damaged file still holds the name, with no password that matches. */
export function readRegistration(d: DataDir, name: string): Registration | undefined {
  let text: string;
  try {
    text = readFileSync(registrationPath(d, validateUserName(name)), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(text) as Partial<Registration>;
    return { hash: isPasswordHash(r.hash) ? r.hash : '', created: typeof r.created === 'string' ? r.created : '', changed: r.changed };
  } catch {
    return { hash: '', created: '' };
  }
}

export function isRegistered(d: DataDir, name: string): boolean {
  return readRegistration(d, name) !== undefined;
}

/** Register a free name: false when someone registered it first (an exclusive create decides). */
export function register(d: DataDir, name: string, hash: string, now = new Date()): boolean {
  mkdirSync(d.names, { recursive: true, mode: 0o700 });
  const r: Registration = { hash, created: now.toISOString() };
  try {
    writeFileSync(registrationPath(d, validateUserName(name)), `${JSON.stringify(r)}\n`, { mode: 0o600, flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/** A new password for a registered name: every session that proved the old one loses its proof. */
export function setPassword(d: DataDir, name: string, hash: string, now = new Date()): boolean {
  const r = readRegistration(d, name);
  if (!r) return false;
  writeJsonAtomic(registrationPath(d, validateUserName(name)), { ...r, hash, changed: now.toISOString() });
  return true;
}

export function unregister(d: DataDir, name: string): boolean {
  const path = registrationPath(d, validateUserName(name));
  try {
    rmSync(path);
  } catch {
    return false;
  }
  rmSync(readMarksPath(d, { name }), { force: true }); // its read markers
  return true;
}

export function listRegistrations(d: DataDir): { name: string; registration: Registration }[] {
  let files: string[];
  try {
    files = readdirSync(d.names);
  } catch {
    return [];
  }
  return files
    .filter((f) => !f.startsWith('.') && isValid(validateUserName, f))
    .sort()
    .flatMap((name) => {
      const registration = readRegistration(d, name);
      return registration ? [{ name, registration }] : [];
    });
}

/**
 * The registered name a name is or looks like (equal TR39 skeletons: `alice` with a
 * Cyrillic a), or undefined: names/ is read once, so a join trying `Anonymous`,
 * `Anonymous1`, ... asks one directory listing, not two failed opens a name. The
 * confusables table is loaded, and the skeletons made, only for a name not registered
 * itself while something is.
 */
export function registeredNames(d: DataDir): (name: string) => string | undefined {
  let files: string[];
  try {
    files = readdirSync(d.names).filter((f) => !f.startsWith('.'));
  } catch {
    return () => undefined;
  }
  if (files.length === 0) return () => undefined;
  const exact = new Set(files);
  let bySkeleton: Map<string, string> | undefined;
  return (name) => {
    if (exact.has(name)) return name;
    const skeleton = loadSkeleton();
    bySkeleton ??= new Map(files.map((f) => [skeleton(f), f]));
    return bySkeleton.get(skeleton(name));
  };
}

/** registeredNames for one name. */
export function registeredAs(d: DataDir, name: string): string | undefined {
  return registeredNames(d)(name);
}
