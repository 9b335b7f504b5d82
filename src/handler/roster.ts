// Who is in the room, as one chatter sees it: the list in its welcome, kept up to date
// from the presence events in the room log, and sent again as a `users` message when it
// changes. Public keys (end-to-end whispers) and read markers are no room events: they are
// read from a chatter's presence info when it joins, and again when its handler says its
// info changed (a `presence` inbox entry), so the info file stays the one truth.

import type { RoomEvent, UserSummary } from '../shared/protocol.js';

/**
 * A `users` list costs O(N) to every one of N chatters: a burst of joins or leaves is
 * coalesced (30 ms), and in a storm (a server restart, a class logging in) each
 * connection gets at most one list a second, the last one always up to date.
 */
const USERS_COALESCE_MS = 30;
const USERS_MIN_GAP_MS = 1000;

/** What a chatter's presence info adds to its name and colour (src/store/presence.ts extrasOf). */
export type InfoExtras = Pick<UserSummary, 'pub' | 'read'>;

interface Entry extends InfoExtras {
  color: string;
}

export class Roster {
  /** Each chatter's colour, key and read marker, by name. */
  private readonly users = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt = 0;

  /**
   * `send` is called with the list after changes, coalesced; it decides whether it still goes out.
   * `infoOf` reads a present chatter's key and marker (its presence info), asked when it joins.
   */
  constructor(
    private readonly send: (users: UserSummary[]) => void,
    private readonly infoOf: (name: string) => InfoExtras = () => ({}),
  ) {}

  get size(): number {
    return this.users.size;
  }

  has(name: string): boolean {
    return this.users.has(name);
  }

  set(name: string, color: string, extras: InfoExtras = {}): void {
    const e: Entry = { color };
    if (extras.pub !== undefined) e.pub = extras.pub;
    if (extras.read !== undefined) e.read = extras.read;
    this.users.set(name, e);
  }

  list(): UserSummary[] {
    return [...this.users].map(([name, e]) => ({ name, ...e })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** A join, leave, colour or name change seen in the room log. */
  changed(e: RoomEvent): void {
    switch (e.type) {
      case 'join':
        // Its key may be in its info already (announced before we read this line): a
        // `presence` entry that came first found nothing to update, or set what this reads again.
        this.set(e.from, e.color, this.infoOf(e.from));
        break;
      case 'color':
        this.set(e.from, e.color, this.users.get(e.from));
        break;
      case 'leave':
        this.users.delete(e.from);
        break;
      case 'nick':
        this.users.set(e.name, this.users.get(e.from) ?? { color: '' });
        this.users.delete(e.from);
        break;
    }
    this.schedule();
  }

  /** `name`'s info changed (its handler said so): read it again; a name not here yet waits for its join. */
  infoChanged(name: string): void {
    const u = this.users.get(name);
    if (!u) return;
    const now = this.infoOf(name);
    if (now.pub === u.pub && now.read === u.read) return;
    this.set(name, u.color, now);
    this.schedule();
  }

  private schedule(): void {
    // Twenty people joining at once should not cost everyone twenty lists.
    if (this.timer) return;
    const wait = Math.max(USERS_COALESCE_MS, this.lastSentAt + USERS_MIN_GAP_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastSentAt = Date.now();
      this.send(this.list());
    }, wait);
  }

  /** No list is sent any more. */
  close(): void {
    clearTimeout(this.timer);
  }
}
