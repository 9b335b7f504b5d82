// One chatter in one room: the life of a room handler process, from the welcome to the
// leave. stdin lines come from the browser and stdout lines go to it (websocketd turns
// each into a WebSocket frame); everything shared with other chatters goes through files.

import { runCommand, parseCommand } from '../commands/index.js';
import type { CommandContext } from '../commands/types.js';
import type { Config } from '../config.js';
import { type DataDir, dataDir, roomLogPath } from '../store/datadir.js';
import { type FollowOptions, Follower } from '../store/follower.js';
import { deliver, isPresent, type NewInboxEntry, rotateInbox } from '../store/inbox.js';
import { StorageError } from '../store/jsonl.js';
import { LineReader } from './linereader.js';
import { NameError, roomFromPath } from '../store/names.js';
import { extrasOf, listPresent, Presence, presentNames, readInfo, reapRoom, takeAddressSlot } from '../store/presence.js';
import {
  type Body,
  type ClientMessage,
  type E2eBox,
  type ErrorCode,
  type InboxEntry,
  type Limits,
  type RoomEvent,
  type ServerMessage,
  type UserSummary,
  formatText,
  isEventId,
  parseClientLine,
  parseEventLine,
  PRESENCE_EVENTS,
  ProtocolError,
} from '../shared/protocol.js';
import { bodyOf, foldLifecycle } from '../shared/lifecycle.js';
import { TokenBucket } from './ratelimit.js';
import { type NewRoomEvent, appendEvent, leaveLoggedSince, linesSince, logSize, recentLines } from '../store/roomlog.js';
import { type Identity, identify } from '../identity.js';
import { isOperator, mayUseName, provedName, REFUSALS, roomAccess } from '../access.js';
import { mentionsIn } from '../shared/mentions.js';
import { isRegistered } from '../store/registry.js';
import { kickChatter } from '../store/kick.js';
import type { CgiRequest } from '../request.js';
import { audit, connectionAddress } from './audit.js';
import { iceServersFor } from './ice.js';
import { Roster } from './roster.js';
import { ReadMarker } from './readmarker.js';
import { type ReadOwner, readMark, readOwnerOf, saveMark } from '../store/readmarks.js';
import { warn } from '../warn.js';

/**
 * What a chatter knows of its request: all of it from websocketd, or, for a chatter run
 * in-process (the unit tests), a path, a query and perhaps a cookie: no connection to audit.
 */
export type ChatterRequest = CgiRequest | Pick<CgiRequest, 'pathInfo' | 'query' | 'cookie'>;

export interface Output {
  write(line: string): void;
}

/** Why plain text is refused in an end-to-end room: said to browsers and terminals alike. */
const E2E_REQUIRED =
  'this room is end-to-end encrypted: use the chat page, which encrypts; a terminal cannot take part (commands such as /dice, /who and /msg still work)';

/** A room this big reads a flood every coalesce_ms; bigger rooms proportionally less often. */
const CHATTERS_PER_COALESCE = 50;
/** Whatever the limits, a line longer than this is never buffered whole. */
const HARD_LINE_CAP = 1024 * 1024;

export function limitsOf(cfg: Config): Limits {
  return {
    maxMessageBytes: cfg.chat.max_message_bytes,
    ratePerSec: cfg.chat.rate_per_sec,
    rateBurst: cfg.chat.rate_burst,
    idleTimeoutSec: cfg.chat.idle_timeout_sec,
    maxSignalBytes: cfg.chat.max_signal_bytes,
  };
}

