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
  json?: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** A temp file from a session write that crashed between write and rename. */
const TEMP_MAX_AGE_MS = DAY_MS;

/** When a session was last used: its `seen`, or the file's mtime if that is unreadable. */
function lastUse(path: string): number {
  try {
    const seen = Date.parse((JSON.parse(readFileSync(path, 'utf8')) as { seen?: string }).seen ?? '');
    if (!Number.isNaN(seen)) return seen;
  } catch {
    /* unreadable: fall back to the mtime */
  }
  return statSync(path).mtimeMs;
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
      .option('dry-run', { alias: 'n', type: 'boolean', describe: 'only count the old sessions; presences are left alone' })
      .option('json', { type: 'boolean', describe: 'say what was done as one JSON object' }) as Argv<PruneArgs>,
  handler: async (args: ArgumentsCamelCase<PruneArgs>) => {
    if (!(args.days >= 0)) throw new UsageError('--days wants a number of days');
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const dryRun = args['dry-run'] ?? false;
    const reaped = dryRun ? 0 : await clearStalePresence(d, cfg.chat.presence_stale_ms);
    const sessions = pruneSessions(d, args.days, dryRun);
    if (args.json) {
      // A count, not the ids: a session id is a cookie, and a dry run's are still live.
      process.stdout.write(`${JSON.stringify({ dryRun, days: args.days, reaped, sessions: sessions.length })}\n`);
      return;
    }
    const verb = dryRun ? 'would remove' : 'removed';
    process.stdout.write(
      `${dryRun ? 'left stale presences alone' : `reaped ${reaped} stale presence(s)`}; ${verb} ${sessions.length} session(s) unused for ${args.days} day(s)\n`,
    );
  },
};
