// How tailroom runs websocketd: the command line is data, built in one place, so the
// CLI, the systemd unit's ExecStart and the tests agree on it.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { type Config, ConfigError } from '../config.js';
import { tlsFiles } from './tls.js';
import handlerFlags from './handler-flags.json' with { type: 'json' };

/** Environment variables a handler or page needs; websocketd passes nothing else. */
export const PASSENV = ['TAILROOM_CONF', 'TAILROOM_SET', 'TZ', 'LANG', 'HOME', 'NODE_OPTIONS'];

/**
 * V8 flags for the per-connection handler: small heaps start and idle cheaper. In a JSON
 * file because the build needs them too: V8 only takes a code cache made with the same flags.
 */
export const HANDLER_NODE_FLAGS: readonly string[] = handlerFlags;

export interface WebsocketdPlan {
  bin: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** The --maxmessagebytes given; undefined when this websocketd has no such flag (the stock build). */
  readLimit: number | undefined;
}

/**
 * Whether `bin` takes --maxmessagebytes: the stock websocketd 0.4.1 reads every message
 * whole, however large (docs/design.md, Facts); bin/build-websocketd builds one that does.
 */
export function hasReadLimit(bin = 'websocketd'): boolean {
  const r = spawnSync(bin, ['--help'], { encoding: 'utf8', timeout: 5000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.includes('--maxmessagebytes');
}

/** What one process costs: a handler idles at ~7 MB private plus its share of node (README, Performance). */
const MB_PER_PROCESS = 10;

/** server.max_forks, or for 0 as many processes as half this machine's memory holds. */
export function maxForks(cfg: Config, totalBytes = totalmem()): number {
  if (cfg.server.max_forks > 0) return cfg.server.max_forks;
  return Math.max(32, Math.floor(totalBytes / 2 / (MB_PER_PROCESS * 1024 * 1024)));
}

/**
 * The service's cgroup limits for that many processes: a node process has about eleven
 * threads, and a little more than its idle memory while it works; then room for
 * websocketd and the CLI.
 */
export function serviceLimits(forks: number): { memoryMax: string; tasksMax: number } {
  return { memoryMax: `${forks * 12 + 512}M`, tasksMax: forks * 12 + 128 };
}

/**
 * Origins websocketd accepts a WebSocket from (host[:port]): server.origin, else the host
 * of server.public_url, the site the chat is published at; none = any origin.
 */
export function allowedOrigins(cfg: Config): string[] {
  const listed = cfg.server.origin
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (listed.length || !cfg.server.public_url) return listed;
  try {
    return [new URL(cfg.server.public_url).host];
  } catch {
    throw new ConfigError(`server.public_url is not a URL: "${cfg.server.public_url}"`);
  }
}

/** Room for the largest message or signal the chat takes, JSON-escaped, and then some. */
export function wsMessageLimit(cfg: Config): number {
  return cfg.server.max_ws_message_bytes > 0
    ? cfg.server.max_ws_message_bytes
    : 2 * Math.max(cfg.chat.max_message_bytes, cfg.chat.max_signal_bytes) + 64 * 1024;
}

export function websocketdPlan(
  cfg: Config,
  root: string,
  overrides: Record<string, unknown>,
  bin = 'websocketd',
  readLimitFlag = hasReadLimit(bin),
): WebsocketdPlan {
  const args = ['--port', String(cfg.server.port), '--address', cfg.server.host, '--passenv', PASSENV.join(',')];
  const cgi = join(root, 'dist', 'cgi');
  if (existsSync(cgi)) args.push('--cgidir', cgi);
  args.push('--staticdir', join(root, 'htdocs'));
  args.push('--maxforks', String(maxForks(cfg)));
  const readLimit = readLimitFlag ? wsMessageLimit(cfg) : undefined;
  if (readLimit !== undefined) args.push('--maxmessagebytes', String(readLimit));
  // One --origin with the whole list: websocketd keeps only the last of repeated flags.
  const origins = allowedOrigins(cfg);
  if (origins.length) args.push('--origin', origins.join(','));
  else if (cfg.server.trusted_user_header.trim() !== '') {
    // A signed-in user's browser would chat as them from any web page that opens a socket.
    throw new ConfigError('server.trusted_user_header needs an Origin allow-list: set server.origin (or server.public_url, whose host it then defaults to)');
  }
  if (cfg.server.tls) {
    const { cert, key } = tlsFiles(cfg);
    args.push('--ssl', '--sslcert', cert, '--sslkey', key);
  }
  args.push('--', process.execPath, ...HANDLER_NODE_FLAGS, join(root, 'dist', 'room.cjs'));
  const env = { ...process.env, TAILROOM_CONF: cfg.confPath, TAILROOM_SET: JSON.stringify(overrides) };
  return { bin, args, env, readLimit };
}

/**
 * Where people reach the chat: server.public_url, else websocketd's own address, https
 * with tls, and a wildcard listen address given as loopback (somewhere one can connect).
 */
export function serverUrl(cfg: Config): string {
  if (cfg.server.public_url) return cfg.server.public_url.endsWith('/') ? cfg.server.public_url : `${cfg.server.public_url}/`;
  const h = cfg.server.host;
  const host = h === '0.0.0.0' || h === '' ? '127.0.0.1' : h === '::' ? '::1' : h;
  return `http${cfg.server.tls ? 's' : ''}://${host.includes(':') ? `[${host}]` : host}:${cfg.server.port}/`;
}

export function spawnWebsocketd(plan: WebsocketdPlan): ChildProcess {
  // Its own process group: stopping tailroom signals websocketd and every handler at once.
  return spawn(plan.bin, plan.args, { env: plan.env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
}

/** Resolve once something accepts TCP connections on host:port, or reject after `ms`. */
export async function waitForPort(host: string, port: number, ms = 10000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${host}:${port} after ${ms} ms`);
}
