// `tailroom prune`: the clean-up cron would do with find(1) — presences of dead
// processes (one `leave` each, as a handler's reaper would log), sessions nobody
// used for N days, rooms nobody ever said anything in, invites spent or expired a
// day ago, and records of failed sign-ins nobody failed for a day.

import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { attemptsDir, type DataDir, dataDir, invitesDir, roomSettingsPath, roomUsersDir } from '../store/datadir.js';
import { inviteDeadSince, isInviteToken, revokeInvite } from '../store/invites.js';
import { isValid, validateRoom, validateSessionId } from '../store/names.js';
import { removeRoomPresence } from '../store/presence.js';
import { listArchive, type Segment, segmentLines } from '../store/segments.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { UsageError } from './roomarg.js';
import { clearStalePresence } from './start.js';

interface PruneArgs extends CommonArgs {
  days: number;
  'room-days': number;
  'dry-run'?: boolean;
  json?: boolean;
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
      // A session's read markers (src/store/readmarks.ts) go with it; left alone, they go once it is gone.
      if (name.endsWith('.read') && isValid(validateSessionId, name.slice(0, -5))) {
        if (!dryRun && !names.includes(name.slice(0, -5))) rmSync(path, { force: true });
        continue;
      }
      // Anything else an admin keeps here is not ours to delete.
      if (!isValid(validateSessionId, name) || !statSync(path).isFile()) continue;
      if (now - lastUse(path) <= days * DAY_MS) continue;
      if (!dryRun) rmSync(path, { force: true });
      if (!dryRun) rmSync(`${path}.read`, { force: true });
      old.push(name);
    } catch {
      /* removed meanwhile */
    }
  }
  return old;
}

/**
 * Events that only say someone came, went or changed their look: a room whose logs hold
 * nothing else has no history anyone could want to read. Anything else, an unknown type
 * or a line that does not parse included, is history and keeps the room.
 */
const COMINGS_AND_GOINGS = new Set(['join', 'leave', 'nick', 'color']);

async function onlyComingsAndGoings(segments: Segment[]): Promise<boolean> {
  for (const seg of segments) {
    try {
      for await (const line of segmentLines(seg)) {
        let type: unknown;
        try {
          type = (JSON.parse(line) as { type?: unknown }).type;
        } catch {
          return false;
        }
        if (typeof type !== 'string' || !COMINGS_AND_GOINGS.has(type)) return false;
      }
    } catch {
      return false; // unreadable (a corrupt .gz): not ours to judge, keep it
    }
  }
  return true;
}

/**
 * Invite files that admit nobody any more and have not for a day: spent (the last use
 * rewrote the file, so its mtime says when) or past their expiry. The day lets the join
 * page say "this link was used" rather than "no such link" to whoever comes just after.
 * A file that does not parse admits nobody either and goes after a day of not changing.
 * Returns how many; removed unless `dryRun`.
 */
export function pruneInvites(d: DataDir, dryRun: boolean, now = Date.now()): number {
  let dirs: string[];
  try {
    dirs = readdirSync(d.rooms).filter((f) => f.endsWith('.invites'));
  } catch {
    return 0;
  }
  let n = 0;
  for (const dir of dirs) {
    const room = dir.slice(0, -'.invites'.length);
    if (!isValid(validateRoom, room)) continue;
    const path = invitesDir(d, room);
    let tokens: string[];
    try {
      tokens = readdirSync(path).filter(isInviteToken);
    } catch {
      continue;
    }
    for (const token of tokens) {
      try {
        if (now - inviteDeadSince(d, room, token) <= DAY_MS) continue;
        if (!dryRun) revokeInvite(d, room, token);
        n++;
      } catch {
        /* removed meanwhile */
      }
    }
  }
  return n;
}

/**
 * Records of failed sign-ins (.attempts/) untouched for a day: past any window they
 * count failures in, so nothing reads them; a name or address that stopped failing
 * would otherwise keep its file forever. Returns how many; removed unless `dryRun`.
 */
export function pruneAttempts(d: DataDir, dryRun: boolean, now = Date.now()): number {
  const dir = attemptsDir(d);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /^[0-9a-f]{32}$/.test(f));
  } catch {
    return 0;
  }
  let n = 0;
  for (const f of files) {
    const path = join(dir, f);
    try {
      if (now - statSync(path).mtimeMs <= DAY_MS) continue;
      if (!dryRun) rmSync(path, { force: true });
      n++;
    } catch {
      /* removed meanwhile */
    }
  }
  return n;
}

function mtimeOr(path: string, fallback: number): number {
  return statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? fallback;
}

