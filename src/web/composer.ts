// The message box: send (a leading "name: " whispers to someone here), Up and Down bring
// back what was sent, Tab completes names (at the start, and after "@" anywhere), and the
// draft is shared with the peers as it is typed (typing.ts shows theirs). It is a
// textarea that grows to a few lines: Enter sends, Shift+Enter starts a new line.

import type { ClientMessage, Limits } from '../shared/protocol.js';
import { utf8Bytes } from './dom.js';
import { mentionBeforeCaret } from './mentions.js';
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
  input: HTMLTextAreaElement;
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
  /** The message a reply is being written to (src/web/replies.ts): the next msg answers it. */
  reply?: { current(): string | undefined; cancel(): void };
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
  /** Tab pressed: the names that fit, which one is shown, and how to put one in the box. */
  let completion: { options: string[]; at: number; put(name: string): void } | undefined;
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
  /** The box grows with its text, up to its CSS max-height (then it scrolls). */
  const grow = () => {
    input.style.height = 'auto';
    input.style.height = `${input.scrollHeight}px`;
  };
  const put = (text: string) => {
    input.value = text;
    grow();
  };

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
      put('');
      return;
    }
    const [, to, whispered] = ADDRESSED.exec(text) ?? [];
    const here = to !== undefined && users.names().has(to);
    const reply_to = o.reply?.current();
    const msg: ClientMessage = reply_to ? { type: 'msg', text, reply_to } : { type: 'msg', text };
    if (!(here && whispered !== undefined && to !== myName() ? send({ type: 'whisper', to, text: whispered }) : send(msg))) {
      log.note('Not connected: your message was not sent (it is still in the box).');
      return;
    }
    o.notifier.askOnce();
    sent = [...sent.slice(1 - RECALLED), text];
    recalled = sent.length;
    o.reply?.cancel();
    // Keep the whisper prefix: a conversation in whispers goes on.
    put(here ? `${to}: ` : '');
    sharePreview(true);
  };

  /** How Tab completes what is before the caret, or undefined when it should move on. */
  const completer = (): { stem: string; put(name: string): void } | undefined => {
    const v = input.value;
    const caret = input.selectionStart ?? v.length;
    // "hi @bo<Tab> there" -> "hi @bob there", anywhere in the box.
    const mention = input.selectionEnd === caret ? mentionBeforeCaret(v, caret) : undefined;
    if (mention) {
      const before = v.slice(0, mention.start);
      const after = v.slice(caret).replace(/^[^\s@]*/, '');
      return {
        stem: mention.stem,
        put: (name) => {
          put(`${before}@${name}${after.startsWith(' ') ? '' : ' '}${after}`);
          const end = before.length + name.length + 2;
          input.setSelectionRange(end, end);
        },
      };
    }
    // "bo<Tab>" -> "bob: ", "/msg bo<Tab>" -> "/msg bob ".
    const m = /^(\/msg\s+)?([^\s:@]*)$/.exec(v) ?? /^(\/msg\s+)?([^\s:@]*): $/.exec(v);
    const stem = m?.[2] ?? '';
    if (!m || stem === '') return undefined; // nothing typed: Tab moves on, as it should
    return { stem, put: (name) => put(m[1] ? `${m[1]}${name} ` : `${name}: `) };
  };

  /** Tab completes a name; Tab again cycles through the matches. */
  const complete = (e: KeyboardEvent) => {
    const c = completion;
    if (c) {
      e.preventDefault();
      c.at = (c.at + 1) % c.options.length;
      c.put(c.options[c.at] ?? '');
      return;
    }
    const how = completer();
    const options = how ? users.complete(how.stem) : [];
    if (!how || !options.length) return;
    e.preventDefault();
    completion = { options, at: 0, put: how.put };
    how.put(options[0] ?? '');
  };

  input.addEventListener('input', () => {
    grow();
    sharePreview();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Tab' && !e.shiftKey && !e.altKey && !e.ctrlKey) {
      complete(e);
      return;
    }
    if (e.key !== 'Shift') completion = undefined;
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      o.form.requestSubmit();
      return;
    }
    if (e.key === 'Escape' && editing) {
      e.preventDefault();
      stopEditing();
      put('');
      return;
    }
    if (e.key === 'Escape' && o.reply?.current()) {
      e.preventDefault();
      o.reply.cancel();
      return;
    }
    // Up and Down move between lines of a longer text; only from its first or last line do they recall.
    const v = input.value;
    if (e.key === 'ArrowUp' && v.slice(0, input.selectionStart ?? 0).includes('\n')) return;
    if (e.key === 'ArrowDown' && v.slice(input.selectionEnd ?? v.length).includes('\n')) return;
    const last = e.key === 'ArrowUp' && input.value === '' && !editing ? log.lastOwn() : undefined;
    if (last) {
      // Up on an empty box edits my last message, as in most chats.
      e.preventDefault();
      editing = last.id;
      o.form.classList.add('editing');
      input.placeholder = 'editing your last message (Enter saves, Escape cancels)';
      put(last.text);
      return;
    }
    if (e.key === 'ArrowUp' && recalled > 0 && (input.value === '' || input.value === sent[recalled])) {
      e.preventDefault();
      recalled--;
      put(sent[recalled] ?? '');
    } else if (e.key === 'ArrowDown' && recalled < sent.length && input.value === sent[recalled]) {
      e.preventDefault();
      recalled++;
      put(sent[recalled] ?? '');
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
      put(`${name}: ${input.value.replace(/^\S+: /, '')}`);
      input.focus();
      input.setSelectionRange(input.value.length, input.value.length);
    },
    insert: (text) => {
      const start = input.selectionStart ?? input.value.length;
      input.setRangeText(text, start, input.selectionEnd ?? start, 'end');
      grow();
      input.focus();
      sharePreview();
    },
    prefix: (prefix) => {
      if (!input.value.startsWith(prefix)) put(`${prefix}${input.value}`);
      input.focus();
    },
    sharePreview,
  };
}
