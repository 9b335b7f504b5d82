// `tailroom history ROOM`: every segment of a room's log, rotated and gzipped ones
// included, oldest first — what `zcat -f rooms/ROOM.log-* rooms/ROOM.log` would give
// if the shell sorted them right.

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { dataDir } from '../store/datadir.js';
import { listSegments, segmentLines } from '../store/segments.js';
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
    for (const seg of segments) {
      try {
        for await (const line of segmentLines(seg)) {
          const text = renderLine(line, args.json ?? false);
          if (text !== undefined) await writeOut(`${text}\n`);
        }
      } catch (e) {
        damaged++;
        process.stderr.write(`tailroom: ${seg.path}: ${(e as Error).message}; going on with the next segment\n`);
      }
    }
    if (damaged) process.exitCode = 1;
  },
};
