// The embedded STUN server (docs/design.md, Processes): the server of npm node-stun, the code its
// `node-stun-server` command runs, configured from [stun] in chat.ini instead of a
// node-stun.ini in the working directory. Browsers ask it for their address as seen from
// the server (a server-reflexive ICE candidate); RFC 3489 also wants a second address and
// a second port (port + 1) for its NAT-type tests, which browsers never use.

import { spawn, type ChildProcess } from 'node:child_process';
import { isIP } from 'node:net';
import { createServer } from 'node-stun';
import type { Config } from '../config.js';

export interface StunPlan {
  primary: { host: string; port: number };
  secondary: { host: string; port: number };
}

export class StunConfigError extends Error {}

/** The four addresses node-stun binds, from the config; throws on settings it cannot use. */
export function stunPlan(stun: Config['stun']): StunPlan {
  const { host, secondary_host: secondary, port } = stun;
  if (isIP(host) !== 4) throw new StunConfigError(`stun.host must be an IPv4 address (node-stun is IPv4 only), not "${host}"`);
  if (isIP(secondary) !== 4) throw new StunConfigError(`stun.secondary_host must be a second IPv4 address (RFC 3489 needs two), not "${secondary}"`);
  if (secondary === host) throw new StunConfigError('stun.secondary_host must differ from stun.host');
  if (!(port >= 1 && port <= 65534)) throw new StunConfigError(`stun.port must be 1 to 65534 (port + 1 is used too), not ${port}`);
  return { primary: { host, port }, secondary: { host: secondary, port: port + 1 } };
}

export interface RunningStun {
  /** "127.0.0.1:3478" and the other three. */
  addresses: string[];
  close(): void;
}

/**
 * Bind node-stun's four sockets; resolves once all listen, rejects (and closes what was
 * bound) when one cannot bind: the port is taken, or the address is not this host's.
 */
export function startStunServer(plan: StunPlan, log: (level: string, message: string) => void = () => undefined): Promise<RunningStun> {
  const server = createServer(plan);
  server.on('log', (l) => log(l.level, l.message));
  server.listen();
  const sockets = server._sockets;
  return new Promise((resolve, reject) => {
    let listening = 0;
    let failed = false;
    const close = () => {
      for (const s of sockets) {
        try {
          s.close();
        } catch {
          /* never bound, or closed already */
        }
      }
    };
    for (const s of sockets) {
      s.on('error', (e: NodeJS.ErrnoException) => {
        if (listening === sockets.length) return log('warn', `socket error: ${e.message}`); // a send failed: keep serving
        if (failed) return;
        failed = true;
        close();
        reject(new Error(`STUN cannot listen: ${e.message}`));
      });
      s.once('listening', () => {
        if (++listening === sockets.length && !failed) {
          resolve({ addresses: sockets.map((x) => `${x.address().address}:${x.address().port}`), close });
        }
      });
    }
  });
}

/**
 * `tailroom start` runs `tailroom stun` as a child with the same settings: its own process,
 * so a STUN failure (a taken port) costs a warning, never the chat. Stopped when we exit.
 */
export function runStunBeside(cliPath: string, env: NodeJS.ProcessEnv, warn: (line: string) => void): ChildProcess {
  // Its stdin is a pipe from us: if we die without a word (kill -9), the pipe closes and
  // it stops too (--stop-on-eof), rather than hold the port as an orphan.
  const child = spawn(process.execPath, [cliPath, 'stun', '--stop-on-eof'], { env, stdio: ['pipe', 'inherit', 'inherit'] });
  let exiting = false;
  const stop = () => {
    exiting = true;
    child.kill('SIGTERM');
  };
  process.once('exit', stop);
  child.on('error', (e) => warn(`tailroom: the STUN server could not start (${e.message}); the chat runs without it`));
  child.on('exit', (code, signal) => {
    process.removeListener('exit', stop);
    if (!exiting) warn(`tailroom: the STUN server stopped (${signal ?? `exit ${code}`}); the chat runs without it`);
  });
  return child;
}