export class Chatter {
  private readonly d: DataDir;
  private readonly logPath: string;
  private readonly textMode: boolean;
  private readonly since: string | null;
  private presence: Presence | undefined;
  private roomFollower: Follower | undefined;
  private inboxFollower: Follower | undefined;
  /** Bytes read from the inbox file now at its path (roughly: a rotation's tail counts too). */
  private inboxRead = 0;
  private rotating = false;
  /** The CGI request, when there is one. */
  private readonly cgi: CgiRequest | undefined;
  private readonly roster = new Roster(
    (users) => {
      if (!this.leaving) this.send({ type: 'users', users });
    },
    (name) => extrasOf(readInfo(this.d, this.room, name)),
  );
  /** Where our read markers are kept (src/store/readmarks.ts); none: in presence only. */
  private readOwner: ReadOwner | undefined;
  private readMarker: ReadMarker | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private lastHeard = Date.now();
  /** Gives back this connection's slot among its address's (takeAddressSlot). */
  private releaseSlot: (() => void) | undefined;
  private readonly msgBucket: TokenBucket;
  private readonly signalBucket: TokenBucket;
  /** No new input is taken. */
  private closing = false;
  /** Leaving: nothing more is sent or logged. */
  private leaving = false;
  /** The room log takes no more lines from us but the leave (see log()). */
  private logClosed = false;
  /** Our room lines, one after another: none can land after the leave. */
  private logTail: Promise<unknown> = Promise.resolve();
  /** A /nick under way: the leave waits for it, so it is never logged after the leave. */
  private renaming: Promise<unknown> = Promise.resolve();
  private queue: Promise<void> = Promise.resolve();
  private readonly joinedAt = new Date().toISOString();
  /** The registered name this chatter proved (src/access.ts), if any. */
  private proved: string | undefined;
  /** Rooms this connection made with /private (chat.max_private_rooms). */
  private privateRooms = 0;
  /** An end-to-end room (rooms/<room>.ini e2e): its msgs and edits are ciphertext only. */
  private e2eRoom = false;

  constructor(
    private readonly cfg: Config,
    readonly room: string,
    private readonly req: ChatterRequest,
    private readonly out: Output,
    private readonly exit: (code: number) => void,
  ) {
    this.d = dataDir(cfg.dataDir);
    this.logPath = roomLogPath(this.d, room);
    this.cgi = 'env' in req ? req : undefined;
    const q = new URLSearchParams(req.query);
    this.textMode = q.get('format') === 'text';
    this.since = q.get('since');
    this.msgBucket = new TokenBucket(cfg.chat.rate_per_sec, cfg.chat.rate_burst);
    this.signalBucket = new TokenBucket(cfg.chat.signal_rate_per_sec, cfg.chat.signal_rate_burst);
  }

  /**
   * Validate the room from the request; on a bad name, say why and touch nothing. The raw
   * path is decoded once; without one (a chatter run in-process) the path given is taken as raw.
   */
  static roomOf(req: Pick<CgiRequest, 'pathInfo' | 'rawPath'>): string {
    return roomFromPath(req.rawPath ?? req.pathInfo);
  }

  get name(): string {
    return this.presence?.name ?? '';
  }

  /** Our presence, once start() has joined: no input is handled before that. */
  private get joined(): Presence {
    if (!this.presence) throw new Error('not in the room yet');
    return this.presence;
  }

  /** The same answer the pages give: a trusted proxy header, else the session, else the default. */
  private identity(): Identity {
    return identify(this.cfg, this.d, this.cgi ?? this.req);
  }

  private send(m: ServerMessage): void {
    this.out.write(this.textMode ? formatText(m) : JSON.stringify(m));
  }

  private sendError(code: ErrorCode, message: string): void {
    this.send({ type: 'error', code, message });
  }

  /**
   * Append one room line, after any of ours still under way. Once the log is closed
   * (leaving), anything but the leave is dropped: a message or a nick racing the
   * disconnect never lands after our leave.
   */
  private log(e: NewRoomEvent): Promise<void> {
    if (this.logClosed && e.type !== 'leave') return Promise.resolve();
    const write = this.logTail.then(async () => {
      await appendEvent(this.d, this.room, e, { sharedFs: this.cfg.files.shared_fs });
    });
    this.logTail = write.catch(() => undefined);
    return write;
  }

