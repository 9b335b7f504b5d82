// The chat page's script (bundled by bin/build.mjs into htdocs/build/app.js): wires the
// connection, the message list, the user list, the WebRTC mesh and what runs on it.

import type { Limits, ServerMessage, UserSummary } from '../shared/protocol.js';
import { Call } from './call.js';
import { ROOM_EVENT_TYPES } from '../shared/protocol.js';
import { type ConnState, Connection } from './connection.js';
import { validColor } from '../shared/colors.js';
import { describe } from '../shared/describe.js';
import { byId, el, utf8Bytes } from './dom.js';
import { EMOTICONS } from './emoticons.js';
import { Transfers } from './files.js';
import { type PeerMessage, Mesh } from './mesh.js';
import { MessageLog } from './messages.js';
import { Notifier } from './notify.js';
import { Prefs } from './prefs.js';
import { TypingPreview } from './typing.js';
import { UserList } from './users.js';

const root = byId('chat', HTMLElement);
const room = root.dataset.room ?? '';
const say = byId('say', HTMLInputElement);
const composer = byId('composer', HTMLFormElement);
const sendButton = byId('send', HTMLButtonElement);
const connState = byId('conn', HTMLElement);
const connButton = byId('btn-connect', HTMLButtonElement);
const colour = byId('colour', HTMLInputElement);
const fileInput = byId('file-input', HTMLInputElement);

