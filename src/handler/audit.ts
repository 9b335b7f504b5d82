// The audit trail: one line when a chatter joins and one when the connection ends, with
// the client's address, so an admin can answer "who was connected from where, and when"
// with grep. The line goes to server.audit_log, or to stderr, which websocketd copies to
// its own log (journald under systemd).
//
// Behind a reverse proxy every connection comes from the proxy: the client's address is
// in X-Forwarded-For, which anyone can also send. It is believed only as far as the hops
// that appended to it are proxies the admin named (server.trusted_proxies).

import { BlockList } from 'node:net';
import { isAbsolute, join } from 'node:path';
import type { Config } from '../config.js';
import type { CgiRequest } from '../request.js';
import { appendLine } from '../store/jsonl.js';
import { logLine, warn } from '../warn.js';

/** How a connection began or ended: joined, then closed, kicked, lost or removed; or refused before joining. */
export type AuditOutcome = 'joined' | 'closed' | 'kicked' | 'lost' | 'removed' | 'refused';

export interface AuditEntry {
  time: Date;
  addr: string;
  room: string;
  name: string;
  outcome: AuditOutcome;
  pid: number;
}

/**
 * 4, 6 or 0 like net.isIP, without its IPv6 regular expression: compiling that took
 * ~25 ms of every handler's start. IPv6 is checked by inet_pton, through a BlockList.
 */
function ipFamily(a: string): 0 | 4 | 6 {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(a);
  if (v4) return v4.slice(1).every((o) => Number(o) <= 255 && (o === '0' || !o.startsWith('0'))) ? 4 : 0;
  if (!a.includes(':') || !/^[0-9a-f:.]+$/i.test(a)) return 0;
  try {
    new BlockList().addAddress(a, 'ipv6');
    return 6;
  } catch {
    return 0;
  }
}

/** `::ffff:10.0.0.1` is 10.0.0.1; `[::1]:443` and `10.0.0.1:443` lose their port. */
function bareAddress(raw: string): string | undefined {
  let a = raw.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a)?.[1];
  if (bracketed !== undefined) a = bracketed;
  else if (/^[\d.]+:\d+$/.test(a)) a = a.slice(0, a.lastIndexOf(':'));
  a = a.replace(/%.*$/, '').toLowerCase(); // an IPv6 zone says nothing about who it was
  if (/^::ffff:\d+\.\d+\.\d+\.\d+$/.test(a)) a = a.slice(7);
  return ipFamily(a) ? a : undefined;
}

/** "127.0.0.1, ::1, 10.0.0.0/8" → a matcher; an entry that is no address is a config error. */
export function trustedProxies(list: string): (addr: string) => boolean {
  const block = new BlockList();
  for (const raw of list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [host = '', bits] = raw.split('/');
    const a = bareAddress(host);
    if (!a) throw new Error(`server.trusted_proxies: "${raw}" is not an address or a CIDR range`);
    const type = ipFamily(a) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) block.addAddress(a, type);
    else block.addSubnet(a, Number(bits), type);
  }
  return (addr) => {
    const a = bareAddress(addr);
    return a !== undefined && block.check(a, ipFamily(a) === 6 ? 'ipv6' : 'ipv4');
  };
}

/**
 * The client's address: REMOTE_ADDR, unless that is a trusted proxy; then the
 * X-Forwarded-For entries from the right, skipping trusted proxies, up to the first one
 * that is not (what the last trusted proxy saw). Entries left of it are the client's own
 * claims and are never used.
 */
export function clientAddress(req: Pick<CgiRequest, 'remoteAddr' | 'forwardedFor'>, trusted: (addr: string) => boolean): string {
  const peer = bareAddress(req.remoteAddr ?? '') ?? 'unknown';
  if (peer === 'unknown' || !trusted(peer)) return peer;
  const hops = (req.forwardedFor ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  let addr = peer;
  for (const raw of hops.reverse()) {
    const hop = bareAddress(raw);
    if (hop === undefined) break; // garbage in the header: stop at the last address we can vouch for
    addr = hop;
    if (!trusted(hop)) break;
  }
  return addr;
}

/** A value as it appears in the line: bare when plain, else JSON-quoted. */
function field(value: string): string {
  return /^[^\s"=\\]+$/u.test(value) ? value : JSON.stringify(value);
}

export function formatAudit(e: AuditEntry): string {
  return `${e.time.toISOString()} tailroom-audit addr=${field(e.addr)} room=${field(e.room)} name=${field(e.name)} outcome=${e.outcome} pid=${e.pid}`;
}

/** Where the lines go: the configured file (relative = under the data dir), else stderr. */
export function auditPath(cfg: Config): string | undefined {
  const p = cfg.server.audit_log.trim();
  if (p === '') return undefined;
  return isAbsolute(p) ? p : join(cfg.dataDir, p);
}

let trustedMemo: { list: string; check: (addr: string) => boolean } | undefined;
/** A connection writes two audit lines (join and leave): build the list once. */
function trustedOnce(list: string): (addr: string) => boolean {
  if (trustedMemo?.list !== list) trustedMemo = { list, check: trustedProxies(list) };
  return trustedMemo.check;
}

/** The client's address for this connection, believing only server.trusted_proxies. */
export function connectionAddress(cfg: Config, req: CgiRequest): string {
  return clientAddress(req, trustedOnce(cfg.server.trusted_proxies));
}

/**
 * Write one audit line for this connection. Never throws: a full disk or a bad setting
 * must not cost anyone their chat, so a failure is reported on stderr instead. Without a
 * CGI request there is no connection to account for (a chatter run in-process, as
 * the unit tests do), so nothing is written.
 */
export function audit(cfg: Config, req: CgiRequest | undefined, room: string, name: string, outcome: AuditOutcome): void {
  if (req === undefined) return;
  let line: string;
  try {
    line = formatAudit({ time: new Date(), addr: connectionAddress(cfg, req), room, name, outcome, pid: process.pid });
  } catch (e) {
    warn(`audit: ${(e as Error).message}`);
    return;
  }
  const path = auditPath(cfg);
  if (path === undefined) {
    logLine(line);
    return;
  }
  // One O_APPEND write per line, as the room logs: many handlers share the file.
  void appendLine(path, line, { mkdir: true }).catch((e: unknown) => warn(`audit: ${(e as Error).message}; ${line}`));
}
