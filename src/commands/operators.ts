// What the operators' commands share: who may run them, and how they change a room's
// settings file (rooms/<room>.ini, locked and rewritten whole by src/store/roomsettings.ts).

import { type RoomSettings, RoomSettingsError, updateRoomSettings } from '../store/roomsettings.js';
import { ProtocolError } from '../shared/protocol.js';
import type { CommandContext } from './types.js';

/** Throws forbidden unless this chatter is an operator of `room` right now. */
export function requireOperator(ctx: CommandContext, what: string, room = ctx.room): void {
  if (ctx.operator(room)) return;
  const why = ctx.proved() === undefined ? 'only a registered name, signed in on the settings page, can be one' : `${ctx.me().name} is not one`;
  throw new ProtocolError('forbidden', `${what} is for the operators of ${room}: ${why}`);
}

/** updateRoomSettings, with a damaged file said as the chatter's error (an admin must fix it). */
export async function changeSettings(ctx: CommandContext, change: (s: RoomSettings) => void, room = ctx.room): Promise<RoomSettings> {
  try {
    return await updateRoomSettings(ctx.d, room, change);
  } catch (e) {
    if (e instanceof RoomSettingsError)
      throw new ProtocolError('storage', `the settings of ${room} have errors an admin must fix first (tailroom room show ${room})`);
    throw e;
  }
}
