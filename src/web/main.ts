// The chat page's script (bundled by bin/build.mjs into htdocs/build/app.js): wires the
// connection, the message list, the user list, the message box, the tools, the direct
// (WebRTC) connections, opened on demand, and what runs on them.

import { validColor } from '../shared/colors.js';
import { describe } from '../shared/describe.js';
import {
  type ClientMessage,
  type Limits,
  type PeerStatus,
  ROOM_EVENT_TYPES,
  type RoomEvent,
  type ServerMessage,
  type UserSummary,
} from '../shared/protocol.js';
import { Call } from './call.js';
import { wireComposer } from './composer.js';
import { type ConnState, Connection } from './connection.js';
import { byId, el } from './dom.js';
import { E2e } from './e2e.js';
import { Transfers } from './files.js';
import { type PeerMessage, Mesh } from './mesh.js';
import { markMention, mentionsMe } from './mentions.js';
import { MessageLog } from './messages.js';
import { Notifier } from './notify.js';
import { Prefs } from './prefs.js';
import { Recorder } from './recorder.js';
import { RoomKey } from './roomkey.js';
import { Replies } from './replies.js';
import { Reads } from './reads.js';
import { wireToolbar } from './toolbar.js';
import { TypingPreview } from './typing.js';
import { UserList } from './users.js';

const root = byId('chat', HTMLElement);
const room = root.dataset.room ?? '';
const fileInput = byId('file-input', HTMLInputElement);
/** The room's topic, under its name: the template's #topic, or one made here for a template without it. */
const topicLine =
  document.getElementById('topic') ??
  (() => {
    const p = el('p', { id: 'topic', class: 'topic', hidden: true });
    root.querySelector('h1')?.after(p);
    return p;
  })();

function showTopic(text: string | undefined): void {
  topicLine.textContent = text ?? '';
  topicLine.hidden = !text;
}

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
/** The welcome said we may use the operators' commands here (and delete anyone's message). */
let operator = false;
let mesh: Mesh | undefined;
let fileTarget = '';
/** Whom we last sent a WebRTC signal, and when. */
const recentSignals = new Map<string, number>();
/** What the others were last told we connect for (all off until said otherwise). */
let told: PeerStatus = { call: false, preview: false };

const notifier = new Notifier(prefs, room);
const log = new MessageLog({
  list: byId('log', HTMLOListElement),
  prefs,
  inserts: { base: location.href, emoticons: new URL('emoticons/', location.href).href },
  onName: (name) => composer.whisperTo(name),
  colorOf: (name) => users.color(name),
  myName: () => me.name,
  operator: () => operator,
  onDelete: (ref) => {
    if (!conn.send({ type: 'delete', ref })) log.note('Not connected: the message was not deleted.');
  },
  decorate: (li, m) => {
    replies.decorate(li, m);
    markMention(li, m, me.name);
  },
});
const replies = new Replies({
  list: byId('log', HTMLOListElement),
  body: byId('log', HTMLOListElement).parentElement ?? root,
  form: byId('composer', HTMLFormElement),
  historyHref: root.dataset.history ?? `history?room=${encodeURIComponent(room)}`,
  message: (id) => log.message(id),
  focus: () => composer.focus(),
});
const roomKey = new RoomKey(room, { after: root.querySelector('.chat-bar') ?? root, note: (text) => log.note(text), warn: (text) => log.warn(text) });
const e2e = new E2e({ note: (text) => log.note(text), changed: () => users.render() });
const users = new UserList(byId('users', HTMLUListElement), prefs, {
  whisper: (name) => composer.whisperTo(name),
  fingerprint: (name) => e2e.fingerprint(name),
  sendFile: (name) => {
    fileTarget = name;
    fileInput.value = '';
    fileInput.click();
  },
  privateChat: (name) => {
    if (!conn.send({ type: 'msg', text: `/private ${name}` })) log.note('Not connected.');
  },
});
const transfers = new Transfers(
  byId('transfers', HTMLUListElement),
  () => mesh,
  (name) => prefs.ignores(name),
  (from, kind, blob) => recorder.received(from, kind, blob),
);
const recorder = new Recorder({
  voice: byId('btn-voice', HTMLButtonElement),
  video: byId('btn-video-msg', HTMLButtonElement),
  before: byId('composer', HTMLFormElement),
  list: log,
  recipients: () => [...users.names()].filter((n) => n !== me.name && !prefs.ignores(n)),
  offer: (to, file, kind, ended) => transfers.offer(to, file, kind, ended),
  myName: () => me.name,
  arrived: (from, text) => notifier.arrived(from, text),
});
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

// ---- the connection and what the server says

