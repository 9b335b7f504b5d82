// `tailroom kick ROOM NAME`: what `rm -r users/ROOM/NAME` does, done politely (the
// mechanism, shared with the operators' /kick, is src/store/kick.ts).

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { dataDir } from '../store/datadir.js';
import { isPresent } from '../store/inbox.js';
import { type KickOutcome, kickChatter } from '../store/kick.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { roomArg, UsageError, userArg } from './roomarg.js';

export type { KickOutcome } from '../store/kick.js';

interface KickArgs extends CommonArgs {
  room: string;
  name: string;
  reason?: string;
  wait: number;
  json?: boolean;
}

export interface KickReport {
  room: string;
  name: string;
  outcome: KickOutcome;
  /** Whether a leave (kicked) was in the log when we looked: false when the handler had not written it yet, or left by itself. */
  logged: boolean;
  reason?: string;
}

export const kick: CommandModule<object, KickArgs> = {
  command: 'kick <room> <name>',
  describe: 'disconnect a chatter; works whether their handler is alive or dead',
  builder: (y: Argv) =>
    withCommon(y)
      .positional('room', { type: 'string', demandOption: true, describe: 'room name' })
      .positional('name', { type: 'string', demandOption: true, describe: "the chatter's name" })
      .option('reason', { alias: 'r', type: 'string', describe: 'told to the chatter' })
      .option('wait', { type: 'number', default: 5, describe: 'seconds to let a live handler leave before removing it by force' })
      .option('json', { type: 'boolean', describe: 'say what was done as one JSON object' }) as Argv<KickArgs>,
  handler: async (args: ArgumentsCamelCase<KickArgs>) => {
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const room = roomArg(args.room);
    const name = userArg(String(args.name));
    if (!(args.wait >= 0)) throw new UsageError('--wait wants a number of seconds');
    if (!isPresent(d, room, name)) throw new Error(`nobody called ${name} is in ${room}`);
    const report = (outcome: KickOutcome, logged: boolean, human: string) => {
      const r: KickReport = { room, name, outcome, logged, ...(args.reason ? { reason: args.reason } : {}) };
      process.stdout.write(args.json ? `${JSON.stringify(r)}\n` : `${human}\n`);
    };
    const r = await kickChatter(d, room, name, {
      reason: args.reason,
      waitMs: args.wait * 1000,
      staleMs: cfg.chat.presence_stale_ms,
      sharedFs: cfg.files.shared_fs,
    });
    const human: Record<KickOutcome, string> = {
      reaped: `${name} was no longer connected: presence removed`,
      gone: `${name} left meanwhile`,
      kicked: r.logged ? `kicked ${name} from ${room}` : `kicked ${name} from ${room} (its leave is not in the log yet)`,
      forced: `${name}'s handler did not answer in ${args.wait} s: presence removed`,
    };
    report(r.outcome, r.logged, human[r.outcome]);
  },
};
