// The room password. What is typed after /key is never repeated: not in a reply, not in
// the room log, not in the audit log; only its scrypt hash is stored.

import { hashPassword, passwordProblem } from '../store/passwords.js';
import { ProtocolError } from '../shared/protocol.js';
import { changeSettings, requireOperator } from './operators.js';
import type { Command } from './types.js';

export const key: Command = {
  names: ['key'],
  usage: '/key NEWPASSWORD | /key off',
  summary: 'operators: set the room password (everyone let in under the old one must enter the new one), or remove it',
  async run(ctx, args) {
    requireOperator(ctx, '/key');
    if (args === 'off') {
      await changeSettings(ctx, (s) => {
        delete s.key;
      });
      return ctx.info(`${ctx.room} has no password now`);
    }
    const problem = passwordProblem(args);
    if (problem) throw new ProtocolError('bad_request', `${problem}. Usage: ${key.usage}`);
    const hash = await hashPassword(args);
    await changeSettings(ctx, (s) => {
      s.key = hash;
    });
    ctx.info(`the password of ${ctx.room} is changed: whoever was let in with the old one needs the new one to come back`);
  },
};
