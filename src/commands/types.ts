// What a slash command may do. One module per command exports a Command; the
// registry in index.ts lists them and generates /help from their usage lines.

import type { NewRoomEvent } from '../store/roomlog.js';
import type { UserSummary } from '../shared/protocol.js';

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
