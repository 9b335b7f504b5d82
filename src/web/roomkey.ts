// End-to-end rooms (e2e = true in rooms/<room>.ini): the page asks for the room's
// passphrase, derives an AES-GCM key from it and the room name (PBKDF2-SHA-256, WebCrypto,
// not extractable) and seals every msg and edit it sends; the server and its files only
// ever hold the ciphertext. The passphrase never leaves this page and is kept nowhere:
// the key lives in memory, so a reload asks again (nothing for another tab, an extension
// reading storage, or whoever opens this browser later, to find).
//
// What is bound: the key to the room (its name is in the salt), and every box to the room
// again as AES-GCM's additional data. Not the sender: names change (/nick) and a box must
// still open afterwards; the server labels each line with its sender, so a server that
// lies can move a box to another name (it cannot read or alter one).

import type { E2eBox, RoomEvent } from '../shared/protocol.js';
import { isBlanked } from '../shared/lifecycle.js';
import { openBox, sealBox } from './box.js';
import { el } from './dom.js';

/** OWASP's 2023 figure for PBKDF2-HMAC-SHA256: some 0.1 to 0.3 s in a browser, once per page. */
const ITERATIONS = 310_000;
const CONTEXT = 'tailroom room v1\0';

const utf8 = new TextEncoder();

/** The room's AES-GCM key from its passphrase: the same in every browser that knows both. */
export async function deriveRoomKey(room: string, passphrase: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey('raw', utf8.encode(passphrase), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'PBKDF2', hash: 'SHA-256', salt: utf8.encode(CONTEXT + room), iterations: ITERATIONS },
    base,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
}

export interface RoomKeyHooks {
  /** Where the passphrase form goes: after this element. */
  after: Element;
  note(text: string): void;
  warn(text: string): void;
}

export class RoomKey {
  /** The last welcome said this room is end-to-end. */
  active = false;
  private key: CryptoKey | undefined;
  private readonly keyReady: Promise<CryptoKey>;
  private gotKey: (k: CryptoKey) => void = () => undefined;
  /** Room events are opened one after another, so they are listed in the order they came. */
  private chain: Promise<unknown> = Promise.resolve();
  private bar: HTMLElement | undefined;
  private warned = false;

  constructor(
    private readonly room: string,
    private readonly o: RoomKeyHooks,
  ) {
    this.keyReady = new Promise((resolve) => (this.gotKey = resolve));
  }

  /** Each welcome: an end-to-end room asks for the passphrase, once per page. */
  setActive(on: boolean): void {
    this.active = on;
    if (on && !this.bar) this.showForm();
  }

  /** Text to say in this room, sealed (once the passphrase is in: a message typed before waits for it). */
  async seal(text: string): Promise<E2eBox> {
    return sealBox(await this.keyReady, CONTEXT + this.room, text);
  }

  get unlocked(): boolean {
    return this.key !== undefined;
  }

  /**
   * `e`, opened: a msg or edit with a box comes back with its text instead. One that does
   * not open (another passphrase, or altered) comes back as it is: the list then says it
   * cannot be decrypted, never shows what came out. Everything waits for the passphrase.
   */
  reveal(e: RoomEvent, then: (e: RoomEvent) => void): void {
    this.chain = this.chain
      .then(async () => {
        if ((e.type !== 'msg' && e.type !== 'edit') || !e.e2e || isBlanked(e)) return e;
        const key = await this.keyReady;
        try {
          const text = await openBox(key, CONTEXT + this.room, e.e2e);
          const { e2e: _box, ...rest } = e;
          return { ...rest, text } as RoomEvent;
        } catch {
          this.failed();
          return e;
        }
      })
      .then(then, () => undefined);
  }

  private failed(): void {
    if (this.warned) return;
    this.warned = true;
    this.o.warn('Some messages cannot be decrypted: was the passphrase wrong? Use "Enter the passphrase again" above.');
  }

  private showForm(): void {
    const input = el('input', { type: 'password', id: 'roomkey-pass', name: 'passphrase', autocomplete: 'off', required: true });
    const form = el(
      'form',
      { class: 'roomkey', id: 'roomkey' },
      el('label', { for: 'roomkey-pass' }, 'This room is end-to-end encrypted. Its passphrase (it never leaves this page): '),
      input,
      ' ',
      el('button', { type: 'submit' }, 'Unlock'),
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const pass = input.value;
      if (pass === '') return;
      input.value = '';
      input.disabled = true;
      void deriveRoomKey(this.room, pass).then(
        (key) => {
          this.key = key;
          this.gotKey(key);
          this.showUnlocked();
        },
        () => {
          input.disabled = false;
          this.o.warn('This browser cannot derive the room key (WebCrypto PBKDF2 missing): the room cannot be read here.');
        },
      );
    });
    this.place(form);
    input.focus();
  }

  private showUnlocked(): void {
    const again = el('button', { type: 'button', class: 'roomkey-again' }, 'Enter the passphrase again');
    // The key is in memory only: a fresh page asks again and opens the history it replays.
    again.addEventListener('click', () => location.reload());
    this.place(
      el('p', { class: 'roomkey unlocked', id: 'roomkey' }, '\u{1F512} End-to-end encrypted room: messages are encrypted here with the passphrase. ', again),
    );
    this.o.note('Passphrase set: messages are encrypted and decrypted in this page.');
  }

  private place(e: HTMLElement): void {
    if (this.bar) this.bar.replaceWith(e);
    else this.o.after.after(e);
    this.bar = e;
  }
}
