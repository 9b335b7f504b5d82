// The live preview (the original's live chat): what the others are typing, as they type
// it, sent over the WebRTC data channels and never through the server.

import { el } from './dom.js';
import type { Prefs } from './prefs.js';

/** A preview nobody updates for this long is stale (they closed the tab mid-sentence). */
const STALE_MS = 15000;

export class TypingPreview {
  private readonly drafts = new Map<string, { text: string; at: number }>();

  constructor(
    private readonly box: HTMLElement,
    private readonly prefs: Prefs,
  ) {
    prefs.onChange(() => this.render());
    setInterval(() => this.expire(), 5000);
  }

  names(): IterableIterator<string> {
    return this.drafts.keys();
  }

  set(name: string, text: string): void {
    if (text === '') {
      if (!this.drafts.delete(name)) return;
    } else this.drafts.set(name, { text, at: Date.now() });
    this.render();
  }

  clearAll(): void {
    this.drafts.clear();
    this.render();
  }

  private expire(): void {
    const now = Date.now();
    let changed = false;
    for (const [name, d] of this.drafts) if (now - d.at > STALE_MS) changed = this.drafts.delete(name) || changed;
    if (changed) this.render();
  }

  private render(): void {
    const lines = [...this.drafts]
      .filter(([name]) => !this.prefs.ignores(name))
      .map(([name, d]) => el('li', { 'data-name': name }, el('span', { class: 'who' }, `${name} is typing: `), el('span', { class: 'draft' }, d.text)));
    this.box.replaceChildren(...lines);
  }
}