const conn = new Connection(wsUrl, { message: onMessage, state: showState });
const reads = new Reads({ list: byId('log', HTMLOListElement), send: (m) => conn.send(m), myName: () => me.name });
const composer = wireComposer({
  form: byId('composer', HTMLFormElement),
  input: byId('say', HTMLTextAreaElement),
  sendButton: byId('send', HTMLButtonElement),
  prefs,
  users,
  log,
  notifier,
  myName: () => me.name,
  limits: () => limits,
  send: (m) => sendSealed(m),
  broadcast: (m) => mesh?.broadcast(m),
  reply: replies,
});
const toolbar = wireToolbar({ conn, composer, log, prefs, notifier });

function showState(s: ConnState): void {
  toolbar.showState(s);
  composer.setOnline(s.kind === 'online');
  if (s.kind !== 'online' && s.kind !== 'connecting') {
    mesh?.closeAll();
    typing.clearAll();
  }
}

function onMessage(m: ServerMessage): void {
  switch (m.type) {
    case 'welcome':
      welcome(m);
      return;
    case 'users':
      users.set(m.users, me.name);
      e2e.setUsers(m.users, me.name);
      reads.users(m.users);
      mesh?.keepOnly(users.names());
      for (const name of [...typing.names()]) if (!users.names().has(name)) typing.set(name, '');
      return;
    case 'signal':
      mesh?.onSignal(m.from, m.data);
      return;
    case 'status':
      onStatus(m.from, { call: m.call === true, preview: m.preview === true }, String(m.t));
      return;
    case 'whisper':
      if (m.e2e) {
        openWhisper(m, m.e2e);
        return;
      }
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
    case 'invite':
      if (log.add(m) && m.from !== me.name && !prefs.ignores(m.from)) notifier.arrived(m.from, `invites you to ${m.room}`, true);
      return;
  }
  if (!ROOM_EVENT_TYPES.has(m.type)) return;
  // An end-to-end room: every event waits its turn to be opened (and for the passphrase).
  if (roomKey.active) roomKey.reveal(m as RoomEvent, roomEvent);
  else roomEvent(m as RoomEvent);
}

function roomEvent(m: RoomEvent): void {
  const fresh = log.add(m);
  if (!fresh || m.replay) return;
  switch (m.type) {
    case 'join':
      // A newcomer hears from those who connect for something; the others stay silent.
      if (m.from !== me.name && mesh && (told.call || told.preview)) conn.send({ type: 'status', to: m.from, ...told });
      break;
    case 'leave':
      if (mesh?.left(m.from, m.t)) users.setInCall(m.from, false);
      break;
    case 'msg':
    case 'me':
      typing.set(m.from, '');
      if (m.from !== me.name && !prefs.ignores(m.from))
        notifier.arrived(
          m.from,
          m.type === 'me' ? `* ${m.from} ${m.text}` : (m.text ?? 'encrypted message'),
          false,
          m.type === 'msg' && mentionsMe(m, me.name),
        );
      break;
    case 'roll':
      if (m.from !== me.name && !prefs.ignores(m.from)) notifier.arrived(m.from, describe(m).note);
      break;
    case 'topic':
      showTopic(m.text);
      break;
    case 'nick':
      mesh?.rename(m.from, m.name);
      typing.set(m.from, '');
      if (m.from === me.name) me = { ...me, name: m.name };
      break;
    case 'color':
      if (m.from === me.name) {
        me = { ...me, color: m.color };
        toolbar.showColor(validColor(m.color));
      }
      break;
  }
}

/** Whispers are opened one after another, so they are listed in the order they came. */
let opening: Promise<unknown> = Promise.resolve();

function openWhisper(m: Extract<ServerMessage, { type: 'whisper' }>, box: NonNullable<Extract<ServerMessage, { type: 'whisper' }>['e2e']>): void {
  const peer = m.from === me.name ? m.to : m.from;
  const names = { from: m.from, to: m.to };
  opening = opening
    .then(() => e2e.open(names.from, names.to, peer, box))
    .then(
      (text) => {
        if (log.add({ type: 'whisper', id: m.id, t: m.t, from: m.from, to: m.to, text, opened: true }) && m.from !== me.name && !prefs.ignores(m.from))
          notifier.arrived(m.from, text, true);
      },
      () => {
        // Never shown as text: what failed to open may be anything.
        log.warn(
          m.from === me.name
            ? `your whisper to ${m.to} could not be decrypted: it was altered or the key changed`
            : `a whisper from ${m.from} could not be decrypted: it was altered or the key changed`,
        );
      },
    );
}

