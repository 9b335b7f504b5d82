// What a slash command may do. One module per command exports a Command; the
// registry in index.ts lists them and generates /help from their usage lines.

import type { Config } from '../config.js';
import type { DataDir } from '../store/datadir.js';
import type { NewInboxEntry } from '../store/inbox.js';
import type { KickResult } from '../store/kick.js';
import type { NewRoomEvent } from '../store/roomlog.js';
import type { ServerMessage, UserSummary } from '../shared/protocol.js';

export interface CommandContext {
  room: string;
  me(): UserSummary;
  /** Who is present, as this connection currently knows it. */
  users(): UserSummary[];
  /** Who is present by the presence directories: the truth, which /who reports. */
  present(): UserSummary[];
  /** Stamp and append a room event everyone sees. */
  logEvent(e: NewRoomEvent): Promise<void>;
  /** A line for the sender only. */
  info(text: string): void;
  setColor(color: string): Promise<void>;
  /** Whisper to one present chatter: their inbox only, echoed to the sender. Throws no_such_user. */
  whisper(to: string, text: string): Promise<void>;
  /**
   * Take a new name, numbered if it is taken (`bob1`); resolves to the name now held,
   * which is the old one when the first free variant was our own. Logs the `nick` itself,
   * in step with the presence: a leave racing it can never land before it.
   */
  rename(wanted: string): Promise<string>;
  /** The data dir and this server's settings: the operators' commands change the room's files. */
  d: DataDir;
  cfg: Config;
  /** The registered name this chatter proved (src/access.ts), when it is also its current name. */
  proved(): string | undefined;
  /**
   * Whether this chatter may run the operators' commands in `room` (default: this one):
   * its current name is its proved name and is among the room's operators, read from
   * rooms/<room>.ini now (a /deop takes effect at once), never from the welcome.
   */
  operator(room?: string): boolean;
  /** A message for the sender only. */
  send(m: ServerMessage): void;
  /** Into the inbox of someone present here, under the inbox cap. Throws no_such_user, inbox_full. */
  deliver(to: string, e: NewInboxEntry): Promise<void>;
  /** Kick someone present here (src/store/kick.ts), as this chatter. Throws no_such_user. */
  kick(name: string, reason: string | undefined): Promise<KickResult>;
  /** Takes one of this connection's /private rooms (chat.max_private_rooms); false when none is left. */
  takePrivateRoom(): boolean;
}

export interface Command {
  /** `dice`, `roll`: the words after the slash that run it. */
  names: readonly string[];
  /** `/color VALUE`: shown by /help and in usage errors. */
  usage: string;
  summary: string;
  /** Throws ProtocolError (bad_request, no_such_user…) for the sender's mistakes. */
  run(ctx: CommandContext, args: string): Promise<void>;
}
