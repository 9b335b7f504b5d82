// yargs wiring: one module per verb.

import yargs from 'yargs';
import pkg from '../../package.json' with { type: 'json' };
import { ConfigError } from '../config.js';
import { announce } from './announce.js';
import { config } from './config.js';
import { connect } from './connect.js';
import { history } from './history.js';
import { installVerb } from './install.js';
import { invite } from './invite.js';
import { kick } from './kick.js';
import { remove } from './delete.js';
import { names } from './names.js';
import { prune } from './prune.js';
import { roomVerb } from './room.js';
import { UsageError } from './roomarg.js';
import { rooms } from './rooms.js';
import { start } from './start.js';
import { stun } from './stun.js';
import { tail } from './tail.js';
import { who } from './who.js';

export async function main(argv: string[]): Promise<void> {
  try {
    await yargs(argv)
      .scriptName('tailroom')
      .usage('$0 <command> [options]\n\nA chat where rooms are files. See README.md.')
      .command(start)
      .command(stun)
      .command(rooms)
      .command(who)
      .command(tail)
      .command(history)
      .command(announce)
      .command(kick)
      .command(remove)
      .command(prune)
      .command(names)
      .command(roomVerb)
      .command(invite)
      .command(config)
      .command(connect)
      .command(installVerb)
      .demandCommand(1, 'name a command: tailroom --help lists them')
      .strict()
      .help()
      .alias('h', 'help')
      .version(pkg.version)
      .fail((msg, err, y) => {
        if (err) throw err;
        process.stderr.write(`${y.help()}\n\n${msg}\n`);
        process.exit(2);
      })
      .parseAsync();
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UsageError) {
      process.stderr.write(`tailroom: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`tailroom: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
