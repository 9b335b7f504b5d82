// Reading a room's archive (segments.ts lists it) by pages, newest first. Plain files are
// read backwards from a byte offset, so the newest page of a 1 GB log costs one or two
// block reads; gzip cannot be read backwards, so a .gz segment is streamed once per page
// with only the last page's worth of lines kept. A search counts the bytes it unpacks
// against its budget too: it never unpacks more than the budget in one request.

import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { linesBackward } from './backward.js';
import { searchFloor, stampedBefore } from './eventid.js';
import { MAX_LINE_BYTES } from './jsonl.js';
import { isEmptySegment, type Segment } from './segments.js';
import { parseEventLine, ROOM_EVENT_TYPES, type RoomEvent } from '../shared/protocol.js';

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
  const key = m?.[1];
  if (key === undefined) return undefined;
  return { key, offset: m?.[2] === undefined ? undefined : Number(m[2]) };
}

// ---- reading ------------------------------------------------------------------------

/** An event as stored, with the byte offset its line starts at. */
export interface Located {
  event: RoomEvent;
  start: number;
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
  /** A .gz read that hit its budget: only content before this offset was searched. */
  cutAt?: number;
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

/**
 * Forward through the gzip stream up to `end`, keeping only the last `need` matches, and
 * unpacking no more than `limit` bytes (then `cutAt` says how far it got).
 */
async function readGzipBackward(s: Segment, end: number | undefined, need: number, f: Filter, limit: number): Promise<SegmentRead> {
  const kept: Located[] = [];
  let dropped = false;
  let pos = 0; // uncompressed offset of `partial`'s first byte
  let partial: Buffer = Buffer.alloc(0);
  let unpacked = 0;
  let cutAt: number | undefined;
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
      if (unpacked >= limit) {
        cutAt = pos;
        break;
      }
      unpacked += chunk.length;
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
  const stoppedAt = dropped ? kept[0]?.start : undefined;
  return { found: kept, stoppedAt, scanned: cutAt ?? end ?? pos, cutAt };
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
  /**
   * A search reached a .gz segment bigger than its budget: only its first `searched`
   * bytes were searched, and "older" goes on past it (gzip cannot be read from the end).
   */
  cut?: { file: string; searched: number };
}

/**
 * A page of events ending at `before` (default: the newest), crossing from the current
 * log into rotated and gzipped segments as needed. Throws RangeError for a cursor that
 * names no segment of this room.
 */
export async function readPage(segments: Segment[], q: PageQuery): Promise<HistoryPage> {
  let i = 0;
  let end: number | undefined;
  const before = q.before;
  if (before) {
    i = segments.findIndex((s) => s.key === before.key);
    if (i === -1) throw new RangeError('no such segment');
    end = before.offset;
  }
  const f = q.filter ?? {};
  const chunks: Located[][] = [];
  let count = 0;
  let scanned = 0;
  const unreadable: string[] = [];
  // Browsing a .gz unpacks it up to the page; only a search, which may read every
  // segment, is held to the budget there too.
  const searching = f.line !== undefined || f.event !== undefined;
  for (; i < segments.length; i++, end = undefined) {
    const s = segments[i];
    if (!s || isEmptySegment(s)) continue;
    const left = q.budget - scanned;
    if (searching && s.gz && (end ?? s.contentSize) > left && (scanned > 0 || count > 0)) {
      // Unpacked from its start, it would not fit in what is left: it gets a request of its own.
      return { events: flatten(chunks), older: { key: s.key, offset: end }, partial: count < q.pageSize, unreadable };
    }
    let r: SegmentRead;
    try {
      r = s.gz
        ? await readGzipBackward(s, end, q.pageSize - count, f, searching ? Math.max(1, left) : Number.POSITIVE_INFINITY)
        : readPlainBackward(s, end, q.pageSize - count, f, left);
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
    const cut = r.cutAt === undefined ? undefined : { file: s.file, searched: r.cutAt };
    if (r.stoppedAt !== undefined) {
      return { events: flatten(chunks), older: { key: s.key, offset: r.stoppedAt }, partial: count < q.pageSize, unreadable, cut };
    }
    if (count >= q.pageSize || scanned >= q.budget || cut) {
      const next = segments.slice(i + 1).find((x) => !isEmptySegment(x));
      const partial = (count < q.pageSize && next !== undefined) || cut !== undefined;
      return { events: flatten(chunks), older: next ? { key: next.key } : undefined, partial, unreadable, cut };
    }
  }
  return { events: flatten(chunks), partial: false, unreadable };
}

function flatten(chunks: Located[][]): RoomEvent[] {
  return chunks.flat().map((l) => l.event);
}

// ---- one event's page ----------------------------------------------------------------

/** Most bytes read past the event to give its page some later lines too. */
const AFTER_BYTES = 256 * 1024;

/** Reading backwards passed every line that could be the event: it is not there. */
class PassedIt extends Error {}

export type EventPage = { cursor: Cursor } | { missing: 'unknown' | 'too_far' };

/**
 * Where the page holding event `id` ends: just after up to `after` lines that follow it
 * (within its segment, when it is a plain file), so the page shows it with what was said
 * next. Bounded like a search: at most `budget` bytes read; and ids begin with their
 * time (src/store/eventid.ts), so reading a plain file backwards stops at lines stamped
 * well before the id's.
 */
export async function locateEvent(segments: Segment[], id: string, after: number, budget: number): Promise<EventPage> {
  const prefix = `{"id":"${id}"`;
  const floor = searchFloor(id);
  let left = budget;
  for (const s of segments) {
    if (isEmptySegment(s)) continue;
    if (left <= 0) return { missing: 'too_far' };
    let bytes = 0;
    const f: Filter = {
      line: (line) => {
        if (line.startsWith(prefix)) {
          bytes = Buffer.byteLength(line) + 1;
          return true;
        }
        if (!s.gz && stampedBefore(line, floor)) throw new PassedIt();
        return false;
      },
    };
    let r: SegmentRead;
    try {
      if (s.gz && s.contentSize > left) return { missing: 'too_far' };
      r = s.gz ? await readGzipBackward(s, undefined, 1, f, left) : readPlainBackward(s, undefined, 1, f, left);
    } catch (e) {
      if (e instanceof PassedIt) return { missing: 'unknown' };
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || s.gz) continue; // rotated away, or an unreadable .gz
      throw e;
    }
    const hit = r.found[0];
    if (hit) {
      const end = hit.start + bytes;
      return { cursor: { key: s.key, offset: s.gz ? end : laterLinesEnd(s, end, after) } };
    }
    left -= r.scanned;
    if (r.stoppedAt !== undefined) return { missing: 'too_far' };
  }
  return { missing: 'unknown' };
}

/** The offset after `count` more complete lines from `from` in a plain file (fewer near its end). */
function laterLinesEnd(s: Segment, from: number, count: number): number {
  let fd: number;
  try {
    fd = openSync(s.path, 'r');
  } catch {
    return from;
  }
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(Math.max(0, Math.min(AFTER_BYTES, size - from)));
    const got = readSync(fd, buf, 0, buf.length, from);
    let end = from;
    let nl = -1;
    for (let n = 0; n < count; n++) {
      nl = buf.indexOf(10, nl + 1);
      if (nl === -1 || nl >= got) break;
      end = from + nl + 1;
    }
    return end;
  } finally {
    closeSync(fd);
  }
}