  private reaped = async (u: UserSummary): Promise<void> => {
    await this.log({ type: 'leave', from: u.name, color: u.color, reason: 'lost' });
  };

  async start(): Promise<void> {
    const me = this.identity();
    const stale = this.cfg.chat.presence_stale_ms;
    this.proved = provedName(this.d, me);
    const access = roomAccess(this.d, this.room, me, this.proved);
    if (!access.ok) return this.refuse(me.name, REFUSALS[access.refusal ?? 'private']);
    if (!this.takeAddressSlot(me.name)) return;
    this.e2eRoom = access.settings.e2e;
    // Only a session the server made keeps markers beside it: a made-up cookie makes no file.
    this.readOwner = readOwnerOf(this.proved, me.session ? me.sessionId : undefined);
    const lastRead = this.readOwner && readMark(this.d, this.readOwner, this.room);
    this.presence = await Presence.join(this.d, this.room, me.name, me.color, {
      read: lastRead,
      staleMs: stale,
      onLost: () => this.lostPresence(),
      onReaped: this.reaped,
      mayUse: mayUseName(this.d, me, this.proved),
    });
    if (this.closing) {
      await this.presence.vacate(); // asked to leave while joining: leave no ghost behind
      return this.finish(0);
    }
    await this.log({ type: 'join', from: this.presence.name, color: this.presence.color });
    audit(this.cfg, this.cgi, this.room, this.presence.name, 'joined');

    // Everything up to `end` is replayed; the follower takes over exactly there.
    const end = logSize(this.logPath);
    for (const u of listPresent(this.d, this.room)) this.roster.set(u.name, u.color, u);
    this.roster.set(this.presence.name, this.presence.color, { read: lastRead });
    this.readMarker = new ReadMarker(this.cfg.chat.read_coalesce_ms, (id) => this.publishRead(id), lastRead);
    this.send({
      type: 'welcome',
      room: this.room,
      you: { name: this.presence.name, color: this.presence.color },
      users: this.roster.list(),
      iceServers: iceServersFor(this.cfg, this.cgi?.host, this.presence.name),
      limits: limitsOf(this.cfg),
      ...(access.settings.topic ? { topic: access.settings.topic } : {}),
      ...(access.operator && this.proved === this.presence.name ? { operator: true as const } : {}),
      ...(this.e2eRoom ? { e2e: true as const } : {}),
      ...(lastRead ? { lastRead } : {}),
    });
    this.replay(end);

    this.roomFollower = this.follow(this.logPath, { offset: end, onLine: (line) => this.roomLine(line), coalesceMs: () => this.restMs() });
    this.inboxFollower = this.followInbox(this.presence.inbox);
    await Promise.all([this.roomFollower.start(), this.inboxFollower.start()]);

    // Other chatters' dead presences: one scan per room per interval, whoever gets there first.
    const reap = setInterval(() => void reapRoom(this.d, this.room, stale, this.reaped).catch(() => undefined), stale / 2 + Math.random() * stale);
    this.timers.push(reap);
    if (this.cfg.chat.idle_timeout_sec > 0) {
      const limit = this.cfg.chat.idle_timeout_sec * 1000;
      this.timers.push(
        setInterval(
          () => {
            if (Date.now() - this.lastHeard > limit) {
              this.sendError('bad_request', `nothing heard for ${this.cfg.chat.idle_timeout_sec} s: disconnected`);
              void this.leave('lost');
            }
          },
          Math.min(limit, 10000),
        ),
      );
    }
  }

  /**
   * One of the client address's chat connection slots (chat.max_connections_per_addr), taken
   * before anything else: a refused connection leaves no join, no presence, no history.
   */
  private takeAddressSlot(name: string): boolean {
    const limit = this.cfg.chat.max_connections_per_addr;
    if (limit <= 0 || this.cgi === undefined) return true;
    const addr = connectionAddress(this.cfg, this.cgi);
    const release = takeAddressSlot(this.d, addr, limit, this.room);
    if (release) {
      this.releaseSlot = release;
      return true;
    }
    this.refuse(name, `too many connections from your address (${addr}): at most ${limit} at once; close another tab or window`);
    return false;
  }

