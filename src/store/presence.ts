// users/<room>/<name>/: who is in a room right now (docs/design.md). The one module that
// lists, creates and removes what is in users/.
// A name is claimed by an exclusive mkdir (atomic, also on NFS), so two chatters can
// never get the same one; the holder keeps a proper-lockfile lock on `info` fresh, and
// a presence whose lock went stale (or whose process is gone) is reaped exactly once:
// the reaper that wins the rename to a tombstone logs the `leave`, unless its holder
// logged one already (it leaves by logging first, then giving the name up).

import * as nodeFs from 'node:fs';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { properLockfile } from './lockfile.js';
import { type DataDir, infoPath, inboxPath, presenceDir, roomLogPath, roomUsersDir } from './datadir.js';
import { writeJsonAtomic } from './jsonl.js';
import { MAX_USER_LENGTH } from './names.js';
import { loadSkeleton } from './confusables.js';
import { leaveLoggedSince } from './roomlog.js';
import type { UserSummary } from '../shared/protocol.js';

export interface PresenceInfo {
  name: string;
  color: string;
  pid: number;
  host: string;
  since: string;
  /** Public key for end-to-end whispers, once the chatter's page announced one. */
  pub?: string;
  /** The chatter's read marker here: the newest message id its page has seen. */
  read?: string;
}

/** Most numbered variants tried for one name (`bob`, `bob1`, … `bob999`). */
const MAX_NUMBER = 999;

export interface PresenceOptions {
  /** Lock age after which the holder is presumed dead. */
  staleMs: number;
  /** Called if the lock is lost: an admin removed the presence, or the process stalled. */
  onLost: () => void;
  /** Whether this chatter may be called a name (registered names: src/access.ts); a name it may not use counts as taken. */
  mayUse?: (name: string) => boolean;
  /** The read marker to publish from the start (the stored one), if any. */
  read?: string;
}

function numbered(base: string, n: number): string {
  if (n === 0) return base;
  const suffix = String(n);
  return [...base].slice(0, MAX_USER_LENGTH - suffix.length).join('') + suffix;
}

/**
 * A present name that looks like `name` but is not it (nor `self`, the renamer's own):
 * equal TR39 skeletons (confusables.ts). Asked right after our exclusive mkdir of `name`,
 * so of two look-alikes joining at once at least one sees the other (both may, and both
 * move on: never both shown). No other name present: the table is not even loaded.
 */
function lookAlike(d: DataDir, room: string, name: string, self?: string): string | undefined {
  const others = readdirSync(roomUsersDir(d, room)).filter((other) => other !== name && other !== self && !other.startsWith('.'));
  if (others.length === 0) return undefined;
  const skeleton = loadSkeleton();
  const mine = skeleton(name);
  return others.find((other) => skeleton(other) === mine);
}

