// What every page with a form shares: the session cookie, the CSRF token, the check that
// a POST came from our own site, and the limit on guessing passwords. The cookie is
// HttpOnly, SameSite=Lax, Secure when the browser came over HTTPS; a POST must come from
// our own site and carry the CSRF token of its id.
//
// Only ids the server made become files. A GET whose cookie names no session gets a fresh
// id and that id's token, and nothing is written. A POST for an id with no file is saved
// only with that id's token, an HMAC under the server's secret: only our pages show one,
// and only for an id they made (or that has a file). A made-up or planted id comes
// without a token (another site cannot read our page, nor post to it: SameSite=Lax and
// the Origin check), so it never becomes a file, and whoever sent it gets a fresh id.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { serialize } from 'cookie';
import type { Config } from '../config.js';
import { connectionAddress } from '../handler/audit.js';
import type { Identity } from '../identity.js';
import type { CgiRequest } from '../request.js';
import { dateTime } from '../shared/format.js';
import { type AttemptKind, recentFailureTimes, recordFailure } from '../store/attempts.js';
import type { DataDir } from '../store/datadir.js';
import { SESSION_COOKIE, type Session, newSessionId, sessionSecret, writeSession } from '../store/sessions.js';
import { verifyPassword } from '../store/passwords.js';
import { type PageContext, type PageRequest, HttpError } from './http.js';

const COOKIE_MAX_AGE = 365 * 24 * 3600;

/**
 * The token a form must echo: HMAC-SHA256 of the id under the server's secret, the same
 * for every session, old ones included (a `csrf` field an older version stored was
 * derived from the id alone, so it is never trusted).
 */
export function csrfToken(secret: Buffer, sessionId: string): string {
  return createHmac('sha256', secret).update(`tailroom csrf\0${sessionId}`).digest('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Browsers name the page a POST came from in Origin. Ours is the Host asked for (or the
 * one a proxy forwarded), server.public_url's or one in server.origin. No Origin (curl,
 * old browsers) leaves the decision to the token; "null" (a sandboxed frame) is refused.
 */
export function fromOurSite(cfg: Config, req: PageRequest): boolean {
  const origin = req.env.HTTP_ORIGIN;
  if (origin === undefined) return true;
  const host = hostOf(origin);
  if (host === undefined) return false;
  const ours = [req.host, req.env.HTTP_X_FORWARDED_HOST?.split(',', 1)[0]?.trim(), hostOf(cfg.server.public_url)];
  for (const o of cfg.server.origin.split(',')) ours.push(o.trim());
  return ours.some((h) => h !== undefined && h !== '' && h.toLowerCase() === host);
}

/** Behind a proxy prefix (public_url https://example.org/chat/) the cookie stays under it. */
export function cookiePath(cfg: Config): string {
  try {
    return cfg.server.public_url ? new URL(cfg.server.public_url).pathname || '/' : '/';
  } catch {
    return '/';
  }
}

export function sessionCookie(cfg: Config, id: string, secure: boolean): string {
  return serialize(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure, path: cookiePath(cfg), maxAge: COOKIE_MAX_AGE });
}

/** A form to show: its token, and the cookie of a fresh id for a visitor without a session. */
export function formSession(cfg: Config, d: DataDir, req: PageRequest, me: Identity): { token: string; headers: Record<string, string> } {
  const known = me.session ? me.sessionId : undefined;
  const id = known ?? newSessionId();
  return { token: csrfToken(sessionSecret(d), id), headers: known ? {} : { 'Set-Cookie': sessionCookie(cfg, id, req.https) } };
}

/**
 * A POST's id, once it came from our site with its id's token; else a 403 that says what
 * to reload (an id without a file is replaced, so the reload gets a form that works).
 */
export function checkForm(cfg: Config, d: DataDir, req: PageRequest, me: Identity, pageName: string): string {
  if (!fromOurSite(cfg, req)) {
    throw new HttpError(403, 'This form came from another site. If this server is behind a proxy, set server.public_url to its address.');
  }
  if (!me.sessionId) throw new HttpError(403, `Your browser sent no session cookie. Allow cookies for this site, reload the ${pageName} and try again.`);
  if (!sameToken(req.form.get('csrf') ?? '', csrfToken(sessionSecret(d), me.sessionId))) {
    const fresh: Record<string, string> = me.session ? {} : { 'Set-Cookie': sessionCookie(cfg, newSessionId(), req.https) };
    throw new HttpError(403, `This form expired or came from another site. Reload the ${pageName} and try again.`, fresh);
  }
  return me.sessionId;
}

