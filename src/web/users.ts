// The user list: who is here, in their colours; click a name to whisper; per-user
// ignore (kept by Prefs in localStorage); the state of the direct (WebRTC) connection;
// send a file; open a private room with someone. Also the name completion for the message box.

import type { UserSummary } from '../shared/protocol.js';
import { validColor } from '../shared/colors.js';
import { el } from './dom.js';
import type { PeerState } from './mesh.js';
import type { Prefs } from './prefs.js';

export interface UserListActions {
  whisper(name: string): void;
  sendFile(name: string): void;
  /** Open a private room for the two of us (/private NAME). */
  privateChat(name: string): void;
  /** The end-to-end fingerprint of the pair (me and `name`), when both have keys. */
  fingerprint?(name: string): string | undefined;
}

const PEER_LABEL: Record<PeerState, string> = {
  connecting: 'direct connection: connecting',
  open: 'direct connection: open',
  failed: 'direct connection: failed',
  closed: 'no direct connection',
};

export class UserList {
  users: UserSummary[] = [];
  me = '';
  private readonly peerStates = new Map<string, PeerState>();
  private readonly inCall = new Set<string>();

  constructor(
    private readonly list: HTMLUListElement,
    private readonly prefs: Prefs,
    private readonly actions: UserListActions,
  ) {
    prefs.onChange(() => this.render());
  }

  set(users: UserSummary[], me: string): void {
    this.users = users.filter((u) => typeof u?.name === 'string');
    this.me = me;
    this.render();
  }

  names(): Set<string> {
    return new Set(this.users.map((u) => u.name));
  }

  color(name: string): string {
    return validColor(this.users.find((u) => u.name === name)?.color) ?? '';
  }

  setPeerState(name: string, s: PeerState): void {
    this.peerStates.set(name, s);
    this.render();
  }

  setInCall(name: string, on: boolean): void {
    if (on) this.inCall.add(name);
    else this.inCall.delete(name);
    this.render();
  }

  /** Names for completion: everyone but me, starting with `prefix` (any case). */
  complete(prefix: string): string[] {
    const p = prefix.toLowerCase();
    return this.users
      .map((u) => u.name)
      .filter((n) => n !== this.me && n.toLowerCase().startsWith(p))
      .sort((a, b) => a.localeCompare(b));
  }

  render(): void {
    const focused = (document.activeElement as HTMLElement | null)?.dataset?.focusKey;
    const rows = this.users.map((u) => {
      const mine = u.name === this.me;
      const ignored = this.prefs.ignores(u.name);
      const peer = mine ? undefined : (this.peerStates.get(u.name) ?? 'closed');
      const who = el(
        'button',
        { type: 'button', class: 'who', title: mine ? 'you' : `whisper to ${u.name}`, 'data-focus-key': `who:${u.name}` },
        el('span', { class: 'swatch' }),
        u.name,
      );
      const color = validColor(u.color) ?? '';
      if (color) who.style.color = color;
      (who.firstChild as HTMLElement).style.backgroundColor = color;
      if (mine) who.disabled = true;
      else who.addEventListener('click', () => this.actions.whisper(u.name));
      const li = el('li', { 'data-name': u.name, class: [mine ? 'me' : '', ignored ? 'ignored' : ''].join(' ').trim() || undefined }, who);
      if (mine) {
        li.append(el('span', { class: 'you' }, '(you)'));
        return li;
      }
      li.append(
        el('span', { class: 'peer', 'data-state': peer, title: PEER_LABEL[peer ?? 'closed'], role: 'img', 'aria-label': PEER_LABEL[peer ?? 'closed'] }),
      );
      const fp = this.actions.fingerprint?.(u.name);
      if (fp) {
        const title = `whispers with ${u.name} are end-to-end encrypted; fingerprint ${fp} (compare it with ${u.name})`;
        li.append(el('span', { class: 'lock', title, 'aria-label': title, 'data-fingerprint': fp }, '\u{1F512}'));
      }
      if (this.inCall.has(u.name)) li.append(el('span', { class: 'in-call', title: 'in the call' }, 'in call'));
      const file = el(
        'button',
        { type: 'button', class: 'file', title: `send ${u.name} a file`, 'aria-label': `send ${u.name} a file`, 'data-focus-key': `file:${u.name}` },
        'File',
      );
      file.addEventListener('click', () => this.actions.sendFile(u.name));
      const ignore = el(
        'button',
        {
          type: 'button',
          class: 'ignore',
          'aria-pressed': String(ignored),
          title: ignored ? `show ${u.name}'s messages again` : `hide ${u.name}'s messages`,
          'data-focus-key': `ignore:${u.name}`,
        },
        ignored ? 'Unignore' : 'Ignore',
      );
      ignore.addEventListener('click', () => this.prefs.setIgnored(u.name, !ignored));
      const priv = el(
        'button',
        { type: 'button', class: 'private', title: `open a private room for you and ${u.name}`, 'data-focus-key': `private:${u.name}` },
        'Private chat',
      );
      priv.addEventListener('click', () => this.actions.privateChat(u.name));
      li.append(file, priv, ignore);
      return li;
    });
    this.list.replaceChildren(...rows);
    // Re-rendering must not steal the keyboard user's place.
    if (focused) (this.list.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
  }
}
