// /private NAME: an unlisted private room for two, made on the spot (the original's
// instant private rooms). Each side gets a one-use invite; the other through its inbox.

import { existsSync } from 'node:fs';
import { roomLogPath } from '../store/datadir.js';
import { newEventId } from '../store/eventid.js';
import { isPresent } from '../store/inbox.js';
import { inviteHref, makeInvite } from '../store/invites.js';
import { isValid, validateRoom } from '../store/names.js';
import { isRegistered } from '../store/registry.js';
import { readRoomSettings } from '../store/roomsettings.js';
import { ProtocolError } from '../shared/protocol.js';
import { changeSettings } from './operators.js';
import type { Command, CommandContext } from './types.js';

const hex = (bytes: number) => process.getBuiltinModule('node:crypto').randomBytes(bytes).toString('hex');

/** `alice-bob-1f2e`, or `private-1f2e3d4c` when the names are too long together; never a room that exists. */
function newRoomName(ctx: CommandContext, a: string, b: string): string {
  for (let i = 0; i < 5; i++) {
    const room = [`${a}-${b}-${hex(2)}`, `private-${hex(4)}`].find((r) => isValid(validateRoom, r)) ?? '';
    if (!readRoomSettings(ctx.d, room).exists && !existsSync(roomLogPath(ctx.d, room))) return room;
  }
  throw new ProtocolError('storage', 'no free room name: try again');
}

export const privateRoom: Command = {
  names: ['private', 'query'],
  usage: '/private NAME',
  summary: 'open a private room for you and NAME (someone here): both of you get a link into it',
  async run(ctx, args) {
    const me = ctx.me().name;
    const name = args;
    if (name === '' || /\s/.test(name)) throw new ProtocolError('bad_request', `name someone here. Usage: ${privateRoom.usage}`);
    if (name === me) throw new ProtocolError('bad_request', 'a private room needs someone else');
    if (!isPresent(ctx.d, ctx.room, name)) throw new ProtocolError('no_such_user', `nobody called ${name.slice(0, 40)} is in ${ctx.room}`);
    if (ctx.cfg.chat.max_private_rooms <= 0) throw new ProtocolError('forbidden', '/private is turned off on this server');
    if (!ctx.takePrivateRoom()) {
      throw new ProtocolError(
        'rate_limited',
        `you made ${ctx.cfg.chat.max_private_rooms} private rooms on this connection already: reload the page to make more`,
      );
    }
    const room = newRoomName(ctx, me, name);
    const proved = ctx.proved();
    await changeSettings(
      ctx,
      (s) => {
        s.visibility = 'private';
        // Names that are registered are held only by whoever proved them: they may come back without an invite.
        if (proved) s.operators = [proved];
        if (isRegistered(ctx.d, name)) s.members = [name];
      },
      room,
    );
    const theirs = makeInvite(ctx.d, room, { by: me, for: name, uses: 1 });
    const mine = makeInvite(ctx.d, room, { by: me, for: me, uses: 1 });
    await ctx.deliver(name, { type: 'invite', from: me, room, href: inviteHref(room, theirs.token), private: true });
    const now = Date.now();
    ctx.send({ type: 'invite', id: newEventId(now), t: new Date(now).toISOString(), from: me, room, href: inviteHref(room, mine.token), private: true });
  },
};
