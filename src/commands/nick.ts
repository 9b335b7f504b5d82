import { NameError, validateUserName } from '../store/names.js';
import { ProtocolError } from '../shared/protocol.js';
import type { Command } from './types.js';

export const nick: Command = {
  names: ['nick', 'name'],
  usage: '/nick NEWNAME',
  summary: 'change your name in this room (numbered if someone has it: bob1)',
  async run(ctx, args) {
    let wanted: string;
    try {
      wanted = validateUserName(args);
    } catch (e) {
      if (!(e instanceof NameError)) throw e;
      throw new ProtocolError('bad_request', `${e.message}. Usage: ${nick.usage}`);
    }
    const before = ctx.me().name;
    if (wanted === before) return ctx.info(`you are already called ${before}`);
    const now = await ctx.rename(wanted);
    if (now === before) return ctx.info(`${wanted} is taken: you are still ${before}`);
    if (now !== wanted) ctx.info(`${wanted} is taken: you are now ${now}`);
  },
};
