// `tailroom tail ROOM [-f]`: `tail -F rooms/ROOM.log`, in the original's readable lines.

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { dataDir, roomLogPath } from '../store/datadir.js';
import { Follower } from '../store/follower.js';
import { foldLifecycle } from '../shared/lifecycle.js';
import { formatText, parseEventLine } from '../shared/protocol.js';
import { logSize, recentLines } from '../store/roomlog.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { requireRoom, roomArg, UsageError } from './roomarg.js';
import { exitQuietlyOnClosedStdout } from './output.js';

interface TailArgs extends CommonArgs {
  room: string;
  lines: number;
  follow?: boolean;
  json?: boolean;
}

/** A stored line as the admin asked to see it; undefined for a torn fragment. */
export function renderLine(line: string, json: boolean): string | undefined {
  const e = parseEventLine(line);
  if (!e) return undefined;
  return json ? line : formatText(e);
}

export const tail: CommandModule<object, TailArgs> = {
  command: 'tail <room>',
  describe: "print a room's last events as text lines; -f keeps following, like tail -F",
  builder: (y: Argv) =>
    withCommon(y)
      .positional('room', { type: 'string', demandOption: true, describe: 'room name' })
      .option('lines', { alias: 'n', type: 'number', default: 10, describe: 'how many past events to print' })
      .option('follow', { alias: 'f', type: 'boolean', describe: 'keep printing new events (through rotation) until Ctrl-C' })
      .option('json', { type: 'boolean', describe: 'print the stored JSON lines instead of text' }) as Argv<TailArgs>,
  handler: async (args: ArgumentsCamelCase<TailArgs>) => {
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const room = roomArg(args.room);
    if (!Number.isInteger(args.lines) || args.lines < 0) throw new UsageError('--lines wants a whole number');
    requireRoom(cfg, d, room);
    exitQuietlyOnClosedStdout();
    const path = roomLogPath(d, room);
    const end = logSize(path);
    const json = args.json ?? false;
    const past = recentLines(path, args.lines, end);
    // Text shows each message as it stands now (edits and deletes folded in); --json the lines as stored.
    const shown = json ? past : foldLifecycle(past.map(parseEventLine).filter((e) => e !== undefined)).map(formatText);
    for (const text of shown) process.stdout.write(`${text}\n`);
    if (!args.follow) return;
    const follower = new Follower(path, {
      offset: end,
      poll: cfg.files.watch === 'poll',
      pollIntervalMs: cfg.files.poll_interval_ms,
      onLine: (line) => {
        const text = renderLine(line, json);
        if (text !== undefined) process.stdout.write(`${text}\n`);
      },
    });
    await follower.start();
    // The follower's watches do not keep Node running (handlers must exit promptly): we must.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    await new Promise<void>((resolve) => {
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => resolve());
    });
    clearInterval(keepAlive);
    await follower.close();
  },
};
