// A room's whole history on disk: rooms/<room>.log plus the segments logrotate left
// beside it — `<room>.log-20261120` (dateext), `<room>.log.1` (numbered), either of
// them possibly `.gz` — read oldest first, streamed, never loaded whole.

import { createReadStream, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { type DataDir, roomLogPath } from './datadir.js';

export interface LogSegment {
  path: string;
  gzipped: boolean;
  size: number;
  mtimeMs: number;
  /** The current log, still being appended to. */
  current: boolean;
}

// Only digits (and dashes, for a dateformat with seconds) after the base name: the log
// of a room called `lobby.log-x` is `lobby.log-x.log` and is not lobby's segment.
const DATED = /^-(\d[\d-]*)(\.gz)?$/;
const NUMBERED = /^\.(\d{1,6})(\.gz)?$/;

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
    const rest = name.slice(base.length);
    let m = DATED.exec(rest);
    if (m) {
      dated.push({ key: m[1], name });
      continue;
    }
    m = NUMBERED.exec(rest);
    if (m) numbered.push({ n: Number(m[1]), name });
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
