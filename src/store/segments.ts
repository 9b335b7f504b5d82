// A room's whole history on disk: rooms/<room>.log plus the segments logrotate left
// beside it — `<room>.log-20261120` (dateext), `<room>.log.1` (numbered), either of
// them possibly `.gz`. Here they are named, listed newest first, and streamed forward
// line by line, never loaded whole; archive.ts reads them backwards by pages.

import { closeSync, createReadStream, openSync, readdirSync, readSync, type Stats, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { DataDir } from './datadir.js';
import { isValid, validateRoom } from './names.js';

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
  if (room === undefined) return undefined;
  if (gz && !date && !number) return undefined; // `x.log.gz` is no rotation scheme of ours
  if (!isValid(validateRoom, room) || room.normalize('NFC') !== room) return undefined;
  return number === undefined ? { room, date, gz: Boolean(gz) } : { room, number: Number(number), gz: Boolean(gz) };
}

export interface Segment {
  room: string;
  file: string;
  path: string;
  /** Names the segment in a cursor: `log` for the current file, else `20261120`, `20261120.gz`, `n1`, `n2.gz`. */
  key: string;
  /** False for the current log, the one still appended to. */
  rotated: boolean;
  /** For a dateext segment (`.log-20261120`): `20261120`. */
  date?: string;
  /** For a numbered segment (`.log.3`): 3, the higher the older. */
  number?: number;
  gz: boolean;
  /** Bytes on disk. */
  size: number;
  /** For .gz: the uncompressed size from the gzip trailer (mod 4 GiB); else = size. */
  contentSize: number;
  mtimeMs: number;
}

/** ISIZE, the last 4 bytes of a gzip file: uncompressed length mod 2^32. */
function gzipContentSize(path: string, size: number): number {
  if (size < 18) return 0;
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    readSync(fd, b, 0, 4, size - 4);
    return b.readUInt32LE(0);
  } finally {
    closeSync(fd);
  }
}

function segmentOf(d: DataDir, file: string): Segment | undefined {
  const parsed = parseSegmentName(file);
  if (!parsed) return undefined;
  const path = join(d.rooms, file);
  let st: Stats;
  try {
    st = statSync(path);
  } catch {
    return undefined; // rotated away between readdir and stat
  }
  if (!st.isFile()) return undefined;
  const { room, date, number, gz } = parsed;
  const suffix = gz ? '.gz' : '';
  const key = date !== undefined ? date + suffix : number !== undefined ? `n${number}${suffix}` : 'log';
  let contentSize = st.size;
  if (gz) {
    try {
      contentSize = gzipContentSize(path, st.size);
    } catch {
      contentSize = 0;
    }
  }
  const rotated = date !== undefined || number !== undefined;
  return { room, file, path, key, rotated, date, number, gz, size: st.size, contentSize, mtimeMs: st.mtimeMs };
}

/** 0 the current log, 1 dateext, 2 numbered: a logrotate without dateext is assumed to be an older configuration. */
function era(s: Segment): number {
  return s.date !== undefined ? 1 : s.number !== undefined ? 2 : 0;
}

/**
 * Newest first: the current log, dated segments by date (dates sort as text), then
 * numbered ones (`.1` newest). Of a segment and its .gz (compression under way), the
 * .gz first.
 */
function newestFirst(a: Segment, b: Segment): number {
  const byDate = a.date === b.date ? 0 : (a.date ?? '') < (b.date ?? '') ? 1 : -1;
  return era(a) - era(b) || byDate || (a.number ?? 0) - (b.number ?? 0) || Number(b.gz) - Number(a.gz);
}

function listFiles(d: DataDir): string[] {
  try {
    return readdirSync(d.rooms);
  } catch {
    return [];
  }
}

/** Every room's segments, newest first, empty ones included; rooms in no particular order. */
export function listArchive(d: DataDir): Map<string, Segment[]> {
  const byRoom = new Map<string, Segment[]>();
  for (const file of listFiles(d)) {
    const s = segmentOf(d, file);
    if (!s) continue;
    const list = byRoom.get(s.room) ?? [];
    list.push(s);
    byRoom.set(s.room, list);
  }
  for (const list of byRoom.values()) list.sort(newestFirst);
  return byRoom;
}

/** One room's segments, the current log first if it exists, then older and older. `room` must already be validated. */
export function listSegments(d: DataDir, room: string): Segment[] {
  const prefix = `${room}.log`;
  const out: Segment[] = [];
  for (const file of listFiles(d)) {
    if (!file.startsWith(prefix)) continue;
    const s = segmentOf(d, file);
    if (s && s.room === room) out.push(s);
  }
  return out.sort(newestFirst);
}

export function isEmptySegment(s: Segment): boolean {
  return s.contentSize === 0;
}

/**
 * The lines of one segment, decompressed if need be. A torn line (a full disk, a line
 * still being written) comes through as it is: parse, and skip what is not an event.
 * Throws on a corrupt or half-written .gz, after the lines before the damage.
 */
export async function* segmentLines(seg: Segment): AsyncGenerator<string> {
  const file = createReadStream(seg.path);
  const input = seg.gz ? file.pipe(createGunzip()) : file;
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
