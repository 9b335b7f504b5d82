// A room's archive: the current log and the segments logrotate left beside it
// (`lobby.log-20261120`, `lobby.log-20261119.gz`, or numbered without dateext:
// `lobby.log.1`, `lobby.log.2.gz`), read newest first. Plain files are read
// backwards from a byte offset, so the newest page of a 1 GB log costs one or two block
// reads; gzip cannot be read backwards, so a .gz segment is streamed once per page with
// only the last page's worth of lines kept.

import { closeSync, createReadStream, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { DataDir } from './datadir.js';
import { parseSegmentName } from './segments.js';
import { type RoomEvent, parseEventLine, ROOM_EVENT_TYPES } from '../shared/protocol.js';

export interface Segment {
  room: string;
  file: string;
  path: string;
  /** Names the segment in a cursor: `log` for the current file, else `20261120`, `20261120.gz`, `n1`, `n2.gz`. */
  key: string;
  rotated: boolean;
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
  let st;
  try {
    st = statSync(path);
  } catch {
    return undefined; // rotated away between readdir and stat
  }
  if (!st.isFile()) return undefined;
  const gz = parsed.gz ? '.gz' : '';
  const key = parsed.date ? parsed.date + gz : parsed.number !== undefined ? `n${parsed.number}${gz}` : 'log';
  let contentSize = st.size;
  if (parsed.gz) {
    try {
      contentSize = gzipContentSize(path, st.size);
    } catch {
      contentSize = 0;
    }
  }
  const rotated = parsed.date !== undefined || parsed.number !== undefined;
  return { room: parsed.room, file, path, key, rotated, number: parsed.number, gz: parsed.gz, size: st.size, contentSize, mtimeMs: st.mtimeMs };
}

/**
 * Current log first, then rotated segments newest first: dateext names sort by date;
 * numbered ones (`.1` newest) come after them, from a configuration without dateext
 * that is assumed older (as `tailroom history` reads them: src/segments.ts).
 */
function newestFirst(a: Segment, b: Segment): number {
  if (a.rotated !== b.rotated) return a.rotated ? 1 : -1;
  const an = a.number !== undefined;
  if (an !== (b.number !== undefined)) return an ? 1 : -1;
  if (an && a.number !== b.number) return a.number! - b.number!;
  return a.key < b.key ? 1 : a.key > b.key ? -1 : b.mtimeMs - a.mtimeMs;
}

function listFiles(d: DataDir): string[] {
  try {
    return readdirSync(d.rooms);
  } catch {
    return [];
  }
}

/** Every room's segments, empty ones included; rooms in no particular order. */
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

/** One room's segments, newest first. `room` must already be validated. */
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

// ---- cursors ------------------------------------------------------------------------

/** Where an older page ends: a segment and a byte offset in its (uncompressed) content. */
export interface Cursor {
  key: string;
  /** Undefined = the end of that segment. */
  offset?: number;
}

const CURSOR = /^(log|\d{8}[0-9-]{0,12}(?:\.gz)?|n\d{1,6}(?:\.gz)?)(?::(\d{1,15}))?$/;

export function formatCursor(c: Cursor): string {
  return c.offset === undefined ? c.key : `${c.key}:${c.offset}`;
}

/** undefined when malformed; the key is only ever looked up among listed segments. */
export function parseCursor(s: string): Cursor | undefined {
  const m = CURSOR.exec(s);
  if (!m) return undefined;
  return { key: m[1], offset: m[2] === undefined ? undefined : Number(m[2]) };
}

// ---- reading ------------------------------------------------------------------------

/** An event as stored, with the byte offset its line starts at. */
export interface Located {
  event: RoomEvent;
  start: number;
}

/** Lines longer than this are not events (max_message_bytes is far below): skipped unread. */
const MAX_LINE_BYTES = 1024 * 1024;

/**
 * Complete lines that end at or before byte `end`, newest first, each with its start
 * offset. Bytes after the last newline before `end` are a line still being written.
 */
export function* linesBackward(fd: number, end: number, blockSize = 64 * 1024): Generator<[string, number]> {
  let pos = end;
  let carry: Buffer = Buffer.alloc(0);
  let found = false; // seen the newline that ends the newest complete line
  let skipping = false; // inside an overlong line
  while (pos > 0) {
    const size = Math.min(blockSize, pos);
    pos -= size;
    const block = Buffer.allocUnsafe(size);
    const n = readSync(fd, block, 0, size, pos);
    if (n < size) return; // truncated under us (copytruncate): this read is over
    const buf = carry.length ? Buffer.concat([block, carry]) : block;
    let lineEnd = buf.length;
    if (!found) {
      const nl = buf.lastIndexOf(10);
      if (nl === -1) {
        carry = buf.length > MAX_LINE_BYTES ? Buffer.alloc(0) : buf;
        continue;
      }
      found = true;
      lineEnd = nl;
    }
    for (;;) {
      const nl = lineEnd > 0 ? buf.lastIndexOf(10, lineEnd - 1) : -1;
      if (nl === -1 && pos > 0) {
        carry = buf.subarray(0, lineEnd);
        if (carry.length > MAX_LINE_BYTES) {
          carry = Buffer.alloc(0);
          skipping = true;
        }
        break;
      }
      if (skipping) skipping = false;
      else if (lineEnd > nl + 1) yield [buf.toString('utf8', nl + 1, lineEnd), pos + nl + 1];
      if (nl === -1) return;
      lineEnd = nl;
    }
  }
}

export interface Filter {
  /** Cheap test on the raw line before it is parsed (the search's prefilter). */
  line?: (line: string) => boolean;
  event?: (e: RoomEvent) => boolean;
}

/** Only room events are shown: whispers and signaling never are room events. */
function shown(e: RoomEvent | undefined): e is RoomEvent {
  if (!e || !ROOM_EVENT_TYPES.has(e.type) || typeof e.t !== 'string') return false;
  const r = e as unknown as Record<string, unknown>;
  if ('from' in r && typeof r.from !== 'string') return false;
  if ('text' in r && typeof r.text !== 'string') return false;
  return true;
}

function accept(line: string, f: Filter): RoomEvent | undefined {
  if (f.line && !f.line(line)) return undefined;
  const e = parseEventLine(line);
  if (!shown(e)) return undefined;
  return !f.event || f.event(e) ? e : undefined;
}

interface SegmentRead {
  /** Oldest first. */
  found: Located[];
  /** Where the read stopped: undefined = the segment's start was reached. */
  stoppedAt?: number;
  scanned: number;
}

function readPlainBackward(s: Segment, end: number | undefined, need: number, f: Filter, budget: number): SegmentRead {
  const fd = openSync(s.path, 'r');
  try {
    const size = fstatSync(fd).size;
    const from = Math.min(end ?? size, size);
    const found: Located[] = [];
    let stoppedAt: number | undefined;
    let lastStart = from;
    for (const [line, start] of linesBackward(fd, from)) {
      // Past the budget (but never before one line, so a continued search always moves on).
      if (lastStart !== from && from - start > budget) {
        stoppedAt = lastStart;
        break;
      }
      lastStart = start;
      const e = accept(line, f);
      if (!e) continue;
      found.push({ event: e, start });
      if (found.length >= need) {
        stoppedAt = start > 0 ? start : undefined;
        break;
      }
    }
    return { found: found.reverse(), stoppedAt, scanned: from - (stoppedAt ?? 0) };
  } finally {
    closeSync(fd);
  }
}

/** Forward through the gzip stream up to `end`, keeping only the last `need` matches. */
async function readGzipBackward(s: Segment, end: number | undefined, need: number, f: Filter): Promise<SegmentRead> {
  const kept: Located[] = [];
  let dropped = false;
  let pos = 0; // uncompressed offset of `partial`'s first byte
  let partial: Buffer = Buffer.alloc(0);
  const stream = createReadStream(s.path).pipe(createGunzip());
  const take = (line: string, start: number) => {
    const e = accept(line, f);
    if (!e) return;
    kept.push({ event: e, start });
    if (kept.length > need) {
      kept.shift();
      dropped = true;
    }
  };
  try {
    outer: for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buf = partial.length ? Buffer.concat([partial, chunk]) : chunk;
      let lineStart = 0;
      for (;;) {
        const nl = buf.indexOf(10, lineStart);
        if (nl === -1) break;
        const start = pos + lineStart;
        if (end !== undefined && pos + nl + 1 > end) break outer;
        if (nl > lineStart && nl - lineStart <= MAX_LINE_BYTES) take(buf.toString('utf8', lineStart, nl), start);
        lineStart = nl + 1;
      }
      pos += lineStart;
      partial = buf.subarray(lineStart);
      if (partial.length > MAX_LINE_BYTES) {
        pos += partial.length;
        partial = Buffer.alloc(0);
      }
    }
  } finally {
    stream.destroy();
  }
  const stoppedAt = dropped && kept.length ? kept[0].start : undefined;
  return { found: kept, stoppedAt, scanned: end ?? pos };
}

