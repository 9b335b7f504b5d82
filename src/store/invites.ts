// rooms/<room>.invites/<token>: invite links. A token is 24 random bytes (base64url),
// the file holds how many uses are left and until when; opening the link spends one
// use under the file's lock, so a one-use link admits one session however many open it
// at once. A spent or expired file stays (so its page can say so) until `tailroom prune`.

import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type DataDir, invitesDir } from './datadir.js';
import { writeJsonAtomic } from './jsonl.js';
import { properLockfile } from './lockfile.js';
import { validateRoom } from './names.js';

export interface Invite {
  created: string;
  /** Who made it: an operator's name, or `admin` for the CLI. */
  by: string;
  /** For whom, when it was sent to someone's inbox (informative: the link is what counts). */
  for?: string;
  /** Uses left; 0 = spent. */
  left: number;
  /** ISO time after which it admits nobody. */
  expires: string;
}

export const DEFAULT_INVITE_USES = 1;
export const DEFAULT_INVITE_TTL_MS = 7 * 24 * 3600 * 1000;
export const MAX_INVITE_USES = 10000;

export type InviteOutcome = 'ok' | 'invalid' | 'spent' | 'expired';

export function isInviteToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{32}$/.test(token);
}

function tokenPath(d: DataDir, room: string, token: string): string {
  if (!isInviteToken(token)) throw new Error('malformed invite token');
  return join(invitesDir(d, validateRoom(room)), token);
}

function read(path: string): Invite | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<Invite>;
    if (typeof v.left !== 'number' || typeof v.expires !== 'string' || Number.isNaN(Date.parse(v.expires))) return undefined;
    return v as Invite;
  } catch {
    return undefined;
  }
}

export function makeInvite(
  d: DataDir,
  room: string,
  opts: { by: string; for?: string; uses?: number; ttlMs?: number; now?: Date },
): { token: string; invite: Invite } {
  const now = opts.now ?? new Date();
  const token = process.getBuiltinModule('node:crypto').randomBytes(24).toString('base64url');
  const invite: Invite = {
    created: now.toISOString(),
    by: opts.by,
    ...(opts.for ? { for: opts.for } : {}),
    left: Math.min(Math.max(1, Math.floor(opts.uses ?? DEFAULT_INVITE_USES)), MAX_INVITE_USES),
    expires: new Date(now.getTime() + (opts.ttlMs ?? DEFAULT_INVITE_TTL_MS)).toISOString(),
  };
  mkdirSync(invitesDir(d, validateRoom(room)), { recursive: true, mode: 0o700 });
  writeJsonAtomic(tokenPath(d, room, token), invite);
  return { token, invite };
}

/** The link an invite is, relative to the chat page (the join page spends it). */
export function inviteHref(room: string, token: string): string {
  return `join?room=${encodeURIComponent(room)}&invite=${token}`;
}

/** Whether an invite still admits anyone. */
export function inviteState(inv: Invite, now: number): Exclude<InviteOutcome, 'invalid'> {
  if (Date.parse(inv.expires) <= now) return 'expired';
  return inv.left > 0 ? 'ok' : 'spent';
}

/** What opening the link would do, without spending it (the page that asks "join?"). */
export function peekInvite(d: DataDir, room: string, token: string, now = new Date()): InviteOutcome {
  if (!isInviteToken(token)) return 'invalid';
  const inv = read(tokenPath(d, room, token));
  return inv ? inviteState(inv, now.getTime()) : 'invalid';
}

/** Spend one use: 'ok' only for the one that got it. */
export async function useInvite(d: DataDir, room: string, token: string, now = new Date()): Promise<InviteOutcome> {
  if (peekInvite(d, room, token, now) !== 'ok') return peekInvite(d, room, token, now);
  const path = tokenPath(d, room, token);
  const release = await (await properLockfile()).lock(path, { realpath: false, stale: 10000, retries: { retries: 100, minTimeout: 5, maxTimeout: 50 } });
  try {
    const inv = read(path);
    if (!inv) return 'invalid';
    const state = inviteState(inv, now.getTime());
    if (state === 'ok') writeJsonAtomic(path, { ...inv, left: inv.left - 1 });
    return state;
  } finally {
    await release().catch(() => undefined);
  }
}

/**
 * Since when an invite admits nobody: its expiry, or its last use (the use rewrote the
 * file), or, for a file that does not parse, its last change; the future for an open one.
 */
export function inviteDeadSince(d: DataDir, room: string, token: string): number {
  const path = tokenPath(d, room, token);
  const mtime = statSync(path).mtimeMs;
  const inv = read(path);
  if (!inv) return mtime;
  return inv.left <= 0 ? Math.min(mtime, Date.parse(inv.expires)) : Date.parse(inv.expires);
}

/** Remove an invite: its link admits nobody more. False when there is none. */
export function revokeInvite(d: DataDir, room: string, token: string): boolean {
  if (!isInviteToken(token)) return false;
  try {
    rmSync(tokenPath(d, room, token));
    return true;
  } catch {
    return false;
  }
}

export function listInvites(d: DataDir, room: string): { token: string; invite: Invite }[] {
  let files: string[];
  try {
    files = readdirSync(invitesDir(d, validateRoom(room)));
  } catch {
    return [];
  }
  return files.filter(isInviteToken).flatMap((token) => {
    const invite = read(tokenPath(d, room, token));
    return invite ? [{ token, invite }] : [];
  });
}
