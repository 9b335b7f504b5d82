import { ProtocolError } from '../shared/protocol.js';
import type { Command } from './types.js';

export const msg: Command = {
  names: ['msg', 'whisper', 'w'],
  usage: '/msg NAME TEXT',
  summary: 'whisper to one person in the room; nobody else sees it, and it is not kept in the history',
  async run(ctx, args) {
    const [, to, text] = /^(\S+)\s+(\S[\s\S]*)$/.exec(args) ?? [];
    if (to === undefined || text === undefined) throw new ProtocolError('bad_request', `name someone and say something. Usage: ${msg.usage}`);
    await ctx.whisper(to, text);
  },
};
