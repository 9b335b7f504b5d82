// Who is in the room, as one chatter sees it: the list in its welcome, kept up to date
// from the presence events in the room log, and sent again as a `users` message when it
// changes.

import type { RoomEvent, UserSummary } from '../shared/protocol.js';

/**
 * A `users` list costs O(N) to every one of N chatters: a burst of joins or leaves is
 * coalesced (30 ms), and in a storm (a server restart, a class logging in) each
 * connection gets at most one list a second, the last one always up to date.
 */
const USERS_COALESCE_MS = 30;
const USERS_MIN_GAP_MS = 1000;

export class Roster {
  /** Each chatter's colour, by name. */
  private readonly users = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt = 0;

  /** `send` is called with the list after changes, coalesced; it decides whether it still goes out. */
  constructor(private readonly send: (users: UserSummary[]) => void) {}

  get size(): number {
    return this.users.size;
  }

  has(name: string): boolean {
    return this.users.has(name);
  }

  set(name: string, color: string): void {
    this.users.set(name, color);
  }

  list(): UserSummary[] {
    return [...this.users].map(([name, color]) => ({ name, color })).sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** A join, leave, colour or name change seen in the room log. */
  changed(e: RoomEvent): void {
    switch (e.type) {
      case 'join':
      case 'color':
        this.users.set(e.from, e.color);
        break;
      case 'leave':
        this.users.delete(e.from);
        break;
      case 'nick':
        this.users.set(e.name, this.users.get(e.from) ?? '');
        this.users.delete(e.from);
        break;
    }
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
