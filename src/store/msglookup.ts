// Finding one msg by its id, for an edit or a delete: the current log read backwards,
// then the rotated segments, newest first, with the edit and delete lines that name it
// on the way (a delete must blank those too). Bounded twice: ids begin with their time
// (src/store/eventid.ts), so the search stops at lines stamped well before the id's; and
// it reads at most `maxBytes`, past which the msg counts as not found.

import { closeSync, openSync } from 'node:fs';
import { linesBackward } from './backward.js';
import type { DataDir } from './datadir.js';
import { searchFloor, stampedBefore } from './eventid.js';
import { listSegments, type Segment, segmentLines } from './segments.js';
import { bodyOf, type MsgEvent } from '../shared/lifecycle.js';
import { type Body, parseEventLine, type RoomEvent } from '../shared/protocol.js';
import { redactPlaces } from './redact.js';

/** A line as stored: where it is, and what it says. */
export interface Place {
  segment: Segment;
  /** Byte offset of the line in a plain file; undefined in a .gz (rewritten whole). */
  start?: number;
  line: string;
}

export interface Found {
  msg: MsgEvent;
  /** The msg's line, then the lines of its edits, newest first. */
  places: Place[];
  /** Its latest body, text or ciphertext (after the edits found). */
  body: Body;
  /** A delete naming it was found. */
  deleted: boolean;
}

export type Lookup = { found: Found } | { missing: 'unknown' | 'not_msg' | 'too_far' };

class Search {
  readonly later: { e: Extract<RoomEvent, { type: 'edit' | 'delete' }>; place: Place }[] = [];
  private readonly idPrefix: string;
  private readonly refNeedle: string;
  private readonly floor: string;
  result: Lookup | undefined;

  constructor(readonly id: string) {
    this.idPrefix = `{"id":"${id}"`;
    this.refNeedle = `"ref":"${id}"`;
    this.floor = searchFloor(id);
  }

  /** One line, newest first; true = stop here. */
  see(line: string, place: Place): boolean {
    if (line.startsWith(this.idPrefix)) {
      const e = parseEventLine(line);
      if (e?.type !== 'msg') {
        this.result = { missing: e ? 'not_msg' : 'unknown' };
        return true;
      }
      this.result = { found: this.foundAt(e, place) };
      return true;
    }
    if (line.includes(this.refNeedle)) {
      const e = parseEventLine(line);
      if ((e?.type === 'edit' || e?.type === 'delete') && e.ref === this.id) this.later.push({ e, place });
    }
    // Stamped well before the id: the msg cannot lie further back.
    if (stampedBefore(line, this.floor)) {
      this.result = { missing: 'unknown' };
      return true;
    }
    return false;
  }

  private foundAt(msg: MsgEvent, place: Place): Found {
    const edits = this.later.filter((l) => l.e.type === 'edit' && l.e.from === msg.from);
    const newest = edits[0]?.e;
    return {
      msg,
      places: [place, ...edits.map((l) => l.place)],
      body: bodyOf(newest?.type === 'edit' ? newest : msg),
      deleted: this.later.some((l) => l.e.type === 'delete'),
    };
  }
}

/** The msg `id` in `room`, reading at most `maxBytes` of its archive (Infinity: all of it). */
export async function findMessage(d: DataDir, room: string, id: string, maxBytes: number): Promise<Lookup> {
  const s = new Search(id);
  let left = maxBytes;
  for (const segment of listSegments(d, room)) {
    if (left <= 0) return { missing: 'too_far' };
    if (segment.gz) {
      if (segment.contentSize > left) return { missing: 'too_far' };
      left -= segment.contentSize;
      // Forward through a .gz: the edits after the msg come after it; keep them newest first.
      const lines: string[] = [];
      try {
        for await (const line of segmentLines(segment)) if (line.includes(id)) lines.push(line);
      } catch {
        continue; // a corrupt or half-written .gz: what it holds is unreadable anyway
      }
      for (const line of lines.reverse()) if (s.see(line, { segment, line })) return s.result ?? { missing: 'unknown' };
      continue;
    }
    let fd: number;
    try {
      fd = openSync(segment.path, 'r');
    } catch {
      continue; // rotated away while we looked
    }
    try {
      const floor = Math.max(0, segment.size - left);
      for (const [line, start] of linesBackward(fd, segment.size, undefined, floor)) {
        if (s.see(line, { segment, start, line })) return s.result ?? { missing: 'unknown' };
      }
      if (floor > 0) return { missing: 'too_far' };
      left -= segment.size;
    } finally {
      closeSync(fd);
    }
  }
  return { missing: 'unknown' };
}

/** Tries at blanking a msg whose lines move under us (rotations): each try finds them again. */
const REDACT_TRIES = 3;

/**
 * Blank the text of msg `id` and of its edits everywhere they are stored (src/store/redact.ts).
 * Called after its delete is logged. False when it was not found within `maxBytes`, or
 * kept moving.
 */
export async function redactMessage(d: DataDir, room: string, id: string, maxBytes: number): Promise<boolean> {
  for (let i = 0; i < REDACT_TRIES; i++) {
    const r = await findMessage(d, room, id, maxBytes);
    if (!('found' in r)) return false;
    if (await redactPlaces(r.found.places)) return true;
  }
  return false;
}
