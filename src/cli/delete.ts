// `tailroom delete ROOM ID`: an admin removes one message, whoever wrote it and however
// old: a `delete` event is logged (as a chatter's delete is), and the message's text and
// its edits' are blanked in the log and every rotated segment (src/store/redact.ts).

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { dataDir } from '../store/datadir.js';
import { findMessage, redactMessage } from '../store/msglookup.js';
import { isEventId } from '../shared/protocol.js';
import { appendEvent } from '../store/roomlog.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { requireRoom, roomArg, UsageError } from './roomarg.js';

interface DeleteArgs extends CommonArgs {
  room: string;
  id: string;
  json?: boolean;
}

export interface DeleteReport {
  room: string;
  ref: string;
  /** A delete event was logged now (false: it was deleted before; only the blanking ran again). */
  logged: boolean;
  /** The text is blanked everywhere it was found. */
  redacted: boolean;
}

/** Who an admin's delete is from, in the log. */
export const ADMIN_NAME = 'admin';

export const remove: CommandModule<object, DeleteArgs> = {
  command: 'delete <room> <id>',
  describe: 'delete one message (and blank its text on disk, rotated segments included)',
  builder: (y: Argv) =>
    withCommon(y)
      .positional('room', { type: 'string', demandOption: true, describe: 'room name' })
      .positional('id', { type: 'string', demandOption: true, describe: "the message's id (tailroom tail --json shows ids)" })
      .option('json', { type: 'boolean', describe: 'print what was done as one JSON object' }) as Argv<DeleteArgs>,
  handler: async (args: ArgumentsCamelCase<DeleteArgs>) => {
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const room = roomArg(args.room);
    const ref = String(args.id);
    if (!isEventId(ref)) throw new UsageError(`${ref} is not a message id`);
    requireRoom(cfg, d, room);
    const r = await findMessage(d, room, ref, Number.POSITIVE_INFINITY);
    if (!('found' in r)) throw new UsageError(r.missing === 'not_msg' ? `${ref} is not a chat message` : `no message ${ref} in ${room}`);
    const logged = !r.found.deleted;
    if (logged) await appendEvent(d, room, { type: 'delete', from: ADMIN_NAME, ref }, { sharedFs: cfg.files.shared_fs });
    const redacted = await redactMessage(d, room, ref, Number.POSITIVE_INFINITY);
    const report: DeleteReport = { room, ref, logged, redacted };
    if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else process.stdout.write(`${logged ? 'deleted' : 'already deleted'}${redacted ? '; text blanked' : '; its text could not be blanked everywhere'}\n`);
    if (!redacted) process.exitCode = 1;
  },
};
