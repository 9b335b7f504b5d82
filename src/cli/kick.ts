// `tailroom kick ROOM NAME`: what `rm -r users/ROOM/NAME` does, done politely. A live
// handler gets a `kick` in its inbox, says why to its browser, logs its own `leave`
// and closes. A dead one (its process gone, its lock stale) is reaped here with one
// `leave` (kicked). A handler that does not answer in time is removed by force; if
// it wakes up later it finds the leave already logged and does not log another.

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { dataDir, roomLogPath } from '../store/datadir.js';
import { deliver, isPresent } from '../store/inbox.js';
import { readInfo, reapIfDead, removePresence } from '../store/presence.js';
import { ProtocolError, type UserSummary } from '../shared/protocol.js';
import { appendEvent, leaveLoggedSince } from '../store/roomlog.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { roomArg, UsageError, userArg } from './roomarg.js';

interface KickArgs extends CommonArgs {
  room: string;
  name: string;
  reason?: string;
  wait: number;
  json?: boolean;
}

/**
 * What became of the chatter: its handler left and logged its leave (kicked), it was
 * dead and its presence was reaped here (reaped), it did not answer in time and was
 * removed by force (forced), or it left by itself before the kick reached it (gone).
 */
export type KickOutcome = 'kicked' | 'reaped' | 'forced' | 'gone';

export interface KickReport {
  room: string;
  name: string;
  outcome: KickOutcome;
  /** Whether a leave (kicked) was in the log when we looked: false when the handler had not written it yet, or left by itself. */
  logged: boolean;
  reason?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    const since = new Date().toISOString();
    const logLeave = async (u: UserSummary) => {
      await appendEvent(d, room, { type: 'leave', from: u.name, color: u.color, reason: 'kicked' }, { sharedFs: cfg.files.shared_fs });
    };

    const report = (outcome: KickOutcome, logged: boolean, human: string) => {
      const r: KickReport = { room, name, outcome, logged, ...(args.reason ? { reason: args.reason } : {}) };
      process.stdout.write(args.json ? `${JSON.stringify(r)}\n` : `${human}\n`);
    };

    if (await reapIfDead(d, room, name, cfg.chat.presence_stale_ms, logLeave)) {
      return report('reaped', true, `${name} was no longer connected: presence removed`);
    }
    const color = readInfo(d, room, name)?.color ?? '';
    try {
      await deliver(d, room, name, { type: 'kick', ...(args.reason ? { text: args.reason } : {}) }, cfg.files.shared_fs);
    } catch (e) {
      if (e instanceof ProtocolError) return report('gone', false, `${name} left meanwhile`);
      throw e;
    }
    // The handler vacates, then logs: done when its leave is in the log.
    const until = Date.now() + args.wait * 1000;
    while (Date.now() < until) {
      if (!isPresent(d, room, name) && leaveLoggedSince(roomLogPath(d, room), name, since)) {
        return report('kicked', true, `kicked ${name} from ${room}`);
      }
      await sleep(100);
    }
    if (!isPresent(d, room, name)) {
      return report('kicked', false, `kicked ${name} from ${room} (its leave is not in the log yet)`);
    }
    if (!(await removePresence(d, room, name, () => logLeave({ name, color })))) {
      // It left just now, as we were about to remove it.
      return report('kicked', leaveLoggedSince(roomLogPath(d, room), name, since), `kicked ${name} from ${room}`);
    }
    report('forced', true, `${name}'s handler did not answer in ${args.wait} s: presence removed`);
  },
};
