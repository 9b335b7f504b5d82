// `tailroom who ROOM`: the presence directories of one room, `cat users/ROOM/*/info`.

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { dataDir } from '../store/datadir.js';
import { listPresent, readInfo } from '../store/presence.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { requireRoom, roomArg } from './roomarg.js';
import { formatTable } from './output.js';

interface WhoArgs extends CommonArgs {
  room: string;
  json?: boolean;
}

export const who: CommandModule<object, WhoArgs> = {
  command: 'who <room>',
  describe: 'who is in a room: name, colour, process, host, since',
  builder: (y: Argv) =>
    withCommon(y)
      .positional('room', { type: 'string', demandOption: true, describe: 'room name' })
      .option('json', { type: 'boolean', describe: 'one JSON object a line' }) as Argv<WhoArgs>,
  handler: (args: ArgumentsCamelCase<WhoArgs>) => {
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const room = roomArg(args.room);
    requireRoom(cfg, d, room);
    const people = listPresent(d, room).map((u) => ({ ...u, ...readInfo(d, room, u.name), name: u.name }));
    if (args.json) {
      for (const p of people) process.stdout.write(`${JSON.stringify(p)}\n`);
      return;
    }
    if (people.length === 0) return;
    const rows = [['NAME', 'COLOR', 'PID', 'HOST', 'SINCE']];
    for (const p of people) rows.push([p.name, p.color || '-', String(p.pid ?? '-'), p.host ?? '-', p.since ?? '-']);
    process.stdout.write(`${formatTable(rows)}\n`);
  },
};
