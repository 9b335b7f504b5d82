import { DEFAULT_INVITE_TTL_MS, inviteHref, makeInvite } from '../store/invites.js';
import { isPresent } from '../store/inbox.js';
import { NameError, validateRoom } from '../store/names.js';
import { ProtocolError } from '../shared/protocol.js';
import { requireOperator } from './operators.js';
import type { Command } from './types.js';

export const invite: Command = {
  names: ['invite'],
  usage: '/invite NAME [ROOM]',
  summary: 'operators: send someone here a one-use link into this room (or into ROOM, where you are an operator)',
  async run(ctx, args) {
    const [, name, other] = /^(\S+)(?:\s+(\S+))?$/.exec(args) ?? [];
    if (name === undefined) throw new ProtocolError('bad_request', `name someone. Usage: ${invite.usage}`);
    let room = ctx.room;
    try {
      if (other !== undefined) room = validateRoom(other);
    } catch (e) {
      if (e instanceof NameError) throw new ProtocolError('bad_request', e.message);
      throw e;
    }
    requireOperator(ctx, '/invite', room);
    // Checked first, so that an invite for nobody is not left on disk.
    if (!isPresent(ctx.d, ctx.room, name)) throw new ProtocolError('no_such_user', `nobody called ${name.slice(0, 40)} is in ${ctx.room}`);
    const from = ctx.me().name;
    const { token } = makeInvite(ctx.d, room, { by: from, for: name, uses: 1 });
    await ctx.deliver(name, { type: 'invite', from, room, href: inviteHref(room, token) });
    ctx.info(`invited ${name} to ${room} (a link for one use, valid ${DEFAULT_INVITE_TTL_MS / 86400000} days)`);
  },
};
