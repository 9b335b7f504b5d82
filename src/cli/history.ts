// `tailroom history ROOM`: every segment of a room's log, rotated and gzipped ones
// included, oldest first — what `zcat -f rooms/ROOM.log-* rooms/ROOM.log` would give
// if the shell sorted them right.

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { dataDir } from '../store/datadir.js';
import { listSegments, segmentLines } from '../store/segments.js';
import { type FoldedEvent, LifecycleFold } from '../shared/lifecycle.js';
import { formatText, parseEventLine } from '../shared/protocol.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { requireRoom, roomArg } from './roomarg.js';
import { renderLine } from './tail.js';
import { exitQuietlyOnClosedStdout, writeOut } from './output.js';

interface HistoryArgs extends CommonArgs {
  room: string;
  json?: boolean;
}

export const history: CommandModule<object, HistoryArgs> = {
  command: 'history <room>',
  describe: "print a room's whole history, rotated and gzipped segments included, oldest first",
  builder: (y: Argv) =>
    withCommon(y)
      .positional('room', { type: 'string', demandOption: true, describe: 'room name' })
      .option('json', { type: 'boolean', describe: 'print the stored JSON lines instead of text' }) as Argv<HistoryArgs>,
  handler: async (args: ArgumentsCamelCase<HistoryArgs>) => {
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const room = roomArg(args.room);
    const segments = listSegments(d, room).reverse();
    if (segments.length === 0) requireRoom(cfg, d, room);
    exitQuietlyOnClosedStdout();
    let damaged = 0;
    const json = args.json ?? false;
    // Text shows each message as it stands now: an edit or delete within the last
    // thousand events is folded into its msg (src/shared/lifecycle.ts), a later one has a line.
    const fold = new LifecycleFold();
    const show = async (events: FoldedEvent[]) => {
      for (const e of events) await writeOut(`${formatText(e)}\n`);
    };
    for (const seg of segments) {
      try {
        for await (const line of segmentLines(seg)) {
          if (!json) {
            const e = parseEventLine(line);
            if (e) await show(fold.push(e));
            continue;
          }
          const text = renderLine(line, true);
          if (text !== undefined) await writeOut(`${text}\n`);
        }
      } catch (e) {
        damaged++;
        process.stderr.write(`tailroom: ${seg.path}: ${(e as Error).message}; going on with the next segment\n`);
      }
    }
    await show(fold.flush());
    if (damaged) process.exitCode = 1;
  },
};
