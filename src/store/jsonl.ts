// JSON Lines files shared by many writer processes: appends that never tear, whole-file
// JSON replaced atomically. Reading from the end is backward.ts.

import { closeSync, constants, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { properLockfile } from './lockfile.js';

/** Lines up to this size are appended with one O_APPEND write and no lock (see docs/design.md). */
export const UNLOCKED_APPEND_MAX = 4096;

/**
 * No line we write is longer (max_message_bytes is far below): a longer one is garbage
 * (a torn write, a file that is not ours), and readers skip it rather than hold it.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

export class StorageError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
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
    fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o644);
  } catch (e) {
    if (mkdir && (e as NodeJS.ErrnoException).code === 'ENOENT') {
      mkdirSync(dirname(path), { recursive: true });
      writeWhole(path, buf, false);
      return;
    }
    throw e;
  }
  try {
    // Every write is one whole line, so the file ends with a newline, unless a write was
    // cut short by a full disk. Then start on a fresh line: the fragment stays alone on
    // its line (readers skip it) instead of swallowing this one.
    const size = fstatSync(fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      if (readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 10) buf = Buffer.concat([Buffer.from('\n'), buf]);
    }
    let n = 0;
    try {
      n = writeSync(fd, buf, 0, buf.length);
    } finally {
      if (n !== buf.length && n > 0) removeFragment(fd, size, n);
    }
    if (n !== buf.length) throw new StorageError(`short write to ${path}: ${n} of ${buf.length} bytes`);
  } finally {
    closeSync(fd);
  }
}

/**
 * A write cut short by a full disk left `n` bytes of a line at `before`. If nobody wrote
 * after it, cut it off; otherwise end it with a newline so it is one skipped line.
 */
function removeFragment(fd: number, before: number, n: number): void {
  try {
    if (fstatSync(fd).size === before + n) ftruncateSync(fd, before);
    else writeSync(fd, '\n');
  } catch {
    /* still full: the next append starts on a fresh line (see writeWhole) */
  }
}

/** Append one line (without its newline). Throws StorageError; never leaves a torn line. */
export async function appendLine(path: string, line: string, opts: AppendOptions = {}): Promise<void> {
  if (line.includes('\n')) throw new StorageError('a line may not contain a newline');
  const buf = Buffer.from(`${line}\n`);
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
  writeFileSync(tmp, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}
