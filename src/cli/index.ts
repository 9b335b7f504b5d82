// yargs wiring: one module per verb.

import yargs from 'yargs';
import { ConfigError } from '../config.js';
import { start } from './start.js';

export async function main(argv: string[]): Promise<void> {
  try {
    await yargs(argv)
      .scriptName('tailroom')
      .usage('$0 <command> [options]\n\nA chat where rooms are files. See README.md.')
      .command(start)
      .demandCommand(1, 'name a command: tailroom --help lists them')
      .strict()
      .help()
      .alias('h', 'help')
      .version(false)
      .fail((msg, err, y) => {
        if (err) throw err;
        process.stderr.write(`${y.help()}\n\n${msg}\n`);
        process.exit(2);
      })
      .parseAsync();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`tailroom: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`tailroom: ${(e as Error).message}\n`);
    process.exit(1);
  }
}