/** The room's WebSocket: relative to this page, so a proxy prefix (/chat/) is kept. */
function wsUrl(since: string | undefined): string {
  const u = new URL(encodeURIComponent(room), location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.search = since ? `?since=${encodeURIComponent(since)}` : '';
  u.hash = '';
  return u.href;
}

const prefs = new Prefs();
let me: UserSummary = { name: root.dataset.name ?? '', color: validColor(root.dataset.color) ?? '' };
let limits: Limits | undefined;
let mesh: Mesh | undefined;
let fileTarget = '';
/** Whom we last sent a WebRTC signal, and when. */
const recentSignals = new Map<string, number>();

const notifier = new Notifier(prefs, room);
const log = new MessageLog({
  list: byId('log', HTMLOListElement),
  prefs,
  inserts: { base: location.href, emoticons: new URL('emoticons/', location.href).href },
  onName: (name) => whisperTo(name),
  colorOf: (name) => users.color(name),
});
const users = new UserList(byId('users', HTMLUListElement), prefs, {
  whisper: (name) => whisperTo(name),
  sendFile: (name) => {
    fileTarget = name;
    fileInput.value = '';
    fileInput.click();
  },
});
const transfers = new Transfers(
  byId('transfers', HTMLUListElement),
  () => mesh,
  (name) => prefs.ignores(name),
);
const typing = new TypingPreview(byId('typing', HTMLElement), prefs);
const call = new Call(
  {
    panel: byId('call', HTMLElement),
    tiles: byId('tiles', HTMLElement),
    join: byId('btn-call', HTMLButtonElement),
    mute: byId('btn-mute', HTMLButtonElement),
    camera: byId('btn-camera', HTMLButtonElement),
    leave: byId('btn-hangup', HTMLButtonElement),
  },
  () => mesh,
  (text) => log.note(text),
);

fileInput.addEventListener('change', () => {
  const f = fileInput.files?.[0];
  if (f && fileTarget) transfers.offer(fileTarget, f);
});

function whisperTo(name: string): void {
  if (name === me.name) return;
  const rest = say.value.replace(/^\S+: /, '');
  say.value = `${name}: ${rest}`;
  say.focus();
  say.setSelectionRange(say.value.length, say.value.length);
}

// ---- the connection and what the server says

const conn = new Connection(wsUrl, { message: onMessage, state: showState });

// Made once: the countdown ticks every second, and a rebuilt button would lose its focus.
const retry = el('button', { type: 'button', class: 'link' }, 'Retry now');
retry.addEventListener('click', () => conn.retryNow());
const countdown = el('span', {});
const secondsLeft = (until: number) => String(Math.max(1, Math.round((until - Date.now()) / 1000)));

function showState(s: ConnState): void {
  connState.dataset.state = s.kind;
  switch (s.kind) {
    case 'connecting':
      connState.replaceChildren(s.attempt ? 'Reconnecting…' : 'Connecting…');
      break;
    case 'online':
      connState.replaceChildren('Online');
      break;
    case 'waiting':
      countdown.textContent = secondsLeft(s.until);
      connState.replaceChildren('Connection lost. Retrying in ', countdown, ' s ', retry);
      break;
    case 'offline':
      connState.replaceChildren('Disconnected');
      break;
    case 'stopped':
      connState.replaceChildren(`Disconnected: ${s.reason}`);
      break;
  }
  const online = s.kind === 'online';
  sendButton.disabled = !online;
  connButton.textContent = s.kind === 'offline' || s.kind === 'stopped' ? 'Connect' : 'Disconnect';
  if (!online && s.kind !== 'connecting') {
    mesh?.closeAll();
    typing.clearAll();
  }
}
// The countdown in "Retrying in N s" ticks; nothing else changes while it does.
setInterval(() => {
  if (conn.state.kind === 'waiting') countdown.textContent = secondsLeft(conn.state.until);
}, 1000);

connButton.addEventListener('click', () => {
  if (conn.state.kind === 'offline' || conn.state.kind === 'stopped') conn.start();
  else {
    conn.stop();
    log.note('You disconnected.');
  }
});

function onMessage(m: ServerMessage): void {
  switch (m.type) {
    case 'welcome':
      return welcome(m);
    case 'users':
      users.set(m.users, me.name);
      mesh?.keepOnly(users.names());
      for (const name of [...typing.names()]) if (!users.names().has(name)) typing.set(name, '');
      return;
    case 'signal':
      return mesh?.onSignal(m.from, m.data);
    case 'whisper':
      if (log.add(m) && m.from !== me.name && !prefs.ignores(m.from)) notifier.arrived(m.from, m.text, true);
      return;
    case 'error':
      // Signaling to someone who just left: the mesh lets go of them anyway, say nothing.
      if (m.code === 'no_such_user' && [...recentSignals].some(([name, at]) => Date.now() - at < 10000 && !users.names().has(name) && m.message.includes(name)))
        return;
      log.add(m);
      return;
    case 'info':
      log.add(m);
      return;
    case 'pong':
      return;
  }
  if (!ROOM_EVENT_TYPES.has(m.type)) return;
  const fresh = log.add(m);
  if (!fresh || m.replay) return;
  switch (m.type) {
    case 'msg':
    case 'me':
      typing.set(m.from, '');
      if (m.from !== me.name && !prefs.ignores(m.from)) notifier.arrived(m.from, m.type === 'me' ? `* ${m.from} ${m.text}` : m.text);
      break;
    case 'roll':
      if (m.from !== me.name && !prefs.ignores(m.from)) notifier.arrived(m.from, describe(m).note);
      break;
    case 'nick':
      mesh?.rename(m.from, m.name);
      typing.set(m.from, '');
      if (m.from === me.name) me = { ...me, name: m.name };
      break;
    case 'color':
      if (m.from === me.name) {
        me = { ...me, color: m.color };
        colour.value = validColor(m.color) ?? colour.value;
      }
      break;
  }
}

function welcome(m: Extract<ServerMessage, { type: 'welcome' }>): void {
  me = m.you;
  limits = m.limits;
  colour.value = validColor(me.color) ?? colour.value;
  users.set(m.users, me.name);
  // A new connection is a new start for the direct connections too.
  mesh?.closeAll();
  mesh = new Mesh(me.name, m.iceServers, {
    signal: (to, data) => {
      recentSignals.set(to, Date.now());
      conn.send({ type: 'signal', to, data });
    },
    state: (name, s) => {
      users.setPeerState(name, s);
      if (s === 'closed' || s === 'failed') {
        transfers.peerGone(name);
        typing.set(name, '');
      }
    },
    message: onPeerMessage,
    channel: (name, ch) => transfers.onChannel(name, ch),
    media: () => call.render(),
  });
  call.attach(mesh);
  mesh.connectTo(users.names());
  say.focus();
}

function onPeerMessage(from: string, m: PeerMessage): void {
  switch (m.t) {
    case 'typing':
      return typing.set(from, m.text);
    case 'hello':
      users.setInCall(from, m.call);
      typing.set(from, '');
      return;
    case 'call':
      users.setInCall(from, m.on);
      if (m.on && !call.inCall && !prefs.ignores(from)) log.note(`${from} is in a call: press Call to join.`);
      return;
    default:
      transfers.onMessage(from, m);
  }
}

// ---- the message box: send, complete names, share the draft as it is typed

let history: string[] = [];
let historyAt = 0;

function isPrivateDraft(text: string): boolean {
  if (text.startsWith('/')) return true; // commands, /msg
  const addressed = /^([^\s:]+): /.exec(text);
  return Boolean(addressed && users.names().has(addressed[1]));
}

let previewTimer: number | undefined;
let lastPreview = '';
function sharePreview(now = false): void {
  clearTimeout(previewTimer);
  const send = () => {
    const text = prefs.get('preview') && !isPrivateDraft(say.value) ? say.value : '';
    if (text === lastPreview) return;
    lastPreview = text;
    mesh?.broadcast({ t: 'typing', text });
  };
  if (now) send();
  else previewTimer = window.setTimeout(send, 150);
}
say.addEventListener('input', () => sharePreview());

composer.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = say.value;
  if (text.trim() === '') return;
  if (limits && utf8Bytes(text) > limits.maxMessageBytes) {
    log.note(`That message is too long: at most ${limits.maxMessageBytes} bytes.`);
    return;
  }
  const addressed = /^([^\s:]+): ([\s\S]+)$/.exec(text);
  const sent =
    addressed && addressed[1] !== me.name && users.names().has(addressed[1])
      ? conn.send({ type: 'whisper', to: addressed[1], text: addressed[2] })
      : conn.send({ type: 'msg', text });
  if (!sent) {
    log.note('Not connected: your message was not sent (it is still in the box).');
    return;
  }
  notifier.askOnce();
  history = [...history.slice(-49), text];
  historyAt = history.length;
  // Keep the whisper prefix: a conversation in whispers goes on.
  say.value = addressed && users.names().has(addressed[1]) ? `${addressed[1]}: ` : '';
  sharePreview(true);
});