  /** Turned away before joining: an error, then close; no join line, no presence, no history. */
  private refuse(name: string, why: string): void {
    this.sendError('forbidden', why);
    audit(this.cfg, this.cgi, this.room, name, 'refused');
    this.closing = true; // stdin's end after this is no leave: nothing was joined
    this.finish(0);
  }

  /**
   * How far apart a chatter reads a room in full flood. Every chatter wakes once per
   * read, so a room of N costs N wake-ups per interval: the interval grows with the room
   * (coalesce_ms per 50 chatters) to keep a flood in a big room from taking every core,
   * the writers' included.
   */
  private restMs(): number {
    return this.cfg.files.coalesce_ms * Math.max(1, this.roster.size / CHATTERS_PER_COALESCE);
  }

  /** A follower with this server's watch settings. */
  private follow(path: string, opts: Pick<FollowOptions, 'offset' | 'onLine' | 'onMissing' | 'coalesceMs' | 'fixed'>): Follower {
    return new Follower(path, {
      ...opts,
      poll: this.cfg.files.watch === 'poll',
      pollIntervalMs: this.cfg.files.poll_interval_ms,
      onFallback: (reason) => warn(`${reason}; polling ${this.room}`),
    });
  }

  /** Our inbox, from its first line; its disappearance means our presence was taken. */
  private followInbox(path: string): Follower {
    this.inboxRead = 0;
    // fixed: once the presence is reaped, a newcomer's inbox may appear at this path.
    return this.follow(path, { offset: 0, fixed: true, onLine: (line) => this.inboxLine(line), onMissing: () => this.lostPresence() });
  }

  /**
   * Read this much of our inbox: replace it with an empty one, so its size stays what
   * waits unread (senders are capped on it). Not from inside the follower's read: after it.
   */
  private rotateInboxSoon(): void {
    if (this.rotating) return;
    this.rotating = true;
    setImmediate(() => {
      this.rotating = false;
      if (this.leaving || !this.presence || !this.inboxFollower) return;
      // The follower takes only this new file for ours: any other at the path is a newcomer's.
      const ino = rotateInbox(this.presence.inbox);
      if (ino !== undefined) {
        this.inboxRead = 0;
        this.inboxFollower.adopt(ino);
      }
      this.inboxFollower.drain(); // the old file to its end, then the new one, watched
    });
  }

  private replay(end: number): void {
    const since = this.since;
    let lines: string[] | undefined;
    if (since && isEventId(since)) {
      lines = linesSince(this.logPath, since, end);
      if (!lines) this.send({ type: 'info', text: 'that point is no longer in the current log: showing recent history' });
    }
    lines ??= recentLines(this.logPath, this.cfg.chat.history_on_join, end);
    if (this.textMode) {
      // Text lines show each message as it stands now; the JSON stream carries the edit
      // and delete events as they are, and the page folds them (src/shared/lifecycle.ts).
      const events = lines.map(parseEventLine).filter((e) => e !== undefined);
      for (const e of foldLifecycle(events)) this.out.write(formatText(e));
      return;
    }
    // A stored line is a wire message already: mark it as history without re-encoding.
    for (const line of lines) this.out.write(`${line.slice(0, -1)},"replay":true}`);
  }

  private roomLine(line: string): void {
    if (this.leaving) return;
    let e: RoomEvent | undefined;
    if (this.textMode || PRESENCE_EVENTS.has(typeOf(line))) {
      e = parseEventLine(line);
      if (!e) return; // a torn fragment left by a full disk: never forward garbage
    } else if (!line.startsWith('{"id":"') || !line.endsWith('}')) {
      return;
    }
    if (e && PRESENCE_EVENTS.has(e.type)) this.roster.changed(e);
    this.out.write(e && this.textMode ? formatText(e) : line);
  }