/**
 * Rooms left behind by a connection and nothing else: anyone can create a room by
 * connecting to it. Removed (their rooms/<room>.log* and users/<room>/) when nobody is in
 * them, the config does not list them, they have no rooms/<room>.ini, none of their
 * files changed for `days`, and their logs hold only joins, leaves, /nick and /color. A
 * room where anything was said is history and is never removed here; nor is a room with
 * settings: someone made it private or set its key (a /private room waiting for its two
 * chatters), and removing only its log would leave the settings of a room that is gone.
 * Returns the rooms, removed unless `dryRun`.
 */
export async function pruneRooms(d: DataDir, configured: Record<string, string>, days: number, dryRun: boolean, now = Date.now()): Promise<string[]> {
  const old = (t: number) => now - t > days * DAY_MS;
  const archive = listArchive(d);
  let withUsers: string[] = [];
  try {
    withUsers = readdirSync(d.users).filter((n) => !n.startsWith('.') && isValid(validateRoom, n) && n.normalize('NFC') === n);
  } catch {
    /* no users/ yet */
  }
  const pruned: string[] = [];
  for (const room of new Set([...archive.keys(), ...withUsers])) {
    if (Object.hasOwn(configured, room) || existsSync(roomSettingsPath(d, room))) continue;
    const segments = archive.get(room) ?? [];
    const usersDir = roomUsersDir(d, room);
    // Every join is logged, so the logs say when somebody last came; users/<room>/ alone
    // (its logs removed by hand) by its own mtime, which the reaper's first scan of the
    // room (creating its marker, as the reaping just before this may have) sets to now.
    if (segments.length ? !segments.every((s) => old(s.mtimeMs)) : !old(mtimeOr(usersDir, now))) continue;
    let present = false;
    try {
      present = readdirSync(usersDir).some((n) => !n.startsWith('.'));
    } catch {
      /* nobody has been here since the logs were written */
    }
    if (present || !(await onlyComingsAndGoings(segments))) continue;
    if (!dryRun) {
      if (!removeRoomPresence(d, room)) continue; // somebody just came in
      // Whoever came in after that appended their join: a fresher log stays.
      for (const s of segments) if (old(mtimeOr(s.path, 0))) rmSync(s.path, { force: true });
    }
    pruned.push(room);
  }
  return pruned;
}

export const prune: CommandModule<object, PruneArgs> = {
  command: 'prune',
  describe:
    'remove presences of dead processes (logging their leave), sessions unused for --days, rooms nobody ever said anything in, ' +
    'invites spent or expired a day ago and failed sign-in records a day old',
  builder: (y: Argv) =>
    withCommon(y)
      .option('days', { type: 'number', default: 30, describe: 'a session unused this many days is removed' })
      .option('room-days', {
        type: 'number',
        default: 30,
        describe:
          'a room is removed (its logs and users/<room>/) when nobody is in it, [rooms] does not list it, it has no rooms/<room>.ini, ' +
          'its files are this many days old and its logs hold only joins, leaves, /nick and /color: a room where anything was said is kept',
      })
      .option('dry-run', { alias: 'n', type: 'boolean', describe: 'only count the old sessions; presences are left alone' })
      .option('json', { type: 'boolean', describe: 'say what was done as one JSON object' }) as Argv<PruneArgs>,
  handler: async (args: ArgumentsCamelCase<PruneArgs>) => {
    if (!(args.days >= 0)) throw new UsageError('--days wants a number of days');
    if (!(args['room-days'] >= 0)) throw new UsageError('--room-days wants a number of days');
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const dryRun = args['dry-run'] ?? false;
    const reaped = dryRun ? 0 : await clearStalePresence(d, cfg.chat.presence_stale_ms);
    const sessions = pruneSessions(d, args.days, dryRun);
    const rooms = await pruneRooms(d, cfg.rooms, args['room-days'], dryRun);
    const invites = pruneInvites(d, dryRun);
    const attempts = pruneAttempts(d, dryRun);
    if (args.json) {
      // A count, not the ids: a session id is a cookie, and a dry run's are still live; an invite token is a key too.
      process.stdout.write(
        `${JSON.stringify({ dryRun, days: args.days, reaped, sessions: sessions.length, roomDays: args['room-days'], rooms, invites, attempts })}\n`,
      );
      return;
    }
    const verb = dryRun ? 'would remove' : 'removed';
    process.stdout.write(
      `${dryRun ? 'left stale presences alone' : `reaped ${reaped} stale presence(s)`}; ${verb} ${sessions.length} session(s) unused for ${args.days} day(s); ` +
        `${verb} ${rooms.length} room(s) with nothing said, idle ${args['room-days']} day(s)${rooms.length ? `: ${rooms.join(' ')}` : ''}; ` +
        `${verb} ${invites} spent or expired invite(s) and ${attempts} old failed sign-in record(s)\n`,
    );
  },
};
