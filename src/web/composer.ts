// The message box: send (a leading "name: " whispers to someone here), Up and Down bring
// back what was sent, Tab completes names, and the draft is shared with the peers as it
// is typed (typing.ts shows theirs).

import type { ClientMessage, Limits } from '../shared/protocol.js';
import { utf8Bytes } from './dom.js';
import type { PeerMessage } from './mesh.js';
import type { MessageLog } from './messages.js';
import type { Notifier } from './notify.js';
import type { Prefs } from './prefs.js';
import type { UserList } from './users.js';

/** How many sent lines Up can bring back. */
const RECALLED = 50;
/** "bob: hi" whispers to bob, when bob is here. */
const ADDRESSED = /^([^\s:]+): ([\s\S]+)$/;

export interface ComposerOptions {
  form: HTMLFormElement;
  input: HTMLInputElement;
  sendButton: HTMLButtonElement;
  prefs: Prefs;
  users: Pick<UserList, 'names' | 'complete'>;
  log: Pick<MessageLog, 'note' | 'lastOwn'>;
  notifier: Pick<Notifier, 'askOnce'>;
  myName(): string;
  limits(): Limits | undefined;
  /** Sends to the room; false when not connected. */
  send(m: ClientMessage): boolean;
  /** To every peer on a direct connection. */
  broadcast(m: PeerMessage): void;
}

export interface Composer {
  focus(): void;
  setOnline(on: boolean): void;
  /** Starts (or readdresses) a whisper to `name`, keeping what was typed. */
  whisperTo(name: string): void;
  /** Puts `text` where the cursor is, in place of any selection. */
  insert(text: string): void;
  /** Starts the draft with `prefix` (say, "/me "), once. */
  prefix(prefix: string): void;
  /** Shares the draft, or withdraws it when the setting is off: at once or after a pause in typing. */
  sharePreview(now?: boolean): void;
}

// Closures rather than a class: the minifier shortens local names, never property names,
// and this is the chat page's script.
export function wireComposer(o: ComposerOptions): Composer {
  const { input, users, log, myName, send } = o;
  let sent: string[] = [];
  let recalled = 0;
  let completion: { stem: string; options: string[]; at: number } | undefined;
  let previewTimer: number | undefined;
  let lastPreview = '';
  /** Up on an empty box: the message being edited (Enter sends the edit, Escape gives up). */
  let editing: string | undefined;
  const stopEditing = () => {
    editing = undefined;
    o.form.classList.remove('editing');
    input.placeholder = placeholder;
  };
  const placeholder = input.placeholder;

  /** Commands (/msg among them) and whispers are nobody else's business. */
  const isPrivate = (text: string) => {
    if (text.startsWith('/')) return true;
    const to = /^([^\s:]+): /.exec(text)?.[1];
    return to !== undefined && users.names().has(to);
  };

  const sharePreview = (now = false) => {
    clearTimeout(previewTimer);
    const share = () => {
      const text = o.prefs.get('livePreview') && !isPrivate(input.value) ? input.value : '';
      if (text === lastPreview) return;
      lastPreview = text;
      o.broadcast({ t: 'typing', text });
    };
    if (now) share();
    else previewTimer = window.setTimeout(share, 150);
  };

  const submit = () => {
    const text = input.value;
    if (text.trim() === '') return;
    const limits = o.limits();
    if (limits && utf8Bytes(text) > limits.maxMessageBytes) {
      log.note(`That message is too long: at most ${limits.maxMessageBytes} bytes.`);
      return;
    }
    if (editing) {
      if (!send({ type: 'edit', ref: editing, text })) {
        log.note('Not connected: your edit was not sent (it is still in the box).');
        return;
      }
      stopEditing();
      input.value = '';
      return;
    }
    const [, to, whispered] = ADDRESSED.exec(text) ?? [];
    const here = to !== undefined && users.names().has(to);
    if (!(here && whispered !== undefined && to !== myName() ? send({ type: 'whisper', to, text: whispered }) : send({ type: 'msg', text }))) {
      log.note('Not connected: your message was not sent (it is still in the box).');
      return;
    }
    o.notifier.askOnce();
    sent = [...sent.slice(1 - RECALLED), text];
    recalled = sent.length;
    // Keep the whisper prefix: a conversation in whispers goes on.
    input.value = here ? `${to}: ` : '';
    sharePreview(true);
  };

  /** "bo<Tab>" → "bob: ", "/msg bo<Tab>" → "/msg bob "; Tab again cycles through the matches. */
  const complete = (e: KeyboardEvent) => {
    const v = input.value;
    const c = completion;
    const m = /^(\/msg\s+)?([^\s:]*)$/.exec(c ? c.stem : v) ?? (c ? null : /^(\/msg\s+)?([^\s:]*): $/.exec(v));
    const stem = m?.[2] ?? '';
    if (!m || (!c && stem === '')) return; // nothing typed: Tab moves on, as it should
    const options = c?.options ?? users.complete(stem);
    if (!options.length) return;
    e.preventDefault();
    const at = c ? (c.at + 1) % options.length : 0;
    completion = { stem: c?.stem ?? v, options, at };
    const name = options[at] ?? '';
    input.value = m[1] ? `${m[1]}${name} ` : `${name}: `;
  };

  input.addEventListener('input', () => sharePreview());
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Tab' && !e.shiftKey && !e.altKey && !e.ctrlKey) {
      complete(e);
      return;
    }
    if (e.key !== 'Shift') completion = undefined;
    if (e.key === 'Escape' && editing) {
      e.preventDefault();
      stopEditing();
      input.value = '';
      return;
    }
    const last = e.key === 'ArrowUp' && input.value === '' && !editing ? log.lastOwn() : undefined;
    if (last) {
      // Up on an empty box edits my last message, as in most chats.
      e.preventDefault();
      editing = last.id;
      o.form.classList.add('editing');
      input.placeholder = 'editing your last message (Enter saves, Escape cancels)';
      input.value = last.text;
      return;
    }
    if (e.key === 'ArrowUp' && recalled > 0 && (input.value === '' || input.value === sent[recalled])) {
      e.preventDefault();
      recalled--;
      input.value = sent[recalled] ?? '';
    } else if (e.key === 'ArrowDown' && recalled < sent.length && input.value === sent[recalled]) {
      e.preventDefault();
      recalled++;
      input.value = sent[recalled] ?? '';
    }
  });
  o.form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });

  return {
    focus: () => input.focus(),
    setOnline: (on) => {
      o.sendButton.disabled = !on;
    },
    whisperTo: (name) => {
      if (name === myName()) return;
      input.value = `${name}: ${input.value.replace(/^\S+: /, '')}`;
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    },
    insert: (text) => {
      const start = input.selectionStart ?? input.value.length;
      input.setRangeText(text, start, input.selectionEnd ?? start, 'end');
      input.focus();
      sharePreview();
    },
    prefix: (prefix) => {
      if (!input.value.startsWith(prefix)) input.value = `${prefix}${input.value}`;
      input.focus();
    },
    sharePreview,
  };
}
