// The slash-command registry: adding a command is one module plus one line here.

import { ProtocolError } from '../shared/protocol.js';
import { color } from './color.js';
import { dice, roll } from './dice.js';
import { invite } from './invite.js';
import { key } from './key.js';
import { kick } from './kick.js';
import { me } from './me.js';
import { msg } from './msg.js';
import { nick } from './nick.js';
import { deop, op } from './op.js';
import { privateRoom } from './private.js';
import { topic } from './topic.js';
import type { Command, CommandContext } from './types.js';
import { who } from './who.js';

const help: Command = {
  names: ['help'],
  usage: '/help [COMMAND]',
  summary: 'list the commands, or explain one',
  async run(ctx, args) {
    const one = args === '' ? undefined : byName.get(args.replace(/^\//, '').toLowerCase());
    if (args !== '' && !one) throw new ProtocolError('unknown_command', `no command /${args.slice(0, 32)}; /help lists them`);
    const shown = one ? [one] : COMMANDS;
    ctx.info(shown.map((c) => `${c.usage} — ${c.summary}${c.names.length > 1 ? ` (also /${c.names.slice(1).join(', /')})` : ''}`).join('\n'));
  },
};

export const COMMANDS: readonly Command[] = [me, msg, who, nick, color, dice, roll, privateRoom, topic, kick, key, invite, op, deop, help];

const byName = new Map<string, Command>();
for (const c of COMMANDS) for (const n of c.names) byName.set(n, c);

/** `/color red` → { name: 'color', args: 'red' }; undefined when not a command. */
export function parseCommand(text: string): { name: string; args: string } | undefined {
  const [, name, args] = /^\/(\S+)\s*([\s\S]*)$/.exec(text) ?? [];
  if (name === undefined || args === undefined || text.startsWith('//')) return undefined;
  return { name: name.toLowerCase(), args: args.trim() };
}

export async function runCommand(ctx: CommandContext, name: string, args: string): Promise<void> {
  const cmd = byName.get(name);
  if (!cmd) throw new ProtocolError('unknown_command', `unknown command /${name.slice(0, 32)}; try /help`);
  await cmd.run(ctx, args);
}
