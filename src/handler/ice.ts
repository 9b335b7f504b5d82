// The ICE servers a chatter's browser is given in its welcome, for calls and file
// transfers: the configured STUN and TURN servers, else the embedded STUN server at the
// host the browser used.

import type { Config } from '../config.js';
import type { IceServer } from '../shared/protocol.js';

/**
 * TURN credentials: coturn's REST-API scheme (use-auth-secret) when turn_secret is set,
 * username `<expiry>:<name>` and credential base64(HMAC-SHA1(secret, username)), so what
 * a browser reads from its welcome is its own and expires; else the static pair.
 */
export function turnCredentials(cfg: Config, user: string, now = Date.now()): { username: string; credential: string } {
  if (!cfg.stun.turn_secret) return { username: cfg.stun.turn_username, credential: cfg.stun.turn_credential };
  const username = `${Math.floor(now / 1000) + cfg.stun.turn_ttl_sec}:${user}`;
  // Loaded only here: node:crypto costs ~17 ms at start-up, and most servers have no TURN.
  const { createHmac } = process.getBuiltinModule('node:crypto');
  return { username, credential: createHmac('sha1', cfg.stun.turn_secret).update(username).digest('base64') };
}

export function iceServersFor(cfg: Config, host: string | undefined, user = ''): IceServer[] {
  const listed = cfg.stun.ice_servers
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (listed.length) {
    // TURN servers need credentials (coturn: a static user with lt-cred-mech); STUN does not.
    const turn = listed.filter((u) => /^turns?:/.test(u));
    const stun = listed.filter((u) => !/^turns?:/.test(u));
    const servers: IceServer[] = stun.length ? [{ urls: stun }] : [];
    if (turn.length) servers.push({ urls: turn, ...turnCredentials(cfg, user) });
    return servers;
  }
  // The host the browser used, without its port; IPv6 literals keep their brackets.
  const h = (host ?? cfg.server.host).replace(/:\d+$/, '') || '127.0.0.1';
  return [{ urls: `stun:${h}:${cfg.stun.port}` }];
}