export interface PageQuery {
  before?: Cursor;
  pageSize: number;
  /** Bytes one request may read before it stops and offers to go on (search). */
  budget: number;
  filter?: Filter;
}

export interface HistoryPage {
  /** Oldest first. */
  events: RoomEvent[];
  /** Where the next older page starts; undefined when the archive's beginning was reached. */
  older?: Cursor;
  /** The read stopped at the byte budget before the page was full (only a search gets here). */
  partial: boolean;
  /** Segments whose content could not be read (a corrupt .gz): named, then skipped. */
  unreadable: string[];
}

/**
 * A page of events ending at `before` (default: the newest), crossing from the current
 * log into rotated and gzipped segments as needed. Throws RangeError for a cursor that
 * names no segment of this room.
 */
export async function readPage(segments: Segment[], q: PageQuery): Promise<HistoryPage> {
  let i = 0;
  let end: number | undefined;
  if (q.before) {
    i = segments.findIndex((s) => s.key === q.before!.key);
    if (i === -1) throw new RangeError('no such segment');
    end = q.before.offset;
  }
  const f = q.filter ?? {};
  const chunks: Located[][] = [];
  let count = 0;
  let scanned = 0;
  const unreadable: string[] = [];
  for (; i < segments.length; i++, end = undefined) {
    const s = segments[i];
    if (isEmptySegment(s)) continue;
    let r: SegmentRead;
    try {
      r = s.gz ? await readGzipBackward(s, end, q.pageSize - count, f) : readPlainBackward(s, end, q.pageSize - count, f, q.budget - scanned);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue; // rotated or removed while we read
      if (!s.gz) throw e;
      unreadable.push(s.file);
      continue;
    }
    chunks.unshift(r.found);
    count += r.found.length;
    scanned += r.scanned;
    if (r.stoppedAt !== undefined) {
      return { events: flatten(chunks), older: { key: s.key, offset: r.stoppedAt }, partial: count < q.pageSize, unreadable };
    }
    if (count >= q.pageSize || scanned >= q.budget) {
      const next = segments.slice(i + 1).find((x) => !isEmptySegment(x));
      return { events: flatten(chunks), older: next ? { key: next.key } : undefined, partial: count < q.pageSize && next !== undefined, unreadable };
    }
  }
  return { events: flatten(chunks), partial: false, unreadable };
}

function flatten(chunks: Located[][]): RoomEvent[] {
  return chunks.flat().map((l) => l.event);
}