let completion: { stem: string; options: string[]; at: number } | undefined;
say.addEventListener('keydown', (e) => {
  if (e.key === 'Tab' && !e.shiftKey && !e.altKey && !e.ctrlKey) {
    // "bo<Tab>" → "bob: ", "/msg bo<Tab>" → "/msg bob "; Tab again cycles through matches.
    const v = say.value;
    const m = /^(\/msg\s+)?([^\s:]*)$/.exec(completion ? completion.stem : v) ?? (completion ? null : /^(\/msg\s+)?([^\s:]*): $/.exec(v));
    if (!m || (!completion && m[2] === '')) return; // nothing typed: Tab moves on, as it should
    const options = completion?.options ?? users.complete(m[2]);
    if (!options.length) return;
    e.preventDefault();
    completion ??= { stem: v, options, at: -1 };
    completion.at = (completion.at + 1) % options.length;
    const name = options[completion.at];
    say.value = m[1] ? `${m[1]}${name} ` : `${name}: `;
    return;
  }
  if (e.key !== 'Shift') completion = undefined;
  if (e.key === 'ArrowUp' && (say.value === '' || say.value === history[historyAt]) && historyAt > 0) {
    e.preventDefault();
    historyAt--;
    say.value = history[historyAt];
  } else if (e.key === 'ArrowDown' && historyAt < history.length && say.value === history[historyAt]) {
    e.preventDefault();
    historyAt++;
    say.value = history[historyAt] ?? '';
  }
});

