// `tailroom names list|add|reset|remove`: registered names, what `ls names/` and
// `rm names/bob` do by hand, with the password hashed for you.

import { readdirSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { type DataDir, dataDir } from '../store/datadir.js';
import { hashPassword } from '../store/passwords.js';
import { listRegistrations, readRegistration, register, registeredAs, setPassword, unregister } from '../store/registry.js';
import { readRoomSettings } from '../store/roomsettings.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { exitQuietlyOnClosedStdout, formatTable } from './output.js';
import { newPassword, randomPassword } from './password.js';
import { UsageError, userArg } from './roomarg.js';

interface NamesArgs extends CommonArgs {
  name: string;
  json?: boolean;
  'password-stdin'?: boolean;
  random?: boolean;
}

export interface NameSummary {
  name: string;
  created: string;
  changed?: string;
  /** The file holds no usable hash: the name is held, no password opens it. */
  damaged?: true;
}

const json = { type: 'boolean', describe: 'say what was done as one JSON object' } as const;
const passwordStdin = { type: 'boolean', describe: 'read the password from stdin (one line) instead of asking on the terminal' } as const;

function out(args: NamesArgs, report: object, human: string): void {
  process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : `${human}\n`);
}

/** The registered rooms' lists a name is still in: freed, it could be registered by someone else. */
function roomsNaming(d: DataDir, name: string): string[] {
  let files: string[];
  try {
    files = readdirSync(d.rooms);
  } catch {
    return [];
  }
  return files
    .filter((f) => f.endsWith('.ini'))
    .map((f) => f.slice(0, -'.ini'.length))
    .filter((room) => {
      try {
        const { settings } = readRoomSettings(d, room);
        return settings.members.includes(name) || settings.operators.includes(name);
      } catch {
        return false; // not a valid room name: not a room's settings
      }
    })
    .sort();
}

const list: CommandModule<object, NamesArgs> = {
  command: 'list',
  describe: 'registered names, when each was registered and its password last changed',
  builder: (y: Argv) => withCommon(y).option('json', { type: 'boolean', describe: 'one JSON object a line' }) as Argv<NamesArgs>,
  handler: (args: ArgumentsCamelCase<NamesArgs>) => {
    exitQuietlyOnClosedStdout();
    const { cfg } = configFrom(args);
    const all: NameSummary[] = listRegistrations(dataDir(cfg.dataDir)).map(({ name, registration: r }) => ({
      name,
      created: r.created,
      ...(r.changed ? { changed: r.changed } : {}),
      ...(r.hash ? {} : { damaged: true as const }),
    }));
    if (args.json) {
      for (const n of all) process.stdout.write(`${JSON.stringify(n)}\n`);
      return;
    }
    const rows = [
      ['NAME', 'CREATED', 'CHANGED'],
      ...all.map((n) => [n.name, n.created || '-', `${n.changed ?? '-'}${n.damaged ? '  (damaged: no password opens it)' : ''}`]),
    ];
    process.stdout.write(`${formatTable(rows)}\n`);
  },
};

const add: CommandModule<object, NamesArgs> = {
  command: 'add <name>',
  describe: 'register a name: only whoever proves its password may use it',
  builder: (y: Argv) =>
    withCommon(y)
      .positional('name', { type: 'string', demandOption: true, describe: 'the name' })
      .option('password-stdin', passwordStdin)
      .option('json', json) as Argv<NamesArgs>,
  handler: async (args: ArgumentsCamelCase<NamesArgs>) => {
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const name = userArg(String(args.name));
    const owner = registeredAs(d, name);
    if (owner === name) throw new Error(`${name} is already registered (tailroom names reset ${name} sets a new password)`);
    if (owner !== undefined) throw new Error(`${name} looks like the registered name ${owner}: it cannot be registered beside it`);
    const hash = await hashPassword(await newPassword(args['password-stdin'] ?? false, `password for ${name}`));
    if (!register(d, name, hash)) throw new Error(`${name} was registered meanwhile`);
    out(args, { name, created: readRegistration(d, name)?.created ?? '' }, `registered ${name}`);
  },
};

const reset: CommandModule<object, NamesArgs> = {
  command: 'reset <name>',
  describe: "set a registered name's password: every session that proved the old one must prove the new one",
  builder: (y: Argv) =>
    withCommon(y)
      .positional('name', { type: 'string', demandOption: true, describe: 'the name' })
      .option('password-stdin', passwordStdin)
      .option('random', { type: 'boolean', describe: 'make up a password and print it (once: it is not stored)' })
      .conflicts('random', 'password-stdin')
      .option('json', json) as Argv<NamesArgs>,
  handler: async (args: ArgumentsCamelCase<NamesArgs>) => {
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const name = userArg(String(args.name));
    if (!readRegistration(d, name)) throw new Error(`${name} is not registered (tailroom names add ${name} registers it)`);
    const password = args.random ? randomPassword() : await newPassword(args['password-stdin'] ?? false, `new password for ${name}`);
    if (!setPassword(d, name, await hashPassword(password))) throw new Error(`${name} was removed meanwhile`);
    const changed = readRegistration(d, name)?.changed ?? '';
    if (args.random) out(args, { name, changed, password }, `new password for ${name}: ${password}`);
    else out(args, { name, changed }, `new password set for ${name}`);
  },
};

const remove: CommandModule<object, NamesArgs> = {
  command: 'remove <name>',
  describe: 'free a registered name: anyone may use it again',
  builder: (y: Argv) => withCommon(y).positional('name', { type: 'string', demandOption: true, describe: 'the name' }).option('json', json) as Argv<NamesArgs>,
  handler: (args: ArgumentsCamelCase<NamesArgs>) => {
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const name = userArg(String(args.name));
    if (!unregister(d, name)) throw new Error(`${name} is not registered`);
    const rooms = roomsNaming(d, name);
    // Whoever registers the name next would be a member or operator there.
    if (rooms.length) {
      process.stderr.write(
        `tailroom: warning: ${name} is still a member or operator of ${rooms.join(', ')} (tailroom room set ROOM --remove-member ${name})\n`,
      );
    }
    out(args, { name, removed: true, stillIn: rooms }, `removed ${name}`);
  },
};

export const names: CommandModule<object, object> = {
  command: 'names <command>',
  describe: 'registered names: list, add, reset a password, remove',
  builder: (y: Argv) => y.command(list).command(add).command(reset).command(remove).demandCommand(1, 'name one: tailroom names list|add|reset|remove'),
  handler: () => {
    throw new UsageError('name one: tailroom names list|add|reset|remove');
  },
};
