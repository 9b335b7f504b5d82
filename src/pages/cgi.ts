// Running a page as a CGI program: websocketd starts one process per page view, with the
// request in environment variables and a POST body on stdin. Whatever happens, the
// browser gets a page, and a stack trace goes only to stderr (websocketd's log).

import { readFileSync, readSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Config, loadConfig } from '../config.js';
import { dataDir } from '../store/datadir.js';
import type { CgiEnv } from '../request.js';
import { type PageHandler, type PageResponse, requestFromCgi, serializeResponse } from './http.js';
import { errorPage, failurePage } from './layout.js';

/** Exactly `length` bytes of stdin, or fewer if it ends first. */
export function readStdin(length: number, fd = 0): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    let n: number;
    try {
      n = readSync(fd, buf, got, length - got, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      throw e;
    }
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** What a page takes from the environment websocketd was started with. */
const INHERITED = ['TAILROOM_CONF', 'TAILROOM_SET', 'TZ'];

/**
 * websocketd 0.4.1 gives a CGI program the request variables and nothing else: not even
 * what --passenv names (that reaches WebSocket handlers only). The settings `tailroom
 * start` gave websocketd (config path, CLI overrides, TZ) are read from websocketd's own
 * environment, the parent's /proc/<pid>/environ, unless they are already set.
 */
export function inheritSettings(env: CgiEnv, ppid = process.ppid): CgiEnv {
  if (INHERITED.some((k) => env[k] !== undefined)) return env;
  let block: string;
  try {
    block = readFileSync(`/proc/${ppid}/environ`, 'utf8');
  } catch {
    return env;
  }
  const out: CgiEnv = { ...env };
  for (const entry of block.split('\0')) {
    const eq = entry.indexOf('=');
    const key = entry.slice(0, eq);
    if (eq > 0 && INHERITED.includes(key)) out[key] = entry.slice(eq + 1);
  }
  return out;
}

export interface RunOptions {
  env: CgiEnv;
  readBody?: (length: number) => Buffer;
  /** Given by tests; a CGI program loads it from its checkout (dist/cgi/<page> → ../..). */
  config?: Config;
  log?: (line: string) => void;
  now?: Date;
}

/** The whole CGI response for one request: headers and body, never a throw. */
export async function respond(handler: PageHandler, opts: RunOptions): Promise<string> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let res: PageResponse;
  try {
    let cfg = opts.config;
    if (!cfg) {
      try {
        const env = inheritSettings(opts.env);
        // Dates on pages are in the server's zone: assigning TZ resets Node's zone cache.
        if (env.TZ !== undefined && process.env.TZ === undefined) process.env.TZ = env.TZ;
        cfg = loadConfig({ env, root: resolve(dirname(process.argv[1] ?? '.'), '..', '..') });
      } catch (e) {
        log(`tailroom page: ${(e as Error).message}`);
        return serializeResponse(errorPage(500, 'The server is misconfigured. It has been logged.'));
      }
    }
    const req = requestFromCgi(opts.env, opts.readBody ?? ((n) => readStdin(n)));
    res = await handler(req, { cfg, d: dataDir(cfg.dataDir), now: opts.now ?? new Date() });
  } catch (e) {
    res = failurePage(e, log);
  }
  try {
    return serializeResponse(res);
  } catch (e) {
    return serializeResponse(failurePage(e, log));
  }
}

/** All of `data` to a file descriptor, waiting out a full pipe. */
export function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) {
    try {
      off += writeSync(fd, data, off, data.length - off);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }
}

/** The body of every handlers/pages/<name>.ts. */
export function runCgi(handler: PageHandler): void {
  void respond(handler, { env: process.env }).then((out) => {
    // Straight to fd 1: creating process.stdout would load the stream machinery, a few
    // milliseconds of every page view for one write.
    try {
      writeAll(1, Buffer.from(out));
    } catch {
      process.exitCode = 1; // websocketd went away: nobody to tell
    }
  });
}
