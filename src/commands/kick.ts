import { ProtocolError } from '../shared/protocol.js';
import { requireOperator } from './operators.js';
import type { Command } from './types.js';

export const kick: Command = {
  names: ['kick'],
  usage: '/kick NAME [REASON]',
  summary: 'operators: disconnect someone from this room, telling them why',
  async run(ctx, args) {
    requireOperator(ctx, '/kick');
    const [, name, reason] = /^(\S+)(?:\s+([\s\S]+))?$/.exec(args) ?? [];
    if (name === undefined) throw new ProtocolError('bad_request', `name someone. Usage: ${kick.usage}`);
    if (name === ctx.me().name) throw new ProtocolError('bad_request', 'you cannot kick yourself: close the page to leave');
    const r = await ctx.kick(name, reason);
    if (r.outcome === 'gone') return ctx.info(`${name} left before the kick reached them`);
    ctx.info(r.outcome === 'kicked' ? `kicked ${name}` : `${name} was not answering: removed`);
  },
};