// ---- tools: /me, dice, colour, emoticons, settings

function insert(text: string): void {
  const start = say.selectionStart ?? say.value.length;
  const end = say.selectionEnd ?? start;
  say.setRangeText(text, start, end, 'end');
  say.focus();
  sharePreview();
}

function command(text: string): void {
  if (!conn.send({ type: 'msg', text })) log.note('Not connected.');
}

byId('btn-me', HTMLButtonElement).addEventListener('click', () => {
  if (!say.value.startsWith('/me ')) say.value = `/me ${say.value}`;
  say.focus();
});

colour.addEventListener('change', () => command(`/color ${colour.value}`));

const diceDialog = byId('dice-dialog', HTMLDialogElement);
const diceForm = byId('dice-form', HTMLFormElement);
byId('btn-dice', HTMLButtonElement).addEventListener('click', () => diceDialog.showModal());
diceForm.addEventListener('submit', (e) => {
  if ((e.submitter as HTMLButtonElement | null)?.value !== 'roll') return; // Cancel
  const f = new FormData(diceForm);
  const again = String(f.get('again') ?? '').trim();
  command(`/dice ${String(f.get('count'))} ${String(f.get('sides'))}${again ? ` ${again}` : ''}`);
});

const emoticonMenu = byId('emoticon-menu', HTMLElement);
for (const e of EMOTICONS) {
  const b = el(
    'button',
    { type: 'button', title: `${e.codes[0]} ${e.label}`, 'aria-label': e.label },
    el('img', { src: `emoticons/${e.file}.svg`, alt: '', width: 20, height: 20 }),
  );
  b.addEventListener('click', () => {
    insert(`${e.codes[0]} `);
    emoticonMenu.hidden = true;
  });
  emoticonMenu.append(b);
}
const emoticonButton = byId('btn-emoticons', HTMLButtonElement);
emoticonButton.addEventListener('click', () => {
  emoticonMenu.hidden = !emoticonMenu.hidden;
  emoticonButton.setAttribute('aria-expanded', String(!emoticonMenu.hidden));
  if (!emoticonMenu.hidden) (emoticonMenu.querySelector('button') as HTMLButtonElement | null)?.focus();
});
emoticonMenu.addEventListener('keydown', (e) => {
  if (e.key === 'Escape') {
    emoticonMenu.hidden = true;
    emoticonButton.focus();
  }
});

const settingsDialog = byId('settings-dialog', HTMLDialogElement);
const notifyBox = byId('pref-notify', HTMLInputElement);
const previewBox = byId('pref-preview', HTMLInputElement);
const ignoredList = byId('ignored', HTMLUListElement);
function showPrefs(): void {
  notifyBox.checked = prefs.get('notify');
  notifyBox.disabled = !notifier.supported;
  previewBox.checked = prefs.get('preview');
  const names = prefs.ignored();
  ignoredList.replaceChildren(
    ...(names.length
      ? names.map((n) => {
          const b = el('button', { type: 'button' }, 'Unignore');
          b.addEventListener('click', () => prefs.setIgnored(n, false));
          return el('li', {}, n, ' ', b);
        })
      : [el('li', { class: 'empty' }, 'nobody')]),
  );
}
prefs.onChange(showPrefs);
byId('btn-settings', HTMLButtonElement).addEventListener('click', () => {
  showPrefs();
  settingsDialog.showModal();
});
notifyBox.addEventListener('change', () => {
  prefs.set('notify', notifyBox.checked);
  if (notifyBox.checked && 'Notification' in window && Notification.permission === 'default') void Notification.requestPermission();
});
previewBox.addEventListener('change', () => {
  prefs.set('preview', previewBox.checked);
  sharePreview(true);
});

// ---- go

root.classList.add('live');
conn.start();
