// `tailroom rooms`: what `ls rooms/ users/*/` would tell, in one table.

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { Config } from '../config.js';
import { dataDir } from '../store/datadir.js';
import { presenceByRoom } from '../store/presence.js';
import { roomsWithLogs } from '../store/roomlog.js';
import { listSegments } from '../store/segments.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { formatTable, humanSize } from './output.js';

interface RoomsArgs extends CommonArgs {
  json?: boolean;
}

export interface RoomSummary {
  room: string;
  description: string;
  users: string[];
  /** Bytes in the current log. */
  logBytes: number;
  /** Bytes in rotated segments (compressed size for .gz). */
  rotatedBytes: number;
  rotatedSegments: number;
}

export function roomSummaries(cfg: Config): RoomSummary[] {
  const d = dataDir(cfg.dataDir);
  const present = presenceByRoom(d);
  const names = new Set<string>([...roomsWithLogs(d), ...Object.keys(cfg.rooms), ...present.keys()]);
  return [...names].sort().map((room) => {
    const segments = listSegments(d, room);
    const rotated = segments.filter((s) => s.rotated);
    return {
      room,
      description: cfg.rooms[room] ?? '',
      users: (present.get(room) ?? []).map((u) => u.name),
      logBytes: segments.find((s) => !s.rotated)?.size ?? 0,
      rotatedBytes: rotated.reduce((n, s) => n + s.size, 0),
      rotatedSegments: rotated.length,
    };
  });
}

export const rooms: CommandModule<object, RoomsArgs> = {
  command: 'rooms',
  describe: 'list rooms: people in each, log and rotated sizes',
  builder: (y: Argv) => withCommon(y).option('json', { type: 'boolean', describe: 'one JSON object a line' }) as Argv<RoomsArgs>,
  handler: (args: ArgumentsCamelCase<RoomsArgs>) => {
    const { cfg } = configFrom(args);
    const list = roomSummaries(cfg);
    if (args.json) {
      for (const r of list) process.stdout.write(`${JSON.stringify(r)}\n`);
      return;
    }
    const rows = [['ROOM', 'PEOPLE', 'LOG', 'ROTATED', 'WHO']];
    for (const r of list) {
      const rotated = r.rotatedSegments ? `${humanSize(r.rotatedBytes)} in ${r.rotatedSegments}` : '-';
      rows.push([r.room, String(r.users.length), humanSize(r.logBytes), rotated, r.users.join(', ') || (r.description ? `(${r.description})` : '')]);
    }
    process.stdout.write(`${formatTable(rows)}\n`);
  },
};