  private inboxLine(line: string): void {
    this.inboxRead += Buffer.byteLength(line) + 1;
    if (this.inboxRead >= this.cfg.chat.inbox_rotate_bytes) this.rotateInboxSoon();
    let e: InboxEntry;
    try {
      e = JSON.parse(line) as InboxEntry;
    } catch {
      return;
    }
    switch (e.type) {
      case 'whisper':
      case 'signal':
      case 'status':
      case 'invite':
        this.send(e);
        break;
      case 'announce':
        this.send({ type: 'info', text: e.text });
        break;
      case 'presence':
      case 'key':
        this.roster.infoChanged(e.from);
        break;
      case 'kick':
        this.sendError(
          'forbidden',
          e.text ? `kicked${e.from ? ` by ${e.from}` : ''}: ${e.text}` : `you were kicked from the room${e.from ? ` by ${e.from}` : ''}`,
        );
        void this.leave('kicked');
        break;
    }
  }

  /** Feed raw stdin bytes here. */
  readonly reader = new LineReader(
    HARD_LINE_CAP,
    (line) => this.enqueue(line),
    () => this.sendError('too_long', 'line too long: dropped'),
  );

  private enqueue(line: string): void {
    if (this.closing) return;
    // One line at a time, in order: a message is logged before the next is looked at.
    this.queue = this.queue.then(() => this.handleLine(line)).catch(() => undefined);
  }

  private async handleLine(line: string): Promise<void> {
    if (this.leaving || !this.presence) return;
    // After a stall our place may be someone else's: check (one read) before we speak for it.
    if (!this.presence.lockFresh() && !this.presence.stillHeld()) return this.lostPresence();
    this.lastHeard = Date.now();
    if (line.trim() === '') return;
    let m: ClientMessage;
    try {
      m = parseClientLine(line);
      if (m.type === 'ping') return this.send({ type: 'pong' });
      await this.dispatch(m);
    } catch (e) {
      if (e instanceof ProtocolError) return this.sendError(e.code, e.message);
      if (e instanceof NameError) return this.sendError('no_such_user', e.message);
      if (e instanceof StorageError) return this.sendError('storage', 'the message could not be stored; try again');
      this.sendError('bad_request', 'that message could not be handled');
      warn(String((e as Error).stack ?? e));
    }
  }

  private checkText(text: string): void {
    if (Buffer.byteLength(text) > this.cfg.chat.max_message_bytes) {
      throw new ProtocolError('too_long', `messages are limited to ${this.cfg.chat.max_message_bytes} bytes`);
    }
  }

