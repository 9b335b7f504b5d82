// A room's whole history on disk: rooms/<room>.log plus the segments logrotate left
// beside it — `<room>.log-20261120` (dateext), `<room>.log.1` (numbered), either of
// them possibly `.gz` — read oldest first, streamed, never loaded whole.

import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { type DataDir, roomLogPath } from './datadir.js';
import { isValid, validateRoom } from './names.js';

export interface LogSegment {
  path: string;
  gzipped: boolean;
  size: number;
  mtimeMs: number;
  /** The current log, still being appended to. */
  current: boolean;
}

/**
 * `lobby.log`, or a segment logrotate left: `-20261120` (dateext, also with a time or a
 * counter after it) or `.1` (numbered), either possibly `.gz`. Only digits after the
 * base name: the log of a room called `lobby.log-x` is `lobby.log-x.log`, not lobby's.
 */
const SEGMENT_NAME = /^(.+)\.log(?:-(\d{8}[0-9-]{0,12})|\.(\d{1,6}))?(\.gz)?$/;

export interface SegmentName {
  room: string;
  /** A dateext segment's date part. */
  date?: string;
  /** A numbered segment's number: the higher, the older. */
  number?: number;
  gz: boolean;
}

/** What a file in rooms/ is, by its name alone; undefined for anything else. The one parser of these names. */
export function parseSegmentName(file: string): SegmentName | undefined {
  if (file.startsWith('.')) return undefined;
  const m = SEGMENT_NAME.exec(file);
  if (!m) return undefined;
  const [, room, date, number, gz] = m;
  if (gz && !date && !number) return undefined; // `x.log.gz` is no rotation scheme of ours
  if (!isValid(validateRoom, room) || room.normalize('NFC') !== room) return undefined;
  return number === undefined ? { room, date, gz: Boolean(gz) } : { room, number: Number(number), gz: Boolean(gz) };
}

/** Every segment of `room`, oldest first; the current log last if it exists. */
export function logSegments(d: DataDir, room: string): LogSegment[] {
  const base = `${room}.log`;
  let names: string[];
  try {
    names = readdirSync(d.rooms);
  } catch {
    return [];
  }
  const dated: { key: string; name: string }[] = [];
  const numbered: { n: number; name: string }[] = [];
  for (const name of names) {
    if (!name.startsWith(base) || name === base) continue;
    const p = parseSegmentName(name);
    if (p?.room !== room) continue;
    if (p.date !== undefined) dated.push({ key: p.date, name });
    else if (p.number !== undefined) numbered.push({ n: p.number, name });
  }
  // Dates sort as text; .3 is older than .1. Numbered segments come from a logrotate
  // without dateext, a configuration older than any dated one is assumed to be.
  dated.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.name.length - b.name.length));
  numbered.sort((a, b) => b.n - a.n);
  const ordered = [...numbered.map((x) => x.name), ...dated.map((x) => x.name), base];
  const segments: LogSegment[] = [];
  for (const name of ordered) {
    const path = join(d.rooms, name);
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      segments.push({ path, gzipped: name.endsWith('.gz'), size: st.size, mtimeMs: st.mtimeMs, current: path === roomLogPath(d, room) });
    } catch {
      /* rotated away while we looked */
    }
  }
  return segments;
}

/**
 * The lines of one segment, decompressed if need be. A torn line (a full disk, a line
 * still being written) comes through as it is: parse, and skip what is not an event.
 * Throws on a corrupt or half-written .gz, after the lines before the damage.
 */
export async function* segmentLines(seg: LogSegment): AsyncGenerator<string> {
  const file = createReadStream(seg.path);
  const input = seg.gzipped ? file.pipe(createGunzip()) : file;
  // A gunzip error (a segment still being compressed, or corrupt) ends this segment.
  const failed = new Promise<never>((_, reject) => {
    input.on('error', reject);
    file.on('error', reject);
  });
  failed.catch(() => undefined);
  const lines = createInterface({ input, crlfDelay: Infinity });
  const it = lines[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await Promise.race([it.next(), failed]);
      if (next.done) break;
      if (next.value !== '') yield next.value;
    }
  } finally {
    lines.close();
    file.destroy();
  }
}
