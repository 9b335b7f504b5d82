import { normalizeColor } from '../shared/colornames.js';
import { ProtocolError } from '../shared/protocol.js';
import type { Command } from './types.js';

export const color: Command = {
  names: ['color', 'colour'],
  usage: '/color VALUE',
  summary: 'change your colour: #rgb, #rrggbb or a CSS colour name',
  async run(ctx, args) {
    const value = normalizeColor(args);
    if (!value) throw new ProtocolError('bad_request', `not a colour: "${args.slice(0, 40)}". Usage: /color VALUE`);
    await ctx.setColor(value);
    await ctx.logEvent({ type: 'color', from: ctx.me().name, color: value });
  },
};