  private async dispatch(m: Exclude<ClientMessage, { type: 'ping' }>): Promise<void> {
    const me = this.joined;
    if (m.type === 'signal') {
      if (!this.signalBucket.take()) throw new ProtocolError('rate_limited', 'too much signaling: slow down');
      if (Buffer.byteLength(JSON.stringify(m.data)) > this.cfg.chat.max_signal_bytes) {
        throw new ProtocolError('too_long', `signaling data is limited to ${this.cfg.chat.max_signal_bytes} bytes`);
      }
      await deliver(this.d, this.room, m.to, { type: 'signal', from: me.name, data: m.data }, this.cfg.files.shared_fs, this.cfg.chat.max_inbox_bytes);
      return;
    }
    if (m.type === 'status') return this.status(me.name, m);
    if (m.type === 'key') return this.announceKey(me, m.pub);
    if (m.type === 'read') {
      if (!this.signalBucket.take()) throw new ProtocolError('rate_limited', 'too many read markers: slow down');
      return this.readMarker?.set(m.ref);
    }
    if (!this.msgBucket.take()) throw new ProtocolError('rate_limited', 'too many messages: slow down');
    if (m.type === 'delete') return this.lifecycle(m);
    // An e2e box counts whole, as text would: base64 and the tag make it a third bigger.
    this.checkText(m.e2e ? JSON.stringify(m.e2e) : m.text);
    if (m.type === 'whisper') return this.whisper(m.to, bodyOf(m));
    if (m.e2e) return this.sealed(m, m.e2e);
    if (m.type === 'edit') {
      if (this.e2eRoom) throw new ProtocolError('e2e_required', E2E_REQUIRED);
      return this.lifecycle(m);
    }
    const text = m.text;
    if (text.trim() === '') return;
    const cmd = parseCommand(text);
    // What the server computes is no secret (dice, names, the topic); /me would log what was said.
    if (cmd && !(this.e2eRoom && cmd.name === 'me')) return runCommand(this.commandContext(), cmd.name, cmd.args);
    if (this.e2eRoom) throw new ProtocolError('e2e_required', E2E_REQUIRED);
    // The original's convention: "bob: hi" whispers to bob, if bob is here.
    const [, to, said] = /^([^\s:]+): ([\s\S]+)$/.exec(text) ?? [];
    if (to !== undefined && said !== undefined && to !== me.name && isPresent(this.d, this.room, to)) return this.whisper(to, { text: said });
    const mentions = mentionsIn(text, (name) => this.roster.has(name) || isRegistered(this.d, name));
    await this.log({
      type: 'msg',
      from: me.name,
      color: me.color,
      text,
      ...(m.type === 'msg' && m.reply_to ? { reply_to: m.reply_to } : {}),
      ...(mentions.length ? { mentions } : {}),
    });
  }

  /**
   * Ciphertext for the room: only in an end-to-end room (elsewhere the history pages must
   * stay readable), logged as it is. Counted whole, like text; no mentions (nobody here can read it).
   */
  private async sealed(m: Extract<ClientMessage, { type: 'msg' | 'edit' }>, e2e: E2eBox): Promise<void> {
    if (!this.e2eRoom) throw new ProtocolError('bad_request', 'this room is not end-to-end encrypted: send "text", not "e2e"');
    if (m.type === 'edit') return this.lifecycle(m);
    const me = this.joined;
    await this.log({ type: 'msg', from: me.name, color: me.color, e2e, ...(m.reply_to ? { reply_to: m.reply_to } : {}) });
  }

  /** Edit or delete one message (src/handler/lifecycle.ts, loaded on first use). */
  private async lifecycle(m: Extract<ClientMessage, { type: 'edit' | 'delete' }>): Promise<void> {
    const { editMessage, deleteMessage } = await import('./lifecycle.js');
    const ctx = {
      d: this.d,
      room: this.room,
      me: this.joined.name,
      editWindowMs: this.cfg.chat.edit_window_min * 60_000,
      lookbackBytes: this.cfg.chat.edit_lookback_mb * 1024 * 1024,
      mayDeleteOthers: () => this.mayDeleteOthers(),
      log: (e: NewRoomEvent) => this.log(e),
    };
    return m.type === 'edit' ? editMessage(ctx, m.ref, bodyOf(m)) : deleteMessage(ctx, m.ref);
  }

  /** A room operator may delete anyone's message. */
  private mayDeleteOthers(): boolean {
    return this.isOperator();
  }

  /** Our current name is the one we proved and an operator of `room` (its .ini read now). */
  private isOperator(room = this.room): boolean {
    return this.proved === this.joined.name && isOperator(this.d, room, this.proved);
  }

  /**
   * What the page would connect for (call, typing preview), to one chatter (a newcomer)
   * or to everyone here: through inboxes, never the room log, and without any address.
   */
  private async status(from: string, m: Extract<ClientMessage, { type: 'status' }>): Promise<void> {
    if (!this.signalBucket.take()) throw new ProtocolError('rate_limited', 'too much signaling: slow down');
    const entry = { type: 'status' as const, from, call: m.call, preview: m.preview };
    if (m.to !== undefined) {
      await deliver(this.d, this.room, m.to, entry, this.cfg.files.shared_fs);
      return;
    }
    await this.tellOthers(from, entry);
  }

