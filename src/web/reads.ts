// Read markers on the chat page (docs/design.md, "Read markers"): tell the server the
// newest message seen (when it is on screen and the tab visible), draw a "new since you
// left" line after the marker the welcome brought, and "seen by alice, bob" under the
// message each of the others has read up to, from the markers in the users list.
// Everything works on the message list as drawn (li[data-id] per message), so the list
// code needs to know nothing of it.

import type { ClientMessage, UserSummary } from '../shared/protocol.js';
import { el } from './dom.js';

/** Wait this long after the last change before saying `read`: a burst of lines is one marker. */
const READ_DEBOUNCE_MS = 800;
/** Names shown in one "seen by" line before "and N more". */
const SEEN_NAMES = 5;

export interface ReadsOptions {
  list: HTMLOListElement;
  send(m: ClientMessage): boolean;
  myName(): string;
}

const OURS = new Set(['unread-line', 'seen-by']);
const isOurs = (n: Node) => n instanceof HTMLElement && [...n.classList].some((c) => OURS.has(c));

export class Reads {
  /** The marker of our first welcome: the line goes after it, once per page load. */
  private lastRead: string | undefined;
  private welcomed = false;
  private lineDrawn = false;
  /** What the server holds as our marker (what we said last, or what the welcome brought). */
  private sent: string | undefined;
  /** The others' markers, by name. */
  private markers = new Map<string, string>();
  private timer: number | undefined;

  constructor(private readonly o: ReadsOptions) {
    new MutationObserver((records) => {
      if (records.some((r) => [...r.addedNodes].some((n) => !isOurs(n)))) this.changed();
    }).observe(o.list, { childList: true });
    o.list.addEventListener('scroll', () => this.soon(), { passive: true });
    document.addEventListener('visibilitychange', () => this.soon());
  }

  welcome(lastRead: string | undefined, users: UserSummary[]): void {
    if (!this.welcomed) {
      this.welcomed = true;
      this.lastRead = lastRead;
    }
    this.sent = lastRead; // a new handler starts from the stored marker
    this.users(users);
  }

  users(users: UserSummary[]): void {
    const me = this.o.myName();
    this.markers = new Map(users.filter((u) => u.name !== me && typeof u.read === 'string').map((u) => [u.name, u.read as string]));
    this.renderSeen();
  }

  private changed(): void {
    this.drawLine();
    this.renderSeen();
    this.soon();
  }

  private byId(id: string): HTMLElement | null {
    return this.o.list.querySelector<HTMLElement>(`li[data-id="${CSS.escape(id)}"]`);
  }

  /** After the marked message, before the first replayed message that follows it, if one does. */
  private drawLine(): void {
    if (this.lineDrawn || this.lastRead === undefined) return;
    const mark = this.byId(this.lastRead);
    if (!mark) return;
    let next = mark.nextElementSibling;
    while (next && !(next.matches('li.event.msg, li.event.me, li.event.roll') && next.classList.contains('replay'))) next = next.nextElementSibling;
    if (!next) return;
    next.before(el('li', { class: 'unread-line', role: 'separator' }, 'new since you left'));
    this.lineDrawn = true;
  }

  private renderSeen(): void {
    for (const old of this.o.list.querySelectorAll('li.seen-by')) old.remove();
    const byMessage = new Map<string, string[]>();
    for (const [name, id] of this.markers) byMessage.set(id, [...(byMessage.get(id) ?? []), name]);
    for (const [id, names] of byMessage) {
      const li = this.byId(id);
      if (!li) continue; // older than the list, or not a message here
      names.sort();
      const shown = names.length > SEEN_NAMES ? `${names.slice(0, SEEN_NAMES).join(', ')} and ${names.length - SEEN_NAMES} more` : names.join(', ');
      li.after(el('li', { class: 'seen-by', 'aria-hidden': 'true' }, `seen by ${shown}`));
    }
  }

  private newest(): HTMLElement | undefined {
    for (let n = this.o.list.lastElementChild; n; n = n.previousElementSibling) {
      if (n instanceof HTMLElement && n.matches('li.event.msg[data-id]')) return n;
    }
    return undefined;
  }

  private soon(): void {
    clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.sayRead(), READ_DEBOUNCE_MS);
  }

  /** The newest message is on screen in a visible tab: that is read. */
  private sayRead(): void {
    if (document.visibilityState !== 'visible') return;
    const li = this.newest();
    const id = li?.dataset.id;
    if (!li || !id || id === this.sent) return;
    const a = li.getBoundingClientRect();
    const b = this.o.list.getBoundingClientRect();
    if (a.top >= b.bottom || a.bottom <= b.top) return;
    if (this.o.send({ type: 'read', ref: id })) this.sent = id;
  }
}
