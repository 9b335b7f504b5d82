// The message list: room events, whispers, command output and errors, each as one list
// item. Names in their colours, the time with the full date on hover, text through
// renderText (escaped, emoticons, safe inserts). Ignored chatters' lines stay in the list,
// hidden, so un-ignoring brings them back.

import { type Describable, describe } from '../shared/describe.js';
import { clockTime, el, fullDate } from './dom.js';
import { type InsertContext, renderText } from './inserts.js';
import type { Prefs } from './prefs.js';

/** Lines kept in the page; older ones are dropped (the history page has them all). */
const MAX_LINES = 1000;

/**
 * What the list shows: what the server describes, and the page's own notes (`warn`: a
 * warning). A whisper with `opened` was end-to-end encrypted and opened here.
 */
type Shown =
  | Describable
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
}

export class MessageLog {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];

  constructor(private readonly o: MessageLogOptions) {
    o.prefs.onChange(() => this.applyIgnores());
    o.list.addEventListener('click', (e) => {
      const target = e.target as HTMLElement;
      const a = target.closest('a.external') as HTMLAnchorElement | null;
      if (a && !confirm(`This leaves tailroom for another site:\n\n${a.href}\n\nOpen it?`)) e.preventDefault();
      const who = target.closest('button.from') as HTMLButtonElement | null;
      if (who?.dataset.name) o.onName(who.dataset.name);
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
    const li = this.line(m);
    const list = this.o.list;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(li);
    while (list.childElementCount > MAX_LINES) list.firstElementChild?.remove();
    if (atBottom) list.scrollTop = list.scrollHeight;
    return true;
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
    const d = describe(m);
    switch (d.kind) {
      case 'msg':
        li.append(this.name(d.from, d.color), ' ', this.text(d.text));
        break;
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
