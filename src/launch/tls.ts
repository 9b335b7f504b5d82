// HTTPS/WSS straight from websocketd (`--ssl`), for a machine with no reverse proxy.
// The admin names a certificate and key; without them, a self-signed pair is made once
// under the data dir, so `tailroom start --tls` works at once and browsers warn about it.

import { execFileSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { type Config, ConfigError } from '../config.js';

export interface TlsFiles {
  cert: string;
  key: string;
  /** The pair is the self-signed one under the data dir, not one the admin named. */
  selfSigned: boolean;
}

/** Where the certificate and key are: the configured pair, else <data dir>/tls/. */
export function tlsFiles(cfg: Config): TlsFiles {
  const cert = cfg.server.tls_cert.trim();
  const key = cfg.server.tls_key.trim();
  if ((cert === '') !== (key === '')) throw new ConfigError('server.tls_cert and server.tls_key go together: set both, or neither for a self-signed pair');
  if (cert !== '') return { cert, key, selfSigned: false };
  const dir = join(cfg.dataDir, 'tls');
  return { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), selfSigned: true };
}

/** Names a self-signed certificate is made for: loopback, this host, and the listen address. */
export function subjectAltNames(listenHost: string, host = hostname()): string[] {
  const names = new Set(['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']);
  if (host) names.add(`DNS:${host}`);
  const h = listenHost.replace(/^\[|\]$/g, '');
  if (isIP(h) && h !== '0.0.0.0' && h !== '::') names.add(`IP:${h}`);
  else if (!isIP(h) && h !== '') names.add(`DNS:${h}`);
  return [...names];
}

/**
 * The files websocketd gets for --sslcert/--sslkey. A named pair must be readable; the
 * self-signed one is generated if missing (openssl, key 0600 in a 0700 directory).
 * `warn` gets one line when a self-signed pair is made or used.
 */
export function ensureTls(cfg: Config, warn: (line: string) => void): TlsFiles {
  const files = tlsFiles(cfg);
  if (!files.selfSigned) {
    for (const f of [files.cert, files.key]) {
      try {
        accessSync(f, constants.R_OK);
      } catch {
        throw new ConfigError(`cannot read ${f} (server.tls_cert / server.tls_key)`);
      }
    }
    return files;
  }
  if (existsSync(files.cert) && existsSync(files.key)) {
    warn(`tailroom: TLS with the self-signed certificate ${files.cert}; browsers warn until you set server.tls_cert and tls_key`);
    return files;
  }
  const dir = join(cfg.dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  rmSync(files.cert, { force: true });
  rmSync(files.key, { force: true });
  const sans = subjectAltNames(cfg.server.host);
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-sha256',
        '-days',
        '825',
        '-subj',
        `/CN=${hostname() || 'localhost'}`,
        '-addext',
        `subjectAltName=${sans.join(',')}`,
        '-keyout',
        files.key,
        '-out',
        files.cert,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const why = err.code === 'ENOENT' ? 'openssl is not installed (apt-get install openssl)' : (err.stderr?.toString().trim() ?? err.message);
    throw new Error(`cannot make a self-signed certificate: ${why}`);
  }
  chmodSync(files.key, 0o600);
  chmodSync(files.cert, 0o600);
  warn(
    `tailroom: WARNING: made a self-signed certificate for ${sans.join(', ')} in ${dir}. ` +
      'Browsers will warn and refuse until it is trusted; for real users set server.tls_cert and tls_key (or use a reverse proxy).',
  );
  return files;
}
