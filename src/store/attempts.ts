// .attempts/<hash>: recent failed sign-ins, one file per name and one per address, one
// line per failure (a timestamp, appended with one O_APPEND write, so page views racing
// each other all count). A file is named by a hash of what it counts, so no name or
// address ever becomes a path. Failures older than the window no longer count, and a
// file whose last failure is that old is removed by the next look.

import { appendFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { attemptsDir, type DataDir } from './datadir.js';

export type AttemptKind = 'name' | 'addr';

function fileOf(d: DataDir, kind: AttemptKind, key: string): string {
  const h = process.getBuiltinModule('node:crypto').createHash('sha256').update(`${kind}\0${key}`).digest('hex').slice(0, 32);
  return join(attemptsDir(d), h);
}

/** Failures of `key` in the last `windowMs`. */
export function recentFailures(d: DataDir, kind: AttemptKind, key: string, windowMs: number, now = Date.now()): number {
  return recentFailureTimes(d, kind, key, windowMs, now).length;
}

/** When those failures were, oldest first: a page can say when the next guess is allowed. */
export function recentFailureTimes(d: DataDir, kind: AttemptKind, key: string, windowMs: number, now = Date.now()): number[] {
  const path = fileOf(d, kind, key);
  let text: string;
  try {
    if (now - statSync(path).mtimeMs > windowMs) {
      rmSync(path, { force: true });
      return [];
    }
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const times: number[] = [];
  for (const line of text.split('\n')) if (Number(line) > now - windowMs) times.push(Number(line));
  return times.sort((a, b) => a - b);
}

export function recordFailure(d: DataDir, kind: AttemptKind, key: string, now = Date.now()): void {
  mkdirSync(attemptsDir(d), { recursive: true, mode: 0o700 });
  appendFileSync(fileOf(d, kind, key), `${now}\n`, { mode: 0o600 });
}
