// JSON Lines files shared by many writer processes: appends that never tear, whole-file
// JSON replaced atomically. Reading from the end is backward.ts.

import { closeSync, constants, mkdirSync, openSync, readFileSync, readSync, renameSync, writeFileSync, writeSync } from 'node:fs';
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
    // No look at the file's last byte first: another writer's line can be visible half
    // written (the size grows page by page), so that look would see torn lines that are
    // not. A torn line is only ever one whose writer saw its own write cut short, below.
    const n = writeSync(fd, buf, 0, buf.length);
    if (n === buf.length) return;
    if (n > 0) endFragment(fd, buf.subarray(0, n));
    throw new StorageError(`short write to ${path}: ${n} of ${buf.length} bytes`);
  } finally {
    closeSync(fd);
  }
}

/**
 * A write cut short (a full disk) left `frag`, the start of our line, with no newline: the
 * next line appended would be glued to it and lost with it. Overwrite the fragment's own
 * last byte with a newline, so it is one line readers skip (a strict prefix of a JSON line
 * is never JSON). That byte's block is already there, so this works while the disk is
 * still full, where appending a newline needs a new block; and it changes no byte but
 * ours, so lines others appended meanwhile stay whole where they are, and it needs no lock
 * (the unlocked appenders would not respect one anyway). Never truncate: a line can land
 * between a size check and the cut, and every follower would start the file over from 0.
 */
function endFragment(appendFd: number, frag: Buffer): void {
  let fd: number | undefined;
  try {
    // Where the fragment ends: the descriptor's offset, which the kernel left just past our
    // bytes (not the file's size: lines may have come since, if space came back). Looking
    // for the bytes instead could find another line that starts the same way.
    const pos = Number(/^pos:\s+(\d+)$/m.exec(readFileSync(`/proc/self/fdinfo/${appendFd}`, 'latin1'))?.[1] ?? Number.NaN);
    if (!(pos >= frag.length)) return;
    // O_APPEND makes pwrite append (Linux): write through a second descriptor of the same
    // file, not of whatever the path names now (logrotate may have renamed it).
    fd = openSync(`/proc/self/fd/${appendFd}`, 'r+');
    const there = Buffer.alloc(frag.length);
    if (readSync(fd, there, 0, frag.length, pos - frag.length) === frag.length && there.equals(frag)) writeSync(fd, '\n', pos - 1);
  } catch {
    /* nothing better to do: readers skip the glued line, as any line that is not an event */
  } finally {
    if (fd !== undefined) closeSync(fd);
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
  writeFileAtomic(path, `${JSON.stringify(value)}\n`);
}

/** Any whole file (a room's .ini) the same way: temp file in the same directory, then rename. */
export function writeFileAtomic(path: string, text: string, mode = 0o600): void {
  const tmp = `${dirname(path)}/.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}