/**
 * Save a change to the session of a checked POST: a visitor without one gets one, with
 * the name and colour it had; what else the session holds (proof, grants) is kept.
 */
export function saveSession(d: DataDir, id: string, me: Identity, change: (s: Session) => Session, now: Date): Session {
  const stamp = now.toISOString();
  const { csrf: _old, ...base } = me.session ?? { name: me.name, color: me.color, created: stamp, seen: stamp };
  const s = { ...change(base), seen: stamp };
  writeSession(d, id, s);
  return s;
}

/** The client's address, believing X-Forwarded-For only from server.trusted_proxies (as the audit log does). */
export function clientAddr(cfg: Config, req: PageRequest): string {
  return connectionAddress(cfg, { ...req, query: '' } as CgiRequest);
}

/** One counter of failed password guesses and its limit (0 = none). */
export interface Counter {
  kind: AttemptKind;
  key: string;
  limit: number;
}

/**
 * When the counters allow another guess, undefined; else when the first of them that is
 * full has room again (its oldest counted failure leaving the window). Asked before
 * hashing: a guess past the limit costs neither a hash nor a line.
 */
export function blockedUntil(d: DataDir, counters: Counter[], windowMs: number, now: number): Date | undefined {
  let until: number | undefined;
  for (const c of counters) {
    if (c.limit <= 0) continue;
    const times = recentFailureTimes(d, c.kind, c.key, windowMs, now);
    if (times.length < c.limit) continue;
    const free = (times[times.length - c.limit] ?? now) + windowMs;
    until = Math.max(until ?? 0, free);
  }
  return until === undefined ? undefined : new Date(until);
}

export function countFailure(d: DataDir, counters: Counter[], now: number): void {
  for (const c of counters) if (c.limit > 0) recordFailure(d, c.kind, c.key, now);
}

/** What a blocked guess is told: when to try again, in minutes and on the clock. */
export function tooManyMessage(until: Date, now: Date): string {
  const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60000));
  return `Too many wrong passwords. Try again in ${minutes} minute${minutes === 1 ? '' : 's'} (after ${dateTime(until)}).`;
}

export function retryAfterSeconds(until: Date, now: Date): string {
  return String(Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)));
}

/** The counters one guess at a name's password goes against. */
export function nameCounters(cfg: Config, name: string, addr: string): Counter[] {
  return [
    { kind: 'name', key: name, limit: cfg.chat.login_failures_per_name },
    { kind: 'addr', key: addr, limit: cfg.chat.login_failures_per_addr },
  ];
}

export const windowMs = (cfg: Config) => Math.max(1, cfg.chat.login_window_min) * 60_000;

interface Guess {
  ok: boolean;
  /** The hash checked against; undefined when there was none (nothing registered). */
  hash?: string;
  blocked?: { message: string; headers: Record<string, string> };
}

/**
 * A password guess against the counters: refused unhashed past their limit, and counted
 * when wrong (a right one counts nothing). Shared with the chat page's room passwords.
 */
export async function checkPassword(ctx: PageContext, counters: Counter[], password: string, hashOf: () => string | undefined): Promise<Guess> {
  const { cfg, d, now } = ctx;
  const until = blockedUntil(d, counters, windowMs(cfg), now.getTime());
  if (until) return { ok: false, blocked: { message: tooManyMessage(until, now), headers: { 'Retry-After': retryAfterSeconds(until, now) } } };
  const hash = hashOf();
  if (hash === undefined) return { ok: false };
  if (await verifyPassword(password, hash)) return { ok: true, hash };
  countFailure(d, counters, now.getTime());
  return { ok: false, hash };
}

/** A room password's counters: per room from one address (like a name's), and the address's own. */
export function roomCounters(cfg: Config, room: string, addr: string): Counter[] {
  return [
    { kind: 'addr', key: `room:${room}:${addr}`, limit: cfg.chat.login_failures_per_name },
    { kind: 'addr', key: addr, limit: cfg.chat.login_failures_per_addr },
  ];
}