  /**
   * One inbox line to everyone in the room but us, by the presence directories (the
   * truth: a newcomer not yet in our roster is told too). Someone who left meanwhile has
   * no inbox: nothing to tell.
   */
  private async tellOthers(me: string, entry: NewInboxEntry): Promise<void> {
    const others = presentNames(this.d, this.room).filter((n) => n !== me);
    await Promise.all(others.map((n) => deliver(this.d, this.room, n, entry, this.cfg.files.shared_fs).catch(() => undefined)));
  }

  /**
   * A new public key: kept in our presence info, then everyone here is told to read it
   * again, through their inboxes (no room event: a key is nobody's history). The info is
   * written before the names are listed, so a newcomer either is listed, or joined after
   * the write and reads the key with the rest of its welcome.
   */
  private async announceKey(me: Presence, pub: string): Promise<void> {
    if (!this.signalBucket.take()) throw new ProtocolError('rate_limited', 'too many key changes: slow down');
    if (pub === me.pub) return; // every reconnect says it again: nothing changed
    me.setKey(pub);
    await this.presenceChanged(me);
  }

  /**
   * Our read marker (src/handler/readmarker.ts calls this, coalesced): beside our session
   * or proved name, then in our presence info for the others, like a key.
   */
  private async publishRead(id: string): Promise<void> {
    const me = this.presence;
    if (!me) return;
    if (this.readOwner) {
      try {
        saveMark(this.d, this.readOwner, this.room, id);
      } catch (e) {
        warn(`could not store the read marker of ${me.name}: ${(e as Error).message}`);
      }
    }
    // After a stall the name may be a newcomer's: never write into its info.
    if (!me.lockFresh() && !me.stillHeld()) return;
    me.setRead(id);
    await this.presenceChanged(me);
  }

  /** Our info changed: everyone here reads it again (a `presence` note in their inboxes). */
  private async presenceChanged(me: Presence): Promise<void> {
    this.roster.infoChanged(me.name); // our own list shows it too: the page sees it arrived
    await this.tellOthers(me.name, { type: 'presence', from: me.name });
  }

  /** Text, or ciphertext between two pages (relayed as it is): to the inbox, and back to the sender. */
  private async whisper(to: string, body: Body): Promise<void> {
    const me = this.joined;
    if (body.text !== undefined && body.text.trim() === '') throw new ProtocolError('bad_request', 'empty whisper');
    const entry = await deliver(
      this.d,
      this.room,
      to,
      { type: 'whisper', from: me.name, to, ...body },
      this.cfg.files.shared_fs,
      this.cfg.chat.max_inbox_bytes,
    );
    if (to !== me.name) this.send(entry as ServerMessage); // the sender's copy; to oneself, the inbox copy is enough
  }

  private commandContext(): CommandContext {
    return {
      room: this.room,
      me: () => ({ name: this.joined.name, color: this.joined.color }),
      users: () => this.roster.list(),
      present: () => listPresent(this.d, this.room),
      logEvent: (e) => this.log(e),
      info: (text) => this.send({ type: 'info', text }),
      setColor: async (color) => this.joined.setColor(color),
      whisper: (to, text) => this.whisper(to, { text }),
      rename: (wanted) => this.rename(wanted),
      d: this.d,
      cfg: this.cfg,
      proved: () => (this.proved === this.joined.name ? this.proved : undefined),
      operator: (room) => this.isOperator(room),
      send: (m) => this.send(m),
      deliver: async (to, e) => {
        await deliver(this.d, this.room, to, e, this.cfg.files.shared_fs, this.cfg.chat.max_inbox_bytes);
      },
      kick: (name, reason) =>
        kickChatter(this.d, this.room, name, {
          from: this.joined.name,
          reason,
          waitMs: 3000,
          staleMs: this.cfg.chat.presence_stale_ms,
          sharedFs: this.cfg.files.shared_fs,
        }),
      takePrivateRoom: () => this.privateRooms++ < this.cfg.chat.max_private_rooms,
    };
  }

