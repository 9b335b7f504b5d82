// The chat page: the room named in the query, in the shared layout: templates/chat.hbs
// is the shell, the browser client (src/web/, bundled to htdocs/build/app.js) brings it
// to life. The room name is validated here exactly as the handler will validate it, and
// the page asks the same question the handler asks before joining (src/access.ts): a
// password room shows a password form first (a right password puts a grant for the room
// in the session), a private or damaged room a 403 that says why.

import { type Access, keySeal, provedName, roomAccess } from '../access.js';
import { type Identity, identify } from '../identity.js';
import { withGrant } from '../store/sessions.js';
import { checkForm, checkPassword, clientAddr, formSession, roomCounters, saveSession, sessionCookie } from './forms.js';
import { type PageContext, type PageHandler, type PageRequest, type PageResponse, HttpError, allowMethods, param, redirect, requestedRoom } from './http.js';
import { page } from './layout.js';
import { privateMessage, refusalMessage } from './refusals.js';
import { historyHref, roomHref } from './rooms.js';

/** The WebSocket URL of a room, for people and programs: public_url when set, else what the browser used. */
export function webSocketUrl(room: string, publicUrl: string, host: string | undefined, https: boolean): string {
  const base = publicUrl || `${https ? 'https' : 'http'}://${host || '127.0.0.1'}/`;
  try {
    const u = new URL(encodeURIComponent(room), base.endsWith('/') ? base : `${base}/`);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  } catch {
    return `/${encodeURIComponent(room)}`;
  }
}

export const chatPage: PageHandler = async (req, ctx) => {
  allowMethods(req, 'GET', 'POST');
  const { cfg, d, now } = ctx;
  const raw = param(req.query, 'room');
  if (raw === undefined) throw new HttpError(400, 'Which room? This page needs ?room=name.');
  const room = requestedRoom(raw);
  const me = identify(cfg, d, req, now.getTime());
  const proved = provedName(d, me);
  const access = roomAccess(d, room, me, proved);
  if (access.refusal === 'damaged') throw new HttpError(403, refusalMessage('damaged'));
  if (access.refusal === 'private') throw new HttpError(403, privateMessage(proved));
  if (access.refusal === 'password') return passwordForm(req, ctx, me, room, access);
  if (req.method === 'POST') return redirect(roomHref(room)); // let in meanwhile: nothing to check

  const view = {
    room,
    me,
    topic: access.settings.topic,
    historyHref: historyHref(room),
    wsExample: webSocketUrl(room, cfg.server.public_url, req.host, req.https),
  };
  // The script is the bundle htdocs/build/app.js; it connects to this server's WebSocket
  // ('self' covers ws: and wss: of this host), shows same-site images and emoticons, and
  // plays call media (MediaStreams, blob: for received files).
  return page(
    'chat',
    view,
    { title: room, page: 'chat', user: me, scripts: ['build/app.js'], stylesheets: ['chat.css'] },
    { csp: { 'script-src': "'self'", 'connect-src': "'self'", 'media-src': "'self' blob:" } },
  );
};

/**
 * A password room without a grant: GET shows the form; a POST with the right password
 * saves a grant sealed with the room's key (void when the key changes) and goes on to
 * the room. Wrong guesses count per room and address, and per address.
 */
async function passwordForm(req: PageRequest, ctx: PageContext, me: Identity, room: string, { settings }: Access): Promise<PageResponse> {
  const { cfg, d, now } = ctx;
  const show = (token: string, error: string | undefined, status: number, headers: Record<string, string> = {}) =>
    page(
      'room-password',
      { room, csrf: token, error, action: roomHref(room) },
      { title: room, page: 'room-password', user: me },
      { status, headers, cache: 'no-store' },
    );
  if (req.method !== 'POST') {
    const { token, headers } = formSession(cfg, d, req, me);
    return show(token, undefined, 403, headers);
  }
  const id = checkForm(cfg, d, req, me, 'room page');
  const token = req.form.get('csrf') ?? '';
  // The key the guess is checked against is the one the grant is sealed with.
  const guess = await checkPassword(ctx, roomCounters(cfg, room, clientAddr(cfg, req)), req.form.get('password') ?? '', () => settings.key);
  if (guess.blocked) return show(token, guess.blocked.message, 429, guess.blocked.headers);
  if (!guess.ok) return show(token, 'Wrong password.', 403);
  saveSession(d, id, me, (s) => withGrant(s, room, keySeal(settings)), now);
  return redirect(roomHref(room), { 'Set-Cookie': sessionCookie(cfg, id, req.https) });
}
