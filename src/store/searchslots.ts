// At most N history searches at once on a host: each holds a file <data dir>/.searches/
// <host>.<pid> while it runs. A search makes its file first and counts after, so of any
// N+1 searches running at once, the last to make its file counts them all and backs off:
// the cap holds without a lock (two racing may both back off; neither goes over). The
// file of a search that was killed is removed by the next count (its pid is dead, or it
// is older than any search runs).

import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type DataDir, searchSlotsDir } from './datadir.js';
import { pidAlive } from './presence.js';

/** No search runs this long (it stops at its byte budget): a slot this old is stale. */
export const SLOT_STALE_MS = 5 * 60 * 1000;

/** A release function, or undefined when `max` searches already run on this host. */
export function takeSearchSlot(d: DataDir, max: number, now = Date.now()): (() => void) | undefined {
  const dir = searchSlotsDir(d);
  const prefix = `${hostname()}.`;
  const mine = join(dir, `${prefix}${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // Our pid is ours alone on this host: a file left with it by a dead process is ours now.
  writeFileSync(mine, '');
  let running = 0;
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue; // another host's searches use its own CPU
    const pid = Number(name.slice(prefix.length));
    const path = join(dir, name);
    if (pid === process.pid) {
      running++;
      continue;
    }
    let stale: boolean;
    try {
      stale = !Number.isSafeInteger(pid) || !pidAlive(pid) || now - statSync(path).mtimeMs > SLOT_STALE_MS;
    } catch {
      continue; // released meanwhile
    }
    if (stale) rmSync(path, { force: true });
    else running++;
  }
  const release = () => rmSync(mine, { force: true });
  if (running > Math.max(1, max)) {
    release();
    return undefined;
  }
  // A page process ends right after its answer; exit also covers a throw on the way.
  process.once('exit', release);
  return release;
}