let host = '';
/** This machine's name, asked once: a join may check hundreds of presences. */
function thisHost(): string {
  if (!host) host = hostname();
  return host;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed handler whose websocketd died too may linger as a zombie (in a container
  // nobody may reap it): it answers signal 0 but is dead.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export function readInfo(d: DataDir, room: string, name: string): PresenceInfo | undefined {
  return readInfoAt(infoPath(d, room, name));
}

function readInfoAt(path: string): PresenceInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as PresenceInfo;
    return typeof v.name === 'string' && typeof v.color === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Who is in the room, in name order. Hidden entries (locks, tombstones) are not people. */
export function listPresent(d: DataDir, room: string): UserSummary[] {
  return presentNames(d, room)
    .sort()
    .map((name) => {
      const info = readInfo(d, room, name);
      return { name, color: info?.color ?? '', ...extrasOf(info) };
    });
}

/** What a presence info adds to a name and colour in a `users` list: the key and the read marker, when valid strings. */
export function extrasOf(info: PresenceInfo | undefined): Pick<UserSummary, 'pub' | 'read'> {
  return {
    ...(typeof info?.pub === 'string' ? { pub: info.pub } : {}),
    ...(typeof info?.read === 'string' ? { read: info.read } : {}),
  };
}

/** Who is in the room, by name only: one readdir, no info file read. */
export function presentNames(d: DataDir, room: string): string[] {
  try {
    return readdirSync(roomUsersDir(d, room)).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
}

/** users/<room>/ exists: somebody has been in the room (it stays when they leave). */
export function hasPresenceDir(d: DataDir, room: string): boolean {
  return existsSync(roomUsersDir(d, room));
}

/** Every room with somebody in it, and who is there; rooms in no particular order. */
export function presenceByRoom(d: DataDir): Map<string, UserSummary[]> {
  const byRoom = new Map<string, UserSummary[]>();
  let rooms: string[];
  try {
    rooms = readdirSync(d.users);
  } catch {
    return byRoom; // no users/ yet
  }
  for (const room of rooms) {
    if (room.startsWith('.')) continue;
    const users = listPresent(d, room);
    if (users.length > 0) byRoom.set(room, users);
  }
  return byRoom;
}

/**
 * Remove users/<room>/ of a room nobody is in (`tailroom prune`): true once it is gone,
 * false (touching nothing that is anyone's) if somebody is there. The directory is renamed aside first, so a
 * joiner arriving meanwhile makes a fresh one (join's recursive mkdir); one that got in
 * between our look and the rename is put back.
 */
export function removeRoomPresence(d: DataDir, room: string): boolean {
  const dir = roomUsersDir(d, room);
  const people = (path: string) => {
    try {
      return readdirSync(path).some((n) => !n.startsWith('.'));
    } catch {
      return false;
    }
  };
  if (!existsSync(dir)) return true;
  if (people(dir)) return false;
  const aside = join(d.users, `.pruned-${process.pid}-${Date.now().toString(36)}`);
  try {
    renameSync(dir, aside);
  } catch {
    return !existsSync(dir);
  }
  if (people(aside)) {
    try {
      renameSync(aside, dir);
    } catch {
      /* a newer users/<room>/ is there: that joiner's handler sees its presence gone and leaves */
    }
    return false;
  }
  rmSync(aside, { recursive: true, force: true });
  return true;
}

// ---- tombstones -----------------------------------------------------------------------
// A presence on its way out is first renamed to a hidden name beside it: the rename is
// atomic, so of several removers exactly one wins, and readers skip hidden names.

/** Given up by its own holder (leave, /nick). */
const GONE = '.gone-';
/** Taken away from a holder: reaped as dead, or removed by an admin. */
const REAPED = '.reaped-';

function tombstone(d: DataDir, room: string, prefix: typeof GONE | typeof REAPED, name = ''): string {
  return join(roomUsersDir(d, room), `${prefix}${name && `${name}-`}${process.pid}-${Date.now().toString(36)}`);
}

/** Rename `dir` to a tombstone and clear it; false when it was not there (someone else won). */
function bury(dir: string, tomb: string): boolean {
  try {
    renameSync(dir, tomb);
  } catch {
    return false;
  }
  rmSync(tomb, { recursive: true, force: true });
  return true;
}

export class Presence {
  private release: (() => Promise<void>) | undefined;
  private gone = false;
  private detached = false;
  /** When our lock's mtime was last set (by our clock): a reaper goes by that mtime. */
  private refreshedAt = 0;
  /** Our public key for end-to-end whispers, kept in info (and carried across a /nick). */
  pub: string | undefined;
  /** Our read marker, kept in info like the key. */
  read: string | undefined;

  private constructor(
    readonly d: DataDir,
    readonly room: string,
    public name: string,
    public color: string,
    private readonly opts: PresenceOptions,
  ) {
    this.read = opts.read;
  }

  get dir(): string {
    return presenceDir(this.d, this.room, this.name);
  }

  get inbox(): string {
    return inboxPath(this.d, this.room, this.name);
  }

  /**
   * Claim `wanted`, or the first free numbered variant. A taken name whose holder is
   * dead is reaped first (onReaped logs its leave), so a reconnecting user gets their
   * name back. A name that only looks like a present one (alice with a Cyrillic a, U+0430,
   * while alice is here) counts as taken too: its joiner becomes that name with a 1, as a second
   * alice would become alice1, and nobody can pass for someone who is present.
   */
  static async join(
    d: DataDir,
    room: string,
    wanted: string,
    color: string,
    opts: PresenceOptions & { onReaped: (info: UserSummary) => Promise<void> },
  ): Promise<Presence> {
    mkdirSync(roomUsersDir(d, room), { recursive: true });
    for (let n = 0; n <= MAX_NUMBER; n++) {
      const name = numbered(wanted, n);
      if (opts.mayUse && !opts.mayUse(name)) continue;
      const dir = presenceDir(d, room, name);
      try {
        mkdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        // The name itself gets the thorough check; the numbered ones only the quick one,
        // or the 200th "Anonymous" would check 199 locks (~10 ms) to join.
        if (await reapIfDead(d, room, name, opts.staleMs, opts.onReaped, n > 0)) n--; // try the same name again
        continue;
      }
      if (lookAlike(d, room, name) !== undefined) {
        rmSync(dir, { recursive: true, force: true }); // still empty: nobody else uses it yet
        continue;
      }
      const p = new Presence(d, room, name, color, opts);
      try {
        await p.claim();
      } catch (e) {
        rmSync(dir, { recursive: true, force: true }); // a full disk must not leave a ghost
        throw e;
      }
      return p;
    }
    throw new Error(`no free name like ${wanted} in ${room}`);
  }

  private async claim(): Promise<void> {
    this.writeInfo();
    writeFileSync(this.inbox, '', { flag: 'a', mode: 0o600 });
    await this.lock();
  }

  private async lock(): Promise<void> {
    this.refreshedAt = Date.now();
    const name = this.name;
    this.release = await (await properLockfile()).lock(infoPath(this.d, this.room, name), {
      realpath: false,
      fs: this.lockFs,
      stale: this.opts.staleMs,
      update: Math.max(1000, Math.floor(this.opts.staleMs / 2)),
      onCompromised: () => {
        if (this.gone || name !== this.name) return;
        if (this.ownsPath()) void this.relock();
        else this.opts.onLost();
      },
    });
  }

  /**
   * Our lock was touched by someone else while the presence is still ours: a former
   * holder of this name, stalled and reaped, whose refresh was under way when it
   * stopped, sets the mtime of our lock when it wakes. Take the lock again rather than
   * go on unlocked, which would get us reaped as dead.
   */
  private async relock(): Promise<void> {
    try {
      nodeFs.rmdirSync(`${infoPath(this.d, this.room, this.name)}.lock`);
      await this.lock();
    } catch {
      if (!this.gone) this.opts.onLost();
    }
  }

  private writeInfo(): void {
    const info: PresenceInfo = { name: this.name, color: this.color, pid: process.pid, host: thisHost(), since: new Date().toISOString() };
    if (this.pub !== undefined) info.pub = this.pub;
    if (this.read !== undefined) info.read = this.read;
    writeJsonAtomic(infoPath(this.d, this.room, this.name), info);
  }

  setColor(color: string): void {
    this.color = color;
    this.writeInfo();
  }

  /** Keep `pub` in our info, where the others' handlers read it. */
  setKey(pub: string): void {
    this.pub = pub;
    this.writeInfo();
  }

  /** Keep our read marker in our info, where the others' handlers read it. */
  setRead(id: string): void {
    this.read = id;
    this.writeInfo();
  }

  /**
   * Take the name `wanted`, or its first free numbered variant, for /nick. Never absent
   * in between: the new directory is claimed (exclusive mkdir, as in join) and locked
   * before the old one goes, so neither a reaper nor a joiner can take us for gone.
   * The old lock is released before its directory is removed, or proper-lockfile would
   * report it compromised. Inbox lines are not copied: the caller drains the old inbox
   * through the descriptor it already holds. Resolves to the name held afterwards: the
   * old one when the first free variant is our own, undefined when none is free.
   */
  async rename(wanted: string, onReaped: (info: UserSummary) => Promise<void>): Promise<string | undefined> {
    if (this.gone) return undefined;
    for (let n = 0; n <= MAX_NUMBER; n++) {
      const name = numbered(wanted, n);
      if (name === this.name) return name;
      if (this.opts.mayUse && !this.opts.mayUse(name)) continue;
      const dir = presenceDir(this.d, this.room, name);
      try {
        mkdirSync(dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        if (await reapIfDead(this.d, this.room, name, this.opts.staleMs, onReaped, n > 0)) n--;
        continue;
      }
      // As in join; looking like our own current name is no disguise.
      if (lookAlike(this.d, this.room, name, this.name) !== undefined) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const oldDir = this.dir;
      const oldName = this.name;
      const oldRelease = this.release;
      this.name = name;
      try {
        await this.claim();
      } catch (e) {
        this.name = oldName;
        this.release = oldRelease;
        rmSync(dir, { recursive: true, force: true });
        throw e;
      }
      await oldRelease?.().catch(() => undefined);
      bury(oldDir, tombstone(this.d, this.room, GONE)); // false: an admin removed the old name meanwhile
      return name;
    }
    return undefined;
  }

  /**
   * Is the presence at our path still ours? An admin's `rm -r` or a reaper removes it,
   * and then a newcomer may take the name: a directory being there proves nothing.
   */
  stillHeld(): boolean {
    return !this.gone && this.ownsPath();
  }

  /**
   * Our lock was refreshed recently enough that no reaper can have taken it for stale
   * (a quarter of the stale time to spare). False after a stall (kill -STOP, a swapped
   * out or suspended machine): then the presence may have been reaped, and only
   * stillHeld() can tell. Costs no I/O, so it can be asked for every line.
   */
  lockFresh(): boolean {
    return !this.gone && Date.now() - this.refreshedAt < (this.opts.staleMs * 3) / 4;
  }

  /**
   * Could a reaper take our lock for stale about now? Asked of the mtime on disk, which
   * reapers go by, when our own record of it is old: refreshes run late on a busy machine.
   */
  private lockLooksStale(): boolean {
    if (this.lockFresh()) return false;
    try {
      return Date.now() - statSync(`${infoPath(this.d, this.room, this.name)}.lock`).mtimeMs > (this.opts.staleMs * 3) / 4;
    } catch {
      return true;
    }
  }

  /**
   * Leave: log the leave with `logLeave`, and give the name up, so that the leave is
   * logged exactly once whatever kills us on the way. With a fresh lock nobody else can
   * take the presence, so the leave is logged first: killed before the name is given
   * up, we leave a presence whose leave is in the log, which the reaper removes without
   * logging another. With a stale lock a reaper may be at work: then whoever wins the
   * rename to a tombstone logs, as reapers do. Returns false when the presence was
   * taken from us: its remover logs the leave.
   */
  async leave(logLeave: () => Promise<void>): Promise<boolean> {
    if (this.gone) return false;
    if (!this.lockLooksStale() && this.ownsPath()) {
      try {
        await logLeave();
      } finally {
        await this.vacate();
      }
      return true;
    }
    if (!(await this.vacate())) return false;
    await logLeave();
    return true;
  }

  /**
   * Give the name up. Returns false when it was already taken from us (kicked or
   * reaped): then whoever removed it is responsible for the `leave`, not us.
   */
  async vacate(): Promise<boolean> {
    if (this.gone) return false;
    this.gone = true;
    if (!this.ownsPath()) {
      this.abandon();
      return false;
    }
    // Hand the lock back while the path is still ours: proper-lockfile removes a lock by
    // its path (on release, and for every lock still held when the process exits), and a
    // moment from now that path may be the lock of the next chatter with this name.
    await this.release?.().catch(() => undefined);
    this.detached = true;
    return bury(this.dir, tombstone(this.d, this.room, GONE));
  }

  /** Forget the lock without touching files (the directory is already gone). */
  abandon(): void {
    this.gone = true;
    this.detached = true; // the path is not ours any more: stop the refresh, touch nothing
    void this.release?.().catch(() => undefined);
  }

  /** A remover has claimed our presence (or has it in a tombstone), and is logging its leave. */
  beingRemoved(): boolean {
    if (existsSync(join(this.dir, REMOVING))) return true;
    const prefix = `${REAPED}${this.name}-`;
    try {
      return readdirSync(roomUsersDir(this.d, this.room)).some((n) => n.startsWith(prefix));
    } catch {
      return false;
    }
  }

  /** The directory at our path is still the one we created (not a newcomer's), and no remover's. */
  ownsPath(): boolean {
    const info = readInfo(this.d, this.room, this.name);
    return info !== undefined && info.pid === process.pid && info.host === thisHost() && !existsSync(join(this.dir, REMOVING));
  }

  /**
   * fs for proper-lockfile: once detached, removing "our" lock would remove someone else's.
   * Only what it calls: spreading all of node:fs would run its lazy getters (streams,
   * fs/promises), ~7 ms at every start.
   */
  private readonly lockFs = {
    mkdir: nodeFs.mkdir,
    stat: nodeFs.stat,
    utimes: (path: string, atime: Date, mtime: Date, cb: (err: NodeJS.ErrnoException | null) => void) => {
      const at = Date.now();
      nodeFs.utimes(path, atime, mtime, (err) => {
        if (!err) this.refreshedAt = at;
        cb(err);
      });
    },
    realpath: nodeFs.realpath,
    rmdir: (path: string, cb: (err: NodeJS.ErrnoException | null) => void) => (this.detached ? cb(null) : nodeFs.rmdir(path, cb)),
    rmdirSync: (path: string) => {
      if (!this.detached) nodeFs.rmdirSync(path);
    },
  };
}

/**
 * If the presence `name` belongs to a dead process, take it away (rename to a
 * tombstone, so only one reaper wins) and report it. Returns true if reaped.
 * `quick`: only a holder whose process is gone on this host counts as dead; a stalled
 * or remote holder is left to the thorough check (the room's reaper timer).
 */
export async function reapIfDead(
  d: DataDir,
  room: string,
  name: string,
  staleMs: number,
  onReaped: (info: UserSummary) => Promise<void>,
  quick = false,
): Promise<boolean> {
  const dir = presenceDir(d, room, name);
  const seen = identityOf(dir);
  if (seen === undefined) return false;
  const info = readInfo(d, room, name);
  let dead = false;
  if (info && info.host === thisHost() && info.pid !== process.pid && !pidAlive(info.pid)) {
    dead = true;
  } else if (quick) {
    return false;
  } else {
    let locked = true;
    try {
      locked = await (await properLockfile()).check(infoPath(d, room, name), { realpath: false, stale: staleMs });
    } catch {
      locked = false;
    }
    if (!locked) {
      // No lock yet may just mean a handler is between mkdir and lock: give it time.
      let age = 0;
      try {
        age = Date.now() - statSync(dir).mtimeMs;
      } catch {
        return false;
      }
      dead = age > staleMs;
    }
  }
  if (!dead) return false;
  return removePresence(d, room, name, () => onReaped({ name, color: info?.color ?? '' }), seen);
}

/**
 * What tells a presence from a later one at the same path: its directory's inode, and
 * the pid and time in its info (an inode is soon reused once its directory is removed).
 */
function identityOf(dir: string): string | undefined {
  try {
    const info = readInfoAt(join(dir, 'info'));
    return `${statSync(dir).ino} ${info?.pid} ${info?.since}`;
  } catch {
    return undefined;
  }
}

/**
 * Inside a presence being removed: the remover's claim, an exclusive mkdir, so that of
 * several removers exactly one logs the leave. The directory stays in place meanwhile:
 * the name is not free until its leave is in the log, or a newcomer's join could land
 * before it (and every roster would drop the newcomer on reading that leave).
 */
const REMOVING = '.removing';
/** A claim this old belongs to a remover that died at work: cleared, for the next pass. */
const REMOVING_ABANDONED_MS = 60_000;

/**
 * Take the presence `name` away, alive or not (an admin's forced removal; `rm -r` does
 * the same, less politely): claim it, let `logLeave` log its leave, then rename it to a
 * tombstone and clear it. False when another remover has it, or it was gone already.
 * A holder killed between logging its own leave and giving the name up left a presence
 * whose leave is in the log already (a leave after the presence's `since`): removed
 * without another. `expected` (identityOf): the presence a reaper found dead; if a
 * newcomer took the name between that verdict and the claim, it is left alone.
 */
export async function removePresence(d: DataDir, room: string, name: string, logLeave: () => Promise<void>, expected?: string): Promise<boolean> {
  const dir = presenceDir(d, room, name);
  const claim = join(dir, REMOVING);
  try {
    mkdirSync(claim);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST' && olderThan(claim, REMOVING_ABANDONED_MS)) rmSync(claim, { recursive: true, force: true });
    return false;
  }
  if (expected !== undefined && identityOf(dir) !== expected) {
    rmSync(claim, { recursive: true, force: true });
    return false;
  }
  try {
    const since = readInfoAt(join(dir, 'info'))?.since;
    if (typeof since !== 'string' || !leaveLoggedSince(roomLogPath(d, room), name, since)) await logLeave();
  } finally {
    bury(dir, tombstone(d, room, REAPED, name));
  }
  return true;
}

/**
 * Reap every dead presence in a room. Many handlers call this; a marker file's mtime
 * lets only one of them scan per interval, so the cost does not grow with N².
 */
export async function reapRoom(d: DataDir, room: string, staleMs: number, onReaped: (info: UserSummary) => Promise<void>, force = false): Promise<number> {
  const usersDir = roomUsersDir(d, room);
  const marker = join(usersDir, '.reaped');
  const now = Date.now();
  if (!force) {
    try {
      if (now - statSync(marker).mtimeMs < staleMs / 2) return 0;
    } catch {
      /* no marker yet */
    }
  }
  try {
    writeFileSync(marker, '', { flag: 'a' });
    utimesSync(marker, now / 1000, now / 1000);
  } catch {
    return 0;
  }
  let count = 0;
  let entries: string[] = [];
  try {
    entries = readdirSync(usersDir);
  } catch {
    return 0;
  }
  for (const name of entries) {
    if (name.startsWith('.')) {
      // A tombstone whose owner died mid-cleanup: its leave was already logged.
      if ((name.startsWith(GONE) || name.startsWith(REAPED)) && olderThan(join(usersDir, name), staleMs * 6)) {
        rmSync(join(usersDir, name), { recursive: true, force: true });
      }
      continue;
    }
    if (await reapIfDead(d, room, name, staleMs, onReaped)) count++;
  }
  return count;
}

function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

/**
 * Reap every room now, whatever the marker says (start-up, `tailroom prune`): presences
 * left by processes that are gone (a crash, kill -9, a reboot). Returns how many.
 */
export async function reapAll(d: DataDir, staleMs: number, onReaped: (room: string, info: UserSummary) => Promise<void>): Promise<number> {
  let rooms: string[];
  try {
    rooms = readdirSync(d.users);
  } catch {
    return 0;
  }
  let n = 0;
  for (const room of rooms) {
    if (!room.startsWith('.')) n += await reapRoom(d, room, staleMs, (info) => onReaped(room, info), true);
  }
  return n;
}

/**
 * users/.addr/<address>/<host>-<pid>: one small file per chat connection from a client
 * address, so a per-address limit counts a handful of files instead of every presence
 * of every room. The hidden name keeps it out of the room listing (no room starts with
 * a dot). A file whose process is gone is stale: removed by whoever counts next.
 */
const ADDRESS_DIR = '.addr';

interface AddressEntry {
  room: string;
  pid: number;
  host: string;
}

/** The entry is some live process's: on this host, its pid runs; elsewhere, it is still present in its room. */
function liveEntry(d: DataDir, e: AddressEntry): boolean {
  if (e.host === thisHost()) return e.pid === process.pid || pidAlive(e.pid);
  return listPresent(d, e.room).some((u) => {
    const info = readInfo(d, e.room, u.name);
    return info?.pid === e.pid && info.host === e.host;
  });
}

/**
 * Take one of `limit` connection slots of `addr` for this process; undefined when all are
 * taken by live connections. The slot is written before counting, so two connections racing
 * for the last slot may both be refused, never both admitted. Returns the release function.
 */
export function takeAddressSlot(d: DataDir, addr: string, limit: number, room: string): (() => void) | undefined {
  // An address is digits, hex, dots and colons (audit.ts parsed it), or "unknown".
  const dir = join(d.users, ADDRESS_DIR, addr.replace(/[^0-9a-zA-Z.:]/g, '_'));
  mkdirSync(dir, { recursive: true });
  const mine = `${thisHost()}-${process.pid}`;
  const path = join(dir, mine);
  const entry: AddressEntry = { room, pid: process.pid, host: thisHost() };
  writeFileSync(path, `${JSON.stringify(entry)}\n`);
  const release = () => rmSync(path, { force: true });
  let live = 0;
  for (const f of readdirSync(dir)) {
    if (f === mine) {
      live++;
      continue;
    }
    let e: AddressEntry;
    try {
      e = JSON.parse(readFileSync(join(dir, f), 'utf8')) as AddressEntry;
    } catch {
      continue; // being written, or removed meanwhile
    }
    if (liveEntry(d, e)) live++;
    else rmSync(join(dir, f), { force: true });
  }
  if (live <= limit) return release;
  release();
  return undefined;
}
