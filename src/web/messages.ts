// The message list: room events, whispers, command output and errors, each as one list
// item. Names in their colours, the time with the full date on hover, text through
// renderText (escaped, emoticons, safe inserts). Ignored chatters' lines stay in the list,
// hidden, so un-ignoring brings them back.

import type { RoomEvent, ServerMessage } from '../shared/protocol.js';
import { clockTime, el, fullDate, safeColor } from './dom.js';
import { type InsertContext, renderText } from './inserts.js';
import type { Prefs } from './prefs.js';

/** Lines kept in the page; older ones are dropped (the history page has them all). */
const MAX_LINES = 1000;

type Shown = RoomEvent | Extract<ServerMessage, { type: 'whisper' | 'info' | 'error' }> | { type: 'local'; text: string };

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
      if (this.order.length > MAX_LINES * 2) this.seen.delete(this.order.shift()!);
    }
    const li = this.line(m);
    if (!li) return false;
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

  private applyIgnores(): void {
    for (const li of this.o.list.querySelectorAll<HTMLElement>('li[data-from]')) li.hidden = this.o.prefs.ignores(li.dataset.from ?? '');
  }

  private name(name: string, color: string | undefined): HTMLButtonElement {
    const b = el('button', { type: 'button', class: 'from', 'data-name': name, title: `whisper to ${name}` }, name);
    const c = safeColor(color) || this.o.colorOf(name);
    if (c) b.style.color = c;
    return b;
  }

  private text(text: string): HTMLSpanElement {
    const s = el('span', { class: 'text' });
    s.append(renderText(text, this.o.inserts));
    return s;
  }

  private line(m: Shown): HTMLLIElement | undefined {
    const li = el('li', { class: `event ${m.type}` });
    if ('t' in m && typeof m.t === 'string') {
      const d = new Date(m.t);
      if (!Number.isNaN(d.getTime())) li.append(el('time', { datetime: m.t, title: fullDate(d) }, clockTime(d)), ' ');
    }
    if ('replay' in m && m.replay) li.classList.add('replay');
    if ('from' in m && typeof m.from === 'string' && ['msg', 'me', 'roll', 'whisper'].includes(m.type)) {
      li.dataset.from = m.from;
      li.hidden = this.o.prefs.ignores(m.from);
    }
    switch (m.type) {
      case 'msg':
        li.append(this.name(m.from, m.color), ' ', this.text(m.text));
        break;
      case 'me':
        li.append(this.name(m.from, undefined), ' ', this.text(m.text));
        break;
      case 'roll':
        li.append(
          this.name(m.from, undefined),
          ` rolls ${m.spec}: `,
          el('span', { class: 'rolls' }, m.rolls.join(' ')),
          ' = ',
          el('strong', {}, String(m.total)),
        );
        break;
      case 'whisper':
        li.append(
          el('span', { class: 'label' }, 'whisper '),
          this.name(m.from, undefined),
          el('span', { class: 'to' }, ` to ${m.to}`),
          ': ',
          this.text(m.text),
        );
        break;
      case 'join':
        li.append(el('span', { class: 'note' }, `${m.from} joined`));
        break;
      case 'leave':
        li.append(el('span', { class: 'note' }, `${m.from} left${m.reason === 'closed' ? '' : ` (${m.reason === 'kicked' ? 'kicked' : 'connection lost'})`}`));
        break;
      case 'color': {
        const sw = el('span', { class: 'swatch' });
        sw.style.backgroundColor = safeColor(m.color);
        li.append(el('span', { class: 'note' }, `${m.from} is now `, sw, m.color));
        break;
      }
      case 'nick':
        li.append(el('span', { class: 'note' }, `${m.from} is now known as ${m.name}`));
        break;
      case 'announce':
        li.append(el('span', { class: 'label' }, 'announcement: '), this.text(m.text));
        break;
      case 'info':
      case 'local':
        li.append(el('span', { class: 'note text' }, m.text));
        break;
      case 'error':
        li.append(el('span', { class: 'text' }, m.message));
        break;
      default:
        return undefined;
    }
    return li;
  }
}
