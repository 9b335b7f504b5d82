// The chat page: the room named in the query, in the shared layout: templates/chat.hbs
// is the shell, the browser client (src/web/, bundled to htdocs/build/app.js) brings it
// to life. The room name is validated here exactly as the handler will validate it.

import { identify } from '../identity.js';
import { type PageHandler, HttpError, allowMethods, param, requestedRoom } from './http.js';
import { page } from './layout.js';
import { historyHref } from './rooms.js';

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

export const chatPage: PageHandler = (req, { cfg, d }) => {
  allowMethods(req, 'GET');
  const raw = param(req.query, 'room');
  if (raw === undefined) throw new HttpError(400, 'Which room? This page needs ?room=name.');
  const room = requestedRoom(raw);
  const me = identify(cfg, d, req);
  const view = { room, me, historyHref: historyHref(room), wsExample: webSocketUrl(room, cfg.server.public_url, req.host, req.https) };
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
