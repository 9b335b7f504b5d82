// Redaction: what a delete does to the files. The deleted msg's line and its edits' lines
// are overwritten where they lie, byte for byte the same length, so nothing before or
// after them moves: appenders (O_APPEND, at the end) and followers (at their offsets) go on
// as if nothing happened, and the live log is never renamed or rewritten. A .gz segment
// cannot be written in place: it is rewritten to a temp file and renamed over (nobody
// appends to a rotated segment).

import { closeSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const SPACE = 0x20;
const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const TEXT_KEY = Buffer.from('"text":"');
const BOX_KEY = Buffer.from('"e2e":{');
const CT_KEY = Buffer.from('"ct":"');

/**
 * Where the string value of the line's top-level "text" lies: [first byte inside the
 * quotes, the closing quote). Stored lines are JSON.stringify output: inside a string
 * every quote is escaped, so the first raw `"text":"` is the key. A line without text
 * (ciphertext, in an end-to-end room) gives its box's "ct" instead: base64, nothing to
 * escape, and the box's only part that says anything.
 */
function textSpan(b: Buffer): [number, number] | undefined {
  let at = b.indexOf(TEXT_KEY);
  let key = TEXT_KEY;
  if (at === -1) {
    const box = b.indexOf(BOX_KEY);
    at = box === -1 ? -1 : b.indexOf(CT_KEY, box);
    key = CT_KEY;
  }
  if (at === -1) return undefined;
  const from = at + key.length;
  for (let i = from; i < b.length; i++) {
    if (b[i] === BACKSLASH) i++;
    else if (b[i] === QUOTE) return [from, i];
  }
  return undefined;
}

/**
 * The same line with its text blanked, the same number of bytes: every plain byte (a
 * multi-byte character's bytes too) becomes a space, a two-byte escape `\n` `\"` becomes
 * `\t`, a `\uXXXX` becomes `\u0020`. A reader that catches the write half done sees old
 * and new bytes mixed, and every such mix is still valid JSON: the backslashes stay where
 * they were, only what follows one changes (to `t`, or to hex digits). The text reads as
 * whitespace, which marks it deleted (src/shared/lifecycle.ts). Undefined when the line
 * has no text to blank, or is not JSON.
 */
export function redactedBytes(line: Buffer): Buffer | undefined {
  const span = textSpan(line);
  if (!span) return undefined;
  const out = Buffer.from(line);
  for (let i = span[0]; i < span[1]; i++) {
    if (out[i] !== BACKSLASH) {
      out[i] = SPACE;
      continue;
    }
    if (out[i + 1] === 0x75 /* u */) {
      out.write('0020', i + 2, 'latin1');
      i += 5;
    } else {
      out[i + 1] = 0x74; // t
      i += 1;
    }
  }
  try {
    JSON.parse(out.toString('utf8'));
  } catch {
    return undefined;
  }
  return out;
}

export function redactedLine(line: string): string | undefined {
  return redactedBytes(Buffer.from(line))?.toString('utf8');
}

/**
 * Blank the text of `line`, which starts at byte `start` of the plain file `path`. Only
 * when those bytes are still that line: a rotation or a copytruncate since it was found
 * put other bytes there, and then nothing is written (false: find it again). The file is
 * opened without O_APPEND (with it, Linux would put a positioned write at the end).
 */
export function redactInPlace(path: string, start: number, line: string): boolean {
  const want = Buffer.from(line);
  const blank = redactedBytes(want);
  if (!blank) return false;
  const fd = openSync(path, 'r+');
  try {
    const got = Buffer.alloc(want.length);
    if (readSync(fd, got, 0, got.length, start) !== got.length) return false;
    if (got.equals(blank)) return true; // redacted already (two deletes racing)
    if (!got.equals(want)) return false;
    const span = textSpan(want);
    if (!span) return false;
    // One positioned write of the changed bytes only: pwrite(2).
    writeSync(fd, blank, span[0], span[1] - span[0], start + span[0]);
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Rewrite the .gz segment `path` with the text of every line whose id is in `ids`
 * blanked: unpacked, blanked, packed into a temp file beside it, renamed over it (one
 * rename: a reader sees the old file or the new one). Returns how many lines it blanked.
 * zlib loads here, when a delete reaches a compressed segment, not at a handler's start.
 */
export async function redactGzip(path: string, ids: ReadonlySet<string>): Promise<number> {
  const [{ createGunzip, createGzip }, { createReadStream, createWriteStream }, { pipeline }, { Transform }] = await Promise.all([
    import('node:zlib'),
    import('node:fs'),
    import('node:stream/promises'),
    import('node:stream'),
  ]);
  let blanked = 0;
  let carry: Buffer = Buffer.alloc(0);
  const fix = (line: Buffer): Buffer => {
    const m = /^\{"id":"([^"]+)"/.exec(line.toString('latin1', 0, Math.min(line.length, 80)));
    if (!m?.[1] || !ids.has(m[1])) return line;
    const blank = redactedBytes(line);
    if (!blank) return line;
    blanked++;
    return blank;
  };
  const lines = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
      const parts: Buffer[] = [];
      let from = 0;
      for (let nl = buf.indexOf(10, from); nl !== -1; nl = buf.indexOf(10, from)) {
        parts.push(fix(buf.subarray(from, nl)), Buffer.from('\n'));
        from = nl + 1;
      }
      carry = Buffer.from(buf.subarray(from));
      done(null, Buffer.concat(parts));
    },
    flush(done) {
      done(null, carry.length ? fix(carry) : Buffer.alloc(0));
    },
  });
  const temp = join(dirname(path), `.${basename(path)}.redact-${process.pid}`);
  rmSync(temp, { force: true }); // left by a crash of a process that had our pid
  try {
    await pipeline(createReadStream(path), createGunzip(), lines, createGzip(), createWriteStream(temp, { flags: 'wx' }));
    if (blanked > 0) renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
  return blanked;
}

/** Where a line to blank lies (src/store/msglookup.ts finds them). */
export interface RedactPlace {
  segment: { path: string; gz: boolean };
  /** Byte offset in a plain file. */
  start?: number;
  line: string;
}

/**
 * Blank every line in `places`: plain files in place, each .gz rewritten once. False when
 * a plain line was no longer where it was found (rotated or truncated meanwhile): look
 * it up again and call again; what was blanked stays blanked.
 */
export async function redactPlaces(places: readonly RedactPlace[]): Promise<boolean> {
  let all = true;
  const gz = new Map<string, Set<string>>();
  for (const p of places) {
    if (p.segment.gz || p.start === undefined) {
      const id = /^\{"id":"([^"]+)"/.exec(p.line)?.[1];
      if (id === undefined) continue;
      const ids = gz.get(p.segment.path) ?? new Set<string>();
      ids.add(id);
      gz.set(p.segment.path, ids);
      continue;
    }
    try {
      if (!redactInPlace(p.segment.path, p.start, p.line)) all = false;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      all = false; // rotated (or compressed) away since
    }
  }
  for (const [path, ids] of gz) {
    try {
      await redactGzip(path, ids);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      all = false;
    }
  }
  return all;
}
