// User setup: name and colour, kept in sessions/<id>; the next WebSocket that brings the
// cookie joins with them. The cookie is HttpOnly, SameSite=Lax, Secure when the browser
// came over HTTPS; a POST must come from our own site and carry the CSRF token of its id.
//
// Only ids the server made become files. A GET whose cookie names no session gets a fresh
// id and that id's token, and nothing is written. A POST for an id with no file is saved
// only with that id's token, an HMAC under the server's secret: only this page shows one,
// and only for an id it made (or that has a file). A made-up or planted id comes without
// a token (another site cannot read our page, nor post to it: SameSite=Lax and the Origin
// check), so it never becomes a file, and whoever sent it gets a fresh id instead.

import { createHmac, timingSafeEqual } from 'node:crypto';
import { serialize } from 'cookie';
import { normalizeColor } from '../shared/colornames.js';
import type { Config } from '../config.js';
import { identify } from '../identity.js';
import { NameError, validateUserName } from '../store/names.js';
import { SESSION_COOKIE, newSessionId, sessionSecret, writeSession } from '../store/sessions.js';
import { type PageHandler, type PageRequest, type PageResponse, HttpError, allowMethods, param, redirect } from './http.js';
import { page } from './layout.js';

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

interface FormState {
  name: string;
  color: string;
  errors?: { name?: string; color?: string };
}

export const settingsPage: PageHandler = (req, ctx) => {
  allowMethods(req, 'GET', 'POST');
  const { cfg, d, now } = ctx;
  const me = identify(cfg, d, req, now.getTime());
  const trusted = me.source === 'trusted';
  const secret = sessionSecret(d);
  /** The cookie's id when it names a stored session; any other id is never adopted. */
  const known = me.session ? me.sessionId : undefined;

  if (req.method !== 'POST') {
    const id = known ?? newSessionId();
    const state = { name: me.source === 'default' ? '' : me.name, color: me.color };
    const headers: Record<string, string> = known ? {} : { 'Set-Cookie': sessionCookie(cfg, id, req.https) };
    return form(cfg, me, csrfToken(secret, id), state, param(req.query, 'saved') === '1', headers);
  }

  if (!fromOurSite(cfg, req)) {
    throw new HttpError(403, 'This form came from another site. If this server is behind a proxy, set server.public_url to its address.');
  }
  if (!me.sessionId) throw new HttpError(403, 'Your browser sent no session cookie. Allow cookies for this site, reload the settings page and try again.');
  const token = req.form.get('csrf') ?? '';
  if (!sameToken(token, csrfToken(secret, me.sessionId))) {
    // An id without a file is replaced, so a reload gets a form that works.
    const fresh: Record<string, string> = known ? {} : { 'Set-Cookie': sessionCookie(cfg, newSessionId(), req.https) };
    throw new HttpError(403, 'This form expired or came from another site. Reload the settings page and try again.', fresh);
  }
  const rawName = (req.form.get('name') ?? '').trim();
  const rawColor = req.form.get('color') ?? '';
  const errors: FormState['errors'] = {};
  let name = me.name;
  if (!trusted) {
    try {
      name = validateUserName(rawName);
    } catch (e) {
      if (!(e instanceof NameError)) throw e;
      errors.name = rawName === '' ? 'Choose a name.' : `That name cannot be used: ${e.message}.`;
    }
  }
  const color = normalizeColor(rawColor);
  if (!color) errors.color = 'That is not a colour: use #rrggbb or a CSS colour name.';
  if (errors.name || errors.color || !color) {
    return form(cfg, me, token, { name: trusted ? me.name : rawName, color: color ?? me.color, errors }, false, {}, 400);
  }
  const stamp = now.toISOString();
  writeSession(d, me.sessionId, { name, color, created: me.session?.created ?? stamp, seen: stamp });
  return redirect('settings?saved=1', { 'Set-Cookie': sessionCookie(cfg, me.sessionId, req.https) });
};

function form(
  cfg: Config,
  me: ReturnType<typeof identify>,
  csrf: string,
  state: FormState,
  saved: boolean,
  headers: Record<string, string>,
  status = 200,
): PageResponse {
  const view = {
    ...state,
    csrf,
    saved,
    trusted: me.source === 'trusted',
    placeholder: cfg.chat.default_name,
    hasErrors: Boolean(state.errors?.name || state.errors?.color),
  };
  return page('settings', view, { title: 'Settings', page: 'settings', current: 'settings', user: me }, { status, headers, cache: 'no-store' });
}
