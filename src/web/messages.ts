// The message list: room events, whispers, command output and errors, each as one list
// item. Names in their colours, the time with the full date on hover, text through
// renderText (escaped, emoticons, safe inserts). Ignored chatters' lines stay in the list,
// hidden, so un-ignoring brings them back.

import { type Describable, describe } from '../shared/describe.js';
import { applyLifecycle, asFolded, type FoldedMsg, isLifecycle } from '../shared/lifecycle.js';
import type { InviteEntry } from '../shared/protocol.js';
import { clockTime, el, fullDate } from './dom.js';
import { type InsertContext, renderText } from './inserts.js';
import type { Prefs } from './prefs.js';

/** Lines kept in the page; older ones are dropped (the history page has them all). */
const MAX_LINES = 1000;

/**
 * What the list shows: what the server describes, invitations, and the page's own notes
 * (`warn`: a warning). A whisper with `opened` was end-to-end encrypted and opened here.
 */
type Shown =
  | Describable
  | InviteEntry
  | { type: 'whisper'; id: string; t: string; from: string; to: string; text: string; opened: true }
  | { type: 'local'; text: string; warn?: true };

export interface MessageLogOptions {
  list: HTMLOListElement;
  prefs: Prefs;
  inserts: InsertContext;
  /** Click on a name: whisper to them. */
  onName(name: string): void;
  /** Current colour of a present chatter, for events that carry none. */
  colorOf(name: string): string;
  /** My name now: my messages get a delete button, and Up edits the last of them. */
  myName(): string;
  /** A room operator: every message gets a delete button. */
  operator(): boolean;
  /** The delete button was pressed (and confirmed). */
  onDelete(ref: string): void;
  /** Adds to a msg's line each time it is drawn (replies, mentions). */
  decorate?(li: HTMLLIElement, m: FoldedMsg): void;
}

