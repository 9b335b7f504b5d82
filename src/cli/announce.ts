// `tailroom announce ROOM TEXT`: one `announce` line appended to the room log, as
// `echo '{"type":"announce",…}' >> rooms/ROOM.log` would, but stamped and atomic.
// With --to NAME it goes to one chatter's inbox instead.

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { dataDir } from '../store/datadir.js';
import { deliver } from '../store/inbox.js';
import { ProtocolError } from '../shared/protocol.js';
import { textProblem } from '../shared/text.js';
import { appendEvent } from '../store/roomlog.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { requireRoom, roomArg, UsageError, userArg } from './roomarg.js';

interface AnnounceArgs extends CommonArgs {
  room: string;
  text: string[];
  to?: string;
  json?: boolean;
}

/** The line stored: in the room log, or in one chatter's inbox with --to. */
export interface AnnounceReport {
  room: string;
  to?: string;
  id: string;
  t: string;
}

export const announce: CommandModule<object, AnnounceArgs> = {
  command: 'announce <room> <text..>',
  describe: 'say something to everyone in a room (kept in its history), or to one chatter with --to',
  builder: (y: Argv) =>
    withCommon(y)
      .positional('room', { type: 'string', demandOption: true, describe: 'room name' })
      .positional('text', { type: 'string', array: true, demandOption: true, describe: 'the announcement' })
      .option('to', { type: 'string', describe: "one chatter's name: their inbox only, not the history" })
      .option('json', { type: 'boolean', describe: "print the stored event's id and time as one JSON object" }) as Argv<AnnounceArgs>,
  handler: async (args: ArgumentsCamelCase<AnnounceArgs>) => {
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const room = roomArg(args.room);
    const text = args.text.map(String).join(' ').trim();
    if (text === '') throw new UsageError('the announcement is empty');
    if (text.includes('\n')) throw new UsageError('an announcement is one line');
    const problem = textProblem(text);
    if (problem) throw new UsageError(problem);
    if (Buffer.byteLength(text) > cfg.chat.max_message_bytes) throw new UsageError(`announcements are limited to ${cfg.chat.max_message_bytes} bytes`);
    requireRoom(cfg, d, room);
    let report: AnnounceReport;
    if (args.to !== undefined) {
      const to = userArg(args.to);
      try {
        const { id, t } = await deliver(d, room, to, { type: 'announce', text }, cfg.files.shared_fs);
        report = { room, to, id, t };
      } catch (e) {
        if (e instanceof ProtocolError) throw new Error(e.message);
        throw e;
      }
    } else {
      const { id, t } = JSON.parse(await appendEvent(d, room, { type: 'announce', text }, { sharedFs: cfg.files.shared_fs })) as { id: string; t: string };
      report = { room, id, t };
    }
    // Silent without --json, as `echo >>` is.
    if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  },
};
