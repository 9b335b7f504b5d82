// User setup: name and colour, kept in sessions/<id>; the next WebSocket that brings the
// cookie joins with them. The cookie is HttpOnly, SameSite=Lax, Secure when the browser
// came over HTTPS; a POST must carry the session's CSRF token.

import { createHash, timingSafeEqual } from 'node:crypto';
import { serialize } from 'cookie';
import { normalizeColor } from '../shared/colornames.js';
import type { Config } from '../config.js';
import { identify } from '../identity.js';
import { NameError, validateUserName } from '../store/names.js';
import { type Session, SESSION_COOKIE, newSessionId, writeSession } from '../store/sessions.js';
import { type PageHandler, type PageResponse, HttpError, allowMethods, param, redirect } from './http.js';
import { page } from './layout.js';

const COOKIE_MAX_AGE = 365 * 24 * 3600;

/**
 * The token a form must echo. A saved session keeps its own random-derived token; a
 * browser that has a cookie but no session yet gets one derived from its secret id, so
 * nothing is written to disk for a visitor who never saves.
 */
export function csrfToken(sessionId: string, session: Session | undefined): string {
  return session?.csrf ?? createHash('sha256').update(`tailroom csrf\0${sessionId}`).digest('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
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
  const me = identify(cfg, d, req);
  const trusted = me.source === 'trusted';

  if (req.method !== 'POST') {
    const id = me.sessionId ?? newSessionId();
    const state = { name: me.source === 'default' ? '' : me.name, color: me.color };
    return form(cfg, me, id, state, param(req.query, 'saved') === '1', me.sessionId ? {} : { 'Set-Cookie': sessionCookie(cfg, id, req.https) });
  }

  if (!me.sessionId) throw new HttpError(403, 'Your browser sent no session cookie. Allow cookies for this site, reload the settings page and try again.');
  const token = req.form.get('csrf') ?? '';
  if (!sameToken(token, csrfToken(me.sessionId, me.session))) {
    throw new HttpError(403, 'This form expired or came from another site. Reload the settings page and try again.');
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
    return form(cfg, me, me.sessionId, { name: trusted ? me.name : rawName, color: color ?? me.color, errors }, false, {}, 400);
  }
  const stamp = now.toISOString();
  writeSession(d, me.sessionId, {
    name,
    color,
    created: me.session?.created ?? stamp,
    seen: stamp,
    csrf: csrfToken(me.sessionId, me.session),
  });
  return redirect('settings?saved=1', { 'Set-Cookie': sessionCookie(cfg, me.sessionId, req.https) });
};

function form(
  cfg: Config,
  me: ReturnType<typeof identify>,
  sessionId: string,
  state: FormState,
  saved: boolean,
  headers: Record<string, string>,
  status = 200,
): PageResponse {
  const view = {
    ...state,
    csrf: csrfToken(sessionId, me.session),
    saved,
    trusted: me.source === 'trusted',
    placeholder: cfg.chat.default_name,
    hasErrors: Boolean(state.errors?.name || state.errors?.color),
  };
  return page('settings', view, { title: 'Settings', page: 'settings', current: 'settings', user: me }, { status, headers, cache: 'no-store' });
}
