import { NameError, validateUserName } from '../store/names.js';
import { isRegistered } from '../store/registry.js';
import { ProtocolError } from '../shared/protocol.js';
import { changeSettings, requireOperator } from './operators.js';
import type { Command, CommandContext } from './types.js';

function nameOf(args: string, usage: string): string {
  try {
    return validateUserName(args);
  } catch (e) {
    if (e instanceof NameError) throw new ProtocolError('bad_request', `${e.message}. Usage: ${usage}`);
    throw e;
  }
}

export const op: Command = {
  names: ['op'],
  usage: '/op NAME',
  summary: 'operators: make a registered name an operator of this room too',
  async run(ctx, args) {
    requireOperator(ctx, '/op');
    const name = nameOf(args, op.usage);
    // A name anyone could take would make whoever takes it next an operator.
    if (!isRegistered(ctx.d, name)) throw new ProtocolError('bad_request', `only registered names can be operators: ${name} is not registered`);
    let already = false;
    await changeSettings(ctx, (s) => {
      already = s.operators.includes(name);
      if (!already) s.operators.push(name);
    });
    ctx.info(already ? `${name} is an operator of ${ctx.room} already` : `${name} is now an operator of ${ctx.room}`);
  },
};

export const deop: Command = {
  names: ['deop'],
  usage: '/deop NAME',
  summary: 'operators: take away an operator (never the last one: a room keeps one)',
  async run(ctx: CommandContext, args: string) {
    requireOperator(ctx, '/deop');
    const name = nameOf(args, deop.usage);
    await changeSettings(ctx, (s) => {
      if (!s.operators.includes(name)) throw new ProtocolError('bad_request', `${name} is not an operator of ${ctx.room}`);
      // Without one, nobody could change the room from the chat any more: only an admin.
      if (s.operators.length === 1) throw new ProtocolError('bad_request', `${name} is the last operator of ${ctx.room}: /op someone else first`);
      s.operators = s.operators.filter((n) => n !== name);
    });
    ctx.info(`${name} is no longer an operator of ${ctx.room}`);
  },
};
