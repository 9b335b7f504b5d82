// JSON Lines files shared by many writer processes: appends that never tear, and
// reading from the end so a 1 GB log costs what its last page costs.

import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync, writeFileSync, writeSync, constants } from 'node:fs';
import { dirname } from 'node:path';
import { properLockfile } from './lockfile.js';

/** Lines up to this size are appended with one O_APPEND write and no lock (see DESIGN.md §2). */
export const UNLOCKED_APPEND_MAX = 4096;

export class StorageError extends Error {
  constructor(
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
  }
}

export interface AppendOptions {
  /** Lock every append (shared_fs: O_APPEND is not atomic across NFS clients). */
  alwaysLock?: boolean;
  /** Create the parent directory if missing. */
  mkdir?: boolean;
}

function writeWhole(path: string, buf: Buffer, mkdir: boolean): void {
  let fd: number;
  try {
    // Opened per append so a rename by logrotate is picked up by the very next line.
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o644);
  } catch (e) {
    if (mkdir && (e as NodeJS.ErrnoException).code === 'ENOENT') {
      mkdirSync(dirname(path), { recursive: true });
      return writeWhole(path, buf, false);
    }
    throw e;
  }
  try {
    const n = writeSync(fd, buf, 0, buf.length);
    if (n !== buf.length) {
      // A short write (disk full) left a torn line: end it, so the next writer's line
      // starts clean and readers skip exactly one unparsable fragment.
      try {
        writeSync(fd, '\n');
      } catch {
        /* the disk is still full: the next successful append starts with a newline check */
      }
      throw new StorageError(`short write to ${path}: ${n} of ${buf.length} bytes`);
    }
  } finally {
    closeSync(fd);
  }
}

/** Append one line (without its newline). Throws StorageError; never leaves a torn line. */
export async function appendLine(path: string, line: string, opts: AppendOptions = {}): Promise<void> {
  if (line.includes('\n')) throw new StorageError('a line may not contain a newline');
  const buf = Buffer.from(line + '\n');
  const mkdir = opts.mkdir ?? false;
  try {
    if (!opts.alwaysLock && buf.length <= UNLOCKED_APPEND_MAX) {
      writeWhole(path, buf, mkdir);
      return;
    }
    const release = await (await properLockfile()).lock(path, {
      realpath: false,
      stale: 10000,
      retries: { retries: 200, minTimeout: 5, maxTimeout: 50, factor: 1.3 },
      onCompromised: () => {
        /* the write below is a single syscall: a late lock loss cannot tear it */
      },
    });
    try {
      writeWhole(path, buf, mkdir);
    } finally {
      await release().catch(() => undefined);
    }
  } catch (e) {
    if (e instanceof StorageError) throw e;
    throw new StorageError(`cannot append to ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, e);
  }
}

/** Whole-file JSON (sessions, presence info): temp file + rename, so readers see all or nothing. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${dirname(path)}/.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, JSON.stringify(value) + '\n', { mode: 0o600 });
  renameSync(tmp, path);
}

export interface BackwardChunk {
  /** Complete lines, oldest first. */
  lines: string[];
  /** Byte offset where the first returned line starts: pass as `end` for the page before. */
  start: number;
}

/**
 * Up to `count` complete lines that end at or before byte `end` (default: end of file),
 * reading backwards in blocks. Lines for which `keep` is false are skipped, not counted.
 */
export function readLinesBackward(
  fd: number,
  count: number,
  end?: number,
  keep: (line: string) => boolean = () => true,
  blockSize = 64 * 1024,
): BackwardChunk {
  let pos = end ?? fstatSync(fd).size;
  let start = pos;
  const lines: string[] = [];
  let tail = Buffer.alloc(0);
  let aligned = false; // true once we know where the last complete line ends
  while (pos > 0 && lines.length < count) {
    const size = Math.min(blockSize, pos);
    pos -= size;
    const block = Buffer.alloc(size);
    readSync(fd, block, 0, size, pos);
    const buf = tail.length ? Buffer.concat([block, tail]) : block;
    let lineEnd = buf.length - 1; // index of the newline that ends the line being cut out
    if (!aligned) {
      // Bytes after the last newline are a line still being written: not ours yet.
      lineEnd = buf.lastIndexOf(10);
      if (lineEnd === -1) {
        tail = buf;
        continue;
      }
      aligned = true;
      start = pos + lineEnd + 1;
    }
    for (;;) {
      const prev = lineEnd > 0 ? buf.lastIndexOf(10, lineEnd - 1) : -1;
      if (prev === -1 && pos > 0) break; // this line starts in an earlier block
      const line = buf.subarray(prev + 1, lineEnd).toString('utf8');
      start = pos + prev + 1;
      if (line.length > 0 && keep(line)) lines.push(line);
      lineEnd = prev;
      if (prev === -1 || lines.length >= count) break;
    }
    tail = buf.subarray(0, lineEnd + 1);
  }
  lines.reverse();
  return { lines, start };
}