  /**
   * /nick: move the presence and log the nick, then follow the new inbox and drain the
   * old one to its end. The leave waits for a rename under way (so the nick lands
   * before it), and once leaving no rename begins.
   */
  private rename(wanted: string): Promise<string> {
    if (this.leaving) return Promise.reject(new ProtocolError('bad_request', 'leaving: too late to change names'));
    const run = this.renameNow(wanted);
    this.renaming = run.catch(() => undefined);
    return run;
  }

  private async renameNow(wanted: string): Promise<string> {
    const p = this.joined;
    const before = p.name;
    const now = await p.rename(wanted, this.reaped);
    if (now === undefined) throw new ProtocolError('bad_request', `no free name like ${wanted} in ${this.room}`);
    if (now === before) return now;
    await this.log({ type: 'nick', from: before, name: now });
    const old = this.inboxFollower;
    // The old follower's onMissing may fire once its directory is gone; lostPresence
    // ignores it because the new directory is held.
    this.inboxFollower = this.followInbox(p.inbox);
    await this.inboxFollower.start();
    if (this.leaving) void this.inboxFollower.close(); // left while renaming: finish() closed the old one only
    old?.drain();
    await old?.close();
    return now;
  }

  /**
   * Our presence is not ours any more: an admin's `rm -r`, or we stalled and were reaped
   * (and a newcomer may hold the name now). Asked on events (the lock found compromised,
   * the inbox gone or replaced, a line after a stall), never polled. We speak for that
   * name no more: whoever took the presence logged its leave (a reaper, `tailroom kick`),
   * so only a bare `rm -r` leaves the leave to us.
   */
  private lostPresence(): void {
    const p = this.presence;
    if (this.leaving || !p || p.stillHeld()) return;
    this.leaving = true;
    this.closing = true;
    this.logClosed = true;
    const name = p.name;
    p.abandon();
    const alreadyLogged = p.beingRemoved() || leaveLoggedSince(this.logPath, name, this.joinedAt);
    this.sendError(
      'forbidden',
      'you were disconnected: this connection lost its place in the room (it stalled, or an admin removed it); reconnect to come back',
    );
    audit(this.cfg, this.cgi, this.room, name, 'removed');
    const done = alreadyLogged ? Promise.resolve() : this.log({ type: 'leave', from: name, color: p.color, reason: 'kicked' });
    void done.catch(() => undefined).finally(() => this.finish(0));
  }

  /** Leave exactly once, whatever asks first: stdin EOF, a signal, a kick, the idle timer. */
  async leave(reason: 'closed' | 'kicked' | 'lost'): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Lines already received are still logged (a client may say one line and hang up),
    // within a bound: websocketd sends SIGKILL about a second after stdin closes.
    await Promise.race([this.queue, new Promise((r) => setTimeout(r, 300))]);
    if (this.leaving) return;
    this.leaving = true;
    await this.renaming; // bounded: a rename is a few mkdirs and one lock
    await this.readMarker?.close(); // the last marker, while our presence is still ours
    this.logClosed = true;
    const p = this.presence;
    if (p) {
      try {
        await p.leave(() => this.log({ type: 'leave', from: p.name, color: p.color, reason }));
      } catch (e) {
        warn(`could not log leave of ${p.name}: ${(e as Error).message}`);
      }
      audit(this.cfg, this.cgi, this.room, p.name, reason);
    }
    this.finish(0);
  }

  private finish(code: number): void {
    this.releaseSlot?.();
    for (const t of this.timers) clearInterval(t);
    this.roster.close();
    void this.roomFollower?.close();
    void this.inboxFollower?.close();
    this.exit(code);
  }
}

/** The `type` of a stored line without parsing it: stored lines all begin the same way. */
function typeOf(line: string): string {
  const i = line.indexOf('"type":"');
  if (i === -1) return '';
  const j = line.indexOf('"', i + 8);
  return line.slice(i + 8, j);
}