export class MessageLog {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];
  /** Messages still in the list, by id: edits and deletes change them in place. */
  private readonly msgs = new Map<string, { m: FoldedMsg; li: HTMLLIElement }>();

  constructor(private readonly o: MessageLogOptions) {
    o.prefs.onChange(() => this.applyIgnores());
    o.list.addEventListener('click', (e) => {
      const target = e.target as HTMLElement;
      const a = target.closest('a.external') as HTMLAnchorElement | null;
      if (a && !confirm(`This leaves tailroom for another site:\n\n${a.href}\n\nOpen it?`)) e.preventDefault();
      const who = target.closest('button.from') as HTMLButtonElement | null;
      if (who?.dataset.name) o.onName(who.dataset.name);
      const del = target.closest('button.delete') as HTMLButtonElement | null;
      if (del?.dataset.ref && confirm('Delete this message for everyone?')) o.onDelete(del.dataset.ref);
    });
  }

  /** Adds a line; false when it was a duplicate (the same event id seen before). */
  add(m: Shown): boolean {
    const id = 'id' in m && typeof m.id === 'string' ? m.id : undefined;
    if (id) {
      if (this.seen.has(id)) return false;
      this.seen.add(id);
      this.order.push(id);
      const forgotten = this.order.length > MAX_LINES * 2 ? this.order.shift() : undefined;
      if (forgotten) this.seen.delete(forgotten);
    }
    if (isLifecycle(m)) {
      // Folded into its message where it stands; one whose message is no longer in the list shows nothing.
      const held = this.msgs.get(m.ref);
      const next = held && applyLifecycle(held.m, m);
      if (held && next) {
        const li = this.line(next);
        held.li.replaceWith(li);
        this.msgs.set(m.ref, { m: next, li });
      }
      return true;
    }
    const shown = m.type === 'msg' ? asFolded(m) : m;
    const li = this.line(shown);
    if (shown.type === 'msg') this.msgs.set(shown.id, { m: shown, li });
    this.show(li);
    return true;
  }

  /** A line made elsewhere (a voice or video message) goes at the end, like any other. */
  show(li: HTMLLIElement): void {
    const list = this.o.list;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(li);
    while (list.childElementCount > MAX_LINES) {
      const gone = list.firstElementChild as HTMLElement | null;
      if (gone?.dataset.id) this.msgs.delete(gone.dataset.id);
      gone?.remove();
    }
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  /** A msg still in the list, as it stands now, and its line. */
  message(id: string): { m: FoldedMsg; li: HTMLLIElement } | undefined {
    return this.msgs.get(id);
  }

  /** My newest message still shown and not deleted: what Up on an empty box edits. */
  lastOwn(): { id: string; text: string } | undefined {
    const me = this.o.myName();
    const mine = [...this.msgs.values()].filter(({ m }) => m.from === me && !m.deleted && m.text !== undefined).at(-1);
    return mine && { id: mine.m.id, text: mine.m.text ?? '' };
  }

  note(text: string): void {
    this.add({ type: 'local', text });
  }

  warn(text: string): void {
    this.add({ type: 'local', text, warn: true });
  }

  private applyIgnores(): void {
    for (const li of this.o.list.querySelectorAll<HTMLElement>('li[data-from]')) li.hidden = this.o.prefs.ignores(li.dataset.from ?? '');
  }

  private name(name: string, color: string | undefined): HTMLButtonElement {
    const b = el('button', { type: 'button', class: 'from', 'data-name': name, title: `whisper to ${name}` }, name);
    const c = color ?? this.o.colorOf(name);
    if (c) b.style.color = c;
    return b;
  }

  private text(text: string): HTMLSpanElement {
    const s = el('span', { class: 'text' });
    s.append(renderText(text, this.o.inserts));
    return s;
  }

  private line(m: Shown): HTMLLIElement {
    const li = el('li', { class: `event ${m.type}` });
    if ('t' in m && typeof m.t === 'string') {
      const at = new Date(m.t);
      if (!Number.isNaN(at.getTime())) li.append(el('time', { datetime: m.t, title: fullDate(at) }, clockTime(at)), ' ');
    }
    if ('replay' in m && m.replay) li.classList.add('replay');
    if ('from' in m && typeof m.from === 'string' && ['msg', 'me', 'roll', 'whisper'].includes(m.type)) {
      li.dataset.from = m.from;
      li.hidden = this.o.prefs.ignores(m.from);
    }
    if (m.type === 'local') {
      if (m.warn) li.classList.add('warning');
      li.append(el('span', { class: 'note text' }, m.text));
      return li;
    }
    if (m.type === 'invite') {
      li.append(el('span', { class: 'note' }, `${m.from} invites you to ${m.private ? 'a private room for the two of you, ' : ''}${m.room} `));
      // Only the server's own kind of link (join?room=...&invite=...), relative to this page.
      if (typeof m.href === 'string' && m.href.startsWith('join?')) li.append(el('a', { class: 'invite', href: m.href }, `Switch to ${m.room}`));
      return li;
    }
    const d = describe(m);
    switch (d.kind) {
      case 'msg': {
        if (m.type !== 'msg') break;
        li.dataset.id = m.id;
        if (d.deleted) {
          li.classList.add('deleted');
          li.append(this.name(d.from, d.color), ' ', el('span', { class: 'note' }, 'message deleted'));
          this.o.decorate?.(li, m);
          break;
        }
        // Ciphertext here is what the room's passphrase did not open (src/web/roomkey.ts): never shown.
        if (d.sealed) li.classList.add('e2e');
        li.append(
          this.name(d.from, d.color),
          ' ',
          d.sealed ? el('span', { class: 'note undecrypted' }, 'cannot decrypt (wrong passphrase?)') : this.text(d.text),
        );
        if (d.edited) {
          const at = new Date(m.t);
          const title = `sent ${Number.isNaN(at.getTime()) ? m.t : fullDate(at)}, edited ${fullDate(new Date(d.edited))}`;
          li.append(' ', el('span', { class: 'edited', title }, '(edited)'));
        }
        if (d.from === this.o.myName() || this.o.operator()) {
          li.append(' ', el('button', { type: 'button', class: 'delete', 'data-ref': m.id, title: 'delete this message', 'aria-label': 'delete' }));
        }
        this.o.decorate?.(li, m);
        break;
      }
      case 'me':
        li.append(this.name(d.from, undefined), ' ', this.text(d.text));
        break;
      case 'roll':
        li.append(this.name(d.from, undefined), ' ', el('span', { class: 'rolls' }, d.note));
        break;
      case 'whisper':
        li.append(
          el('span', { class: 'label' }, 'whisper '),
          this.name(d.from, undefined),
          el('span', { class: 'to' }, ` to ${d.to}`),
          ': ',
          this.text(d.text),
          'opened' in m
            ? el('span', { class: 'lock', title: 'end-to-end encrypted: only the two of you can read it' }, ' \u{1F512}')
            : d.sealed
              ? ''
              : el('span', { class: 'plain', title: 'not end-to-end encrypted: the server saw this text' }, ' (plain text)'),
        );
        break;
      case 'color': {
        const swatch = el('span', { class: 'swatch' });
        swatch.style.backgroundColor = d.color ?? '';
        li.append(el('span', { class: 'note' }, `${d.from} ${d.note} `, swatch));
        break;
      }
      case 'join':
      case 'leave':
      case 'nick':
        li.append(el('span', { class: 'note' }, `${d.from} ${d.note}`));
        break;
      case 'announce':
        li.append(el('span', { class: 'label' }, 'announcement: '), this.text(d.text));
        break;
      case 'topic':
        li.append(el('span', { class: 'note' }, d.text ? `${d.from} ${d.note}: ` : `${d.from} cleared the topic`), d.text ? this.text(d.text) : '');
        break;
      case 'info':
        li.append(el('span', { class: 'note text' }, d.note));
        break;
      case 'error':
        li.append(el('span', { class: 'text' }, d.note));
        break;
    }
    return li;
  }
}
