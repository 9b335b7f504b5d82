// `tailroom prune`: the clean-up cron would do with find(1) — presences of dead
// processes (one `leave` each, as a handler's reaper would log) and sessions nobody
// used for N days.

import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { type DataDir, dataDir } from '../store/datadir.js';
import { isValid, validateSessionId } from '../store/names.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { UsageError } from './roomarg.js';
import { clearStalePresence } from './start.js';

interface PruneArgs extends CommonArgs {
  days: number;
  'dry-run'?: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** A temp file from a session write that crashed between write and rename. */
const TEMP_MAX_AGE_MS = DAY_MS;

/**
 * When a session was last used: the later of its `seen` (its last save) and the file's
 * mtime, which reading a session refreshes once a day (src/store/sessions.ts).
 */
function lastUse(path: string): number {
  const mtime = statSync(path).mtimeMs;
  try {
    const seen = Date.parse((JSON.parse(readFileSync(path, 'utf8')) as { seen?: string }).seen ?? '');
    if (!Number.isNaN(seen)) return Math.max(seen, mtime);
  } catch {
    /* unreadable: the mtime alone */
  }
  return mtime;
}

/** Session files unused for `days`; removed unless `dryRun`. Returns their ids. */
export function pruneSessions(d: DataDir, days: number, dryRun: boolean, now = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(d.sessions);
  } catch {
    return [];
  }
  const old: string[] = [];
  for (const name of names) {
    const path = join(d.sessions, name);
    try {
      if (name.startsWith('.tmp-')) {
        if (!dryRun && now - statSync(path).mtimeMs > TEMP_MAX_AGE_MS) rmSync(path, { force: true });
        continue;
      }
      // Anything else an admin keeps here is not ours to delete.
      if (!isValid(validateSessionId, name) || !statSync(path).isFile()) continue;
      if (now - lastUse(path) <= days * DAY_MS) continue;
      if (!dryRun) rmSync(path, { force: true });
      old.push(name);
    } catch {
      /* removed meanwhile */
    }
  }
  return old;
}

export const prune: CommandModule<object, PruneArgs> = {
  command: 'prune',
  describe: 'remove presences of dead processes (logging their leave) and sessions unused for --days',
  builder: (y: Argv) =>
    withCommon(y)
      .option('days', { type: 'number', default: 30, describe: 'a session unused this many days is removed' })
      .option('dry-run', { alias: 'n', type: 'boolean', describe: 'only count the old sessions; presences are left alone' }) as Argv<PruneArgs>,
  handler: async (args: ArgumentsCamelCase<PruneArgs>) => {
    if (!(args.days >= 0)) throw new UsageError('--days wants a number of days');
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const dryRun = args['dry-run'] ?? false;
    const reaped = dryRun ? 0 : await clearStalePresence(d, cfg.chat.presence_stale_ms);
    const sessions = pruneSessions(d, args.days, dryRun);
    const verb = dryRun ? 'would remove' : 'removed';
    process.stdout.write(
      `${dryRun ? 'left stale presences alone' : `reaped ${reaped} stale presence(s)`}; ${verb} ${sessions.length} session(s) unused for ${args.days} day(s)\n`,
    );
  },
};
