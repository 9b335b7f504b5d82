import { ProtocolError } from '../shared/protocol.js';
import type { Command } from './types.js';

export const me: Command = {
  names: ['me'],
  usage: '/me ACTION',
  summary: 'say what you do: /me waves',
  async run(ctx, args) {
    if (args === '') throw new ProtocolError('bad_request', `say what you do. Usage: ${me.usage}`);
    await ctx.logEvent({ type: 'me', from: ctx.me().name, text: args });
  },
};
