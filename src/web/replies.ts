// Replies on the chat page: a Reply button on each message, the line the composer shows
// while a reply is being written, the quote a reply shows of its message (click: scroll to
// it; one further back than the list opens the history page at it), and a thread panel
// listing a message with its replies.

import type { FoldedMsg } from '../shared/lifecycle.js';
import { quoteOf } from '../shared/quote.js';
import { el } from './dom.js';

/** How long a message jumped to stays highlighted. */
const FLASH_MS = 2000;

export interface RepliesOptions {
  list: HTMLOListElement;
  /** Where the thread panel goes (beside the list). */
  body: HTMLElement;
  /** Where the "Replying to" line goes (the composer's form, before the box). */
  form: HTMLFormElement;
  /** The room's history page (history?room=R): where a message further back is. */
  historyHref: string;
  /** A message still in the list. */
  message(id: string): { m: FoldedMsg; li: HTMLLIElement } | undefined;
  /** A reply was started: focus the box. */
  focus(): void;
}

export class Replies {
  /** Reply ids by the id of their message, in the order they came. */
  private readonly children = new Map<string, string[]>();
  private draft: string | undefined;
  private readonly bar: HTMLElement;
  private readonly barText: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly panelList: HTMLOListElement;
  private shownThread: string | undefined;

  constructor(private readonly o: RepliesOptions) {
    this.barText = el('span', { class: 'replying-text' });
    const cancel = el('button', { type: 'button', class: 'replying-cancel', title: 'cancel the reply (Escape)', 'aria-label': 'cancel the reply' }, '×');
    cancel.addEventListener('click', () => {
      this.cancel();
      o.focus();
    });
    this.bar = el('p', { class: 'replying', id: 'replying', hidden: true }, this.barText, ' ', cancel);
    o.form.prepend(this.bar);
    this.panelList = el('ol', { class: 'events thread-list' });
    const close = el('button', { type: 'button', class: 'thread-close', 'aria-label': 'close the thread' }, '×');
    close.addEventListener('click', () => this.closeThread());
    this.panel = el('aside', { class: 'thread', id: 'thread', 'aria-label': 'Thread', hidden: true }, el('h2', {}, 'Thread ', close), this.panelList);
    o.body.append(this.panel);
    o.list.addEventListener('click', (e) => this.click(e));
    this.panelList.addEventListener('click', (e) => this.click(e));
  }

  /** The message being answered, if any: what the next msg carries as reply_to. */
  current(): string | undefined {
    return this.draft;
  }

  start(id: string): void {
    const held = this.o.message(id);
    if (!held || held.m.deleted) return;
    this.draft = id;
    this.barText.textContent = `Replying to ${held.m.from}: ${quoteOf(held.m.text ?? 'encrypted message')}`;
    this.bar.hidden = false;
    this.o.focus();
  }

  cancel(): void {
    this.draft = undefined;
    this.bar.hidden = true;
  }

  /** Adds the reply parts to a msg's line, each time it is drawn (edits redraw it). */
  decorate(li: HTMLLIElement, m: FoldedMsg): void {
    const parent = typeof m.reply_to === 'string' ? m.reply_to : undefined;
    if (parent) {
      const kids = this.children.get(parent) ?? [];
      if (!kids.includes(m.id)) {
        kids.push(m.id);
        this.children.set(parent, kids);
        this.redrawCount(parent);
      }
      li.querySelector('time')?.after(' ', this.quote(parent));
    }
    if (!m.deleted) {
      const del = li.querySelector('button.delete');
      // Labelled by CSS (chat.css), so the line's text (copied, or read by a test) is what was said.
      const reply = el('button', { type: 'button', class: 'reply', 'data-ref': m.id, title: 'reply to this message', 'aria-label': 'Reply' });
      if (del) del.before(reply, ' ');
      else li.append(' ', reply);
    }
    this.drawCount(li, m.id);
    if (this.shownThread !== undefined && (this.shownThread === m.id || this.shownThread === parent)) queueMicrotask(() => this.showThread(this.shownThread));
  }

  private quote(parent: string): HTMLElement {
    const held = this.o.message(parent);
    if (held) {
      const said = held.m.deleted ? 'message deleted' : quoteOf(held.m.text ?? 'encrypted message');
      return el('button', { type: 'button', class: 'quote', 'data-parent': parent, title: 'show the message this answers' }, `${held.m.from}: ${said}`);
    }
    const href = `${this.o.historyHref}&at=${encodeURIComponent(parent)}#${encodeURIComponent(parent)}`;
    return el(
      'a',
      { class: 'quote', href, target: '_blank', rel: 'noopener', title: 'open the history page at the message this answers' },
      'a message further back',
    );
  }

  private drawCount(li: HTMLLIElement, id: string): void {
    li.querySelector('button.thread-open')?.remove();
    const n = this.children.get(id)?.length ?? 0;
    if (n > 0)
      li.append(
        ' ',
        el(
          'button',
          { type: 'button', class: 'thread-open', 'data-ref': id, title: 'show this message with its replies' },
          n === 1 ? '1 reply' : `${n} replies`,
        ),
      );
  }

  private redrawCount(id: string): void {
    const held = this.o.message(id);
    if (held) this.drawCount(held.li, id);
  }

  private click(e: MouseEvent): void {
    const target = e.target as HTMLElement;
    const reply = target.closest('button.reply') as HTMLButtonElement | null;
    if (reply?.dataset.ref) this.start(reply.dataset.ref);
    const quote = target.closest('button.quote') as HTMLButtonElement | null;
    if (quote?.dataset.parent) this.jump(quote.dataset.parent);
    const thread = target.closest('button.thread-open') as HTMLButtonElement | null;
    if (thread?.dataset.ref) this.showThread(thread.dataset.ref);
  }

  /** Scrolls to a message in the list and flashes it. */
  private jump(id: string): void {
    const li = this.o.message(id)?.li;
    if (!li) return;
    li.scrollIntoView({ block: 'center' });
    li.classList.remove('flash');
    void li.offsetWidth; // restarts the animation when jumped to again
    li.classList.add('flash');
    window.setTimeout(() => li.classList.remove('flash'), FLASH_MS);
  }

  private showThread(id: string | undefined): void {
    if (id === undefined) return;
    this.shownThread = id;
    const lines = [id, ...(this.children.get(id) ?? [])].map((x) => this.o.message(x)?.li).filter((li): li is HTMLLIElement => li !== undefined);
    this.panelList.replaceChildren(
      ...lines.map((li) => {
        const copy = li.cloneNode(true) as HTMLLIElement;
        copy.classList.remove('flash');
        for (const b of copy.querySelectorAll('button.delete, button.thread-open, button.reply')) b.remove();
        return copy;
      }),
    );
    this.panel.hidden = false;
    this.o.body.classList.add('with-thread');
  }

  private closeThread(): void {
    this.shownThread = undefined;
    this.panel.hidden = true;
    this.o.body.classList.remove('with-thread');
  }
}