/** Whispers (also /msg) to a peer with a key go sealed; anything else as it is. */
function sendSealed(m: ClientMessage): boolean {
  let to: string | undefined;
  let text: string | undefined;
  if (m.type === 'whisper' && m.text !== undefined) ({ to, text } = m);
  else if (m.type === 'msg' && m.text !== undefined) [, to, text] = /^\/(?:msg|whisper|w)\s+(\S+)\s+(\S[\s\S]*)$/.exec(m.text) ?? [];
  if (roomKey.active && to === undefined) return sendToRoom(m);
  if (to === undefined || text === undefined || to === me.name || !e2e.canSeal(to)) return conn.send(m);
  if (!conn.online) return false;
  const from = me.name;
  const said = text;
  const peer = to;
  void e2e.seal(from, peer, said).then(
    (box) => {
      // The box counts against the limit, and is a third bigger than the text.
      const max = limits?.maxMessageBytes;
      if (max !== undefined && JSON.stringify(box).length > max) log.note(`That whisper is too long once encrypted: at most ${max} bytes of ciphertext.`);
      else if (!conn.send({ type: 'whisper', to: peer, e2e: box })) log.note('Not connected: your whisper was not sent.');
    },
    () => log.warn(`your whisper to ${peer} could not be encrypted, so it was not sent`),
  );
  return true;
}

/**
 * In an end-to-end room, msgs and edits go sealed (src/web/roomkey.ts); slash commands
 * plain, for the server computes them, but /me, which would log its text.
 */
function sendToRoom(m: ClientMessage): boolean {
  if ((m.type !== 'msg' && m.type !== 'edit') || m.text === undefined) return conn.send(m);
  if (m.type === 'msg' && m.text.startsWith('/') && !m.text.startsWith('//')) {
    if (!/^\/me(\s|$)/i.test(m.text)) return conn.send(m);
    log.note('/me is not available in an end-to-end encrypted room: the server would see its text. Say it as a message.');
    return true;
  }
  if (!conn.online) return false;
  if (!roomKey.unlocked) log.note('Enter the room passphrase above: your message goes once it is in.');
  const { text, ...rest } = m;
  void roomKey.seal(text).then(
    (e2e) => {
      const max = limits?.maxMessageBytes;
      if (max !== undefined && JSON.stringify(e2e).length > max) log.note(`That message is too long once encrypted: at most ${max} bytes of ciphertext.`);
      else if (!conn.send({ ...rest, e2e } as ClientMessage)) log.note('Not connected: your message was not sent.');
    },
    () => log.warn('your message could not be encrypted, so it was not sent'),
  );
  return true;
}

function welcome(m: Extract<ServerMessage, { type: 'welcome' }>): void {
  me = m.you;
  roomKey.setActive(m.e2e === true);
  limits = m.limits;
  operator = m.operator === true;
  showTopic(m.topic);
  toolbar.showColor(validColor(me.color));
  users.set(m.users, me.name);
  e2e.setUsers(m.users, me.name);
  reads.welcome(m.lastRead, m.users);
  // Every connection is a new handler: it learns our key again (it says nothing if it is the same).
  void e2e.ready().then((pub) => {
    if (pub) conn.send({ type: 'key', pub });
  });
  // A new connection is a new start for the direct connections too.
  mesh?.closeAll();
  told = { call: false, preview: false };
  for (const u of m.users) users.setInCall(u.name, false);
  mesh = new Mesh(
    me.name,
    m.iceServers,
    {
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
      status: tell,
    },
    prefs.get('livePreview'),
  );
  call.attach(mesh);
  tell(mesh.status());
  composer.focus();
}

/** Everyone here learns what we connect for, when it changed. */
function tell(s: PeerStatus): void {
  if (s.call === told.call && s.preview === told.preview) return;
  told = s;
  conn.send({ type: 'status', ...s });
}

function onStatus(from: string, s: PeerStatus, t: string): void {
  if (from === me.name) return;
  const wasInCall = mesh?.remote.get(from)?.call === true;
  mesh?.setRemote(from, s, t);
  users.setInCall(from, s.call);
  if (!s.preview) typing.set(from, '');
  if (s.call && !wasInCall && !call.inCall && !prefs.ignores(from)) log.note(`${from} is in a call: press Call to join.`);
}

prefs.onChange(() => {
  mesh?.setPreview(prefs.get('livePreview'));
  if (!prefs.get('livePreview')) typing.clearAll();
});

function onPeerMessage(from: string, m: PeerMessage): void {
  switch (m.t) {
    case 'typing':
      if (prefs.get('livePreview') && mesh?.remote.get(from)?.preview) typing.set(from, m.text);
      return;
    default:
      transfers.onMessage(from, m);
  }
}

// ---- go

root.classList.add('live');
conn.start();
// The app shell for offline starts and notifications from an installed app (src/web/sw.ts);
// without it (no support, a private window) the page works the same, online.
addEventListener('load', () => {
  navigator.serviceWorker?.register('sw.js').then(
    (r) => (notifier.worker = r),
    () => undefined,
  );
});
