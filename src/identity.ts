// Who a request is: the name an SSO proxy vouches for (trusted_user_header), else the
// browser's session, else the default. Pages and the room handler both ask here, so a
// chatter's name is the same on the settings page and in the room.

import { defaultColor } from './shared/colors.js';
import type { Config } from './config.js';
import type { DataDir } from './store/datadir.js';
import { isValid, validateUserName } from './store/names.js';
import { type Session, readSession, sessionIdFromCookie } from './store/sessions.js';
import { type CgiEnv, type CgiRequest, cgiHeader } from './request.js';

export interface Identity {
  name: string;
  color: string;
  /** Where the name came from. */
  source: 'trusted' | 'session' | 'default';
  sessionId?: string;
  session?: Session;
}

/** What a request says about who it is: its session cookie, its peer, its headers. */
export type IdentityRequest = Pick<CgiRequest, 'cookie' | 'remoteAddr'> & { env?: CgiEnv };

export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

/**
 * The name in the trusted header, or undefined. Only when websocketd listens on loopback
 * (so every request came through the local proxy, which sets or strips the header) and
 * the request itself came from loopback; a name that would be an unsafe path is ignored.
 */
export function trustedUserName(cfg: Config, req: IdentityRequest): string | undefined {
  const header = cfg.server.trusted_user_header.trim();
  if (header === '' || !isLoopback(cfg.server.host)) return undefined;
  if (req.remoteAddr !== undefined && !isLoopback(req.remoteAddr)) return undefined;
  const value = cgiHeader(req.env ?? {}, header)?.trim();
  return value && isValid(validateUserName, value) ? value.normalize('NFC') : undefined;
}

/** A colour from a file someone may have edited: only #rrggbb goes into a page or a message. */
export function safeColor(color: string | undefined, name: string): string {
  return color && /^#[0-9a-f]{6}$/.test(color) ? color : defaultColor(name);
}

/** Reading a session counts as using it: see readSession for the refresh of its mtime. */
export function identify(cfg: Config, d: DataDir, req: IdentityRequest, now = Date.now()): Identity {
  const sessionId = sessionIdFromCookie(req.cookie);
  const session = sessionId ? readSession(d, sessionId, now) : undefined;
  const trusted = trustedUserName(cfg, req);
  if (trusted !== undefined) return { name: trusted, color: safeColor(session?.color, trusted), source: 'trusted', sessionId, session };
  if (session) return { name: session.name, color: safeColor(session.color, session.name), source: 'session', sessionId, session };
  const name = validateUserName(cfg.chat.default_name);
  return { name, color: defaultColor(name), source: 'default', sessionId };
}
