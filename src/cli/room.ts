// `tailroom room show|set ROOM`: rooms/<room>.ini, read and written the way an admin
// editing it by hand would mean it, but atomically and under its lock. `show` is also
// the way to learn why a room is closed: a damaged file closes it to everyone.

import { existsSync } from 'node:fs';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { Config } from '../config.js';
import { type DataDir, dataDir, roomSettingsPath } from '../store/datadir.js';
import { listInvites } from '../store/invites.js';
import { hashPassword } from '../store/passwords.js';
import { isRegistered } from '../store/registry.js';
import { appendEvent } from '../store/roomlog.js';
import {
  type RoomSettings,
  RoomSettingsError,
  readRoomSettings,
  topicProblem,
  updateRoomSettings,
  VISIBILITIES,
  type Visibility,
} from '../store/roomsettings.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { formatTable } from './output.js';
import { newPassword } from './password.js';
import { isKnownRoom, roomArg, UsageError, userArg } from './roomarg.js';

/** What `room show --json` prints, and `room set --json` after the change. Never the key's hash. */
export interface RoomReport {
  room: string;
  file: string;
  /** Whether rooms/<room>.ini exists (without one the room is public). */
  exists: boolean;
  visibility: Visibility;
  password: boolean;
  members: string[];
  operators: string[];
  topic?: string;
  description?: string;
  e2e: boolean;
  /** Invite links that still admit someone. */
  invites: number;
  /** What is wrong with the file; any problem closes the room to everyone. */
  problems: string[];
}

export const CLOSED = 'the room is closed to everyone until the file is fixed';

export function openInvites(d: DataDir, room: string, now = Date.now()): number {
  return listInvites(d, room).filter(({ invite }) => invite.left > 0 && Date.parse(invite.expires) > now).length;
}

function report(d: DataDir, room: string, s: RoomSettings, exists: boolean, problems: string[]): RoomReport {
  return {
    room,
    file: roomSettingsPath(d, room),
    exists,
    visibility: s.visibility,
    password: Boolean(s.key),
    members: s.members,
    operators: s.operators,
    ...(s.topic ? { topic: s.topic } : {}),
    ...(s.description ? { description: s.description } : {}),
    e2e: s.e2e,
    invites: openInvites(d, room),
    problems,
  };
}

function print(r: RoomReport, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return;
  }
  const rows = [
    ['room', r.room],
    ['file', r.exists ? r.file : `${r.file} (none: a public room)`],
    ['visibility', r.visibility],
    ['password', r.password ? 'yes' : 'no'],
    ['members', r.members.join(', ') || '-'],
    ['operators', r.operators.join(', ') || '-'],
    ['topic', r.topic ?? '-'],
    ['description', r.description ?? '-'],
    ['e2e', r.e2e ? 'yes' : 'no'],
    ['invites', `${r.invites} open`],
  ];
  process.stdout.write(`${formatTable(rows)}\n`);
}

/** A room an admin means: one with a log, a [rooms] line or people, or settings already. */
export function requireRoomOrSettings(cfg: Config, d: DataDir, room: string): void {
  if (isKnownRoom(cfg, d, room) || existsSync(roomSettingsPath(d, room))) return;
  throw new Error(`no room called ${room} in ${d.rooms} (touch ${d.rooms}/${room}.log creates it)`);
}

interface ShowArgs extends CommonArgs {
  room: string;
  json?: boolean;
}

const show: CommandModule<object, ShowArgs> = {
  command: 'show <room>',
  describe: "a room's settings (rooms/<room>.ini); exits 1 and says what is wrong when the file is damaged",
  builder: (y: Argv) =>
    withCommon(y)
      .positional('room', { type: 'string', demandOption: true, describe: 'room name' })
      .option('json', { type: 'boolean', describe: 'one JSON object' }) as Argv<ShowArgs>,
  handler: (args: ArgumentsCamelCase<ShowArgs>) => {
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const room = roomArg(args.room);
    requireRoomOrSettings(cfg, d, room);
    const read = readRoomSettings(d, room);
    const r = report(d, room, read.settings, read.exists, read.problems);
    if (read.problems.length === 0) return print(r, args.json);
    if (args.json) process.stdout.write(`${JSON.stringify({ ...r, closed: true })}\n`);
    for (const p of read.problems) process.stderr.write(`tailroom: ${r.file}: ${p}\n`);
    process.stderr.write(`tailroom: ${CLOSED}\n`);
    process.exitCode = 1;
  },
};

interface SetArgs extends CommonArgs {
  room: string;
  visibility?: string;
  key?: boolean;
  'password-stdin'?: boolean;
  members?: string;
  'add-member'?: string[];
  'remove-member'?: string[];
  operators?: string;
  'add-operator'?: string[];
  'remove-operator'?: string[];
  topic?: string;
  description?: string;
  e2e?: boolean;
  json?: boolean;
}

/** "a, b" or repeated flags: each a valid user name; a name nobody registered is only warned about. */
function namesFrom(raw: string | string[] | undefined, d: DataDir): string[] | undefined {
  if (raw === undefined) return undefined;
  const parts = (Array.isArray(raw) ? raw : [raw])
    .flatMap((r) => String(r).split(','))
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const names = parts.map(userArg);
  for (const n of names) {
    if (!isRegistered(d, n)) {
      process.stderr.write(`tailroom: warning: ${n} is not a registered name: nobody can prove it until it is (tailroom names add ${n})\n`);
    }
  }
  return [...new Set(names)];
}

function textArg(raw: string | undefined, what: string): string | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const problem = topicProblem(text);
  if (problem) throw new UsageError(`--${what}: ${problem}`);
  return text;
}

const set: CommandModule<object, SetArgs> = {
  command: 'set <room>',
  describe: "change a room's settings (rooms/<room>.ini), atomically; a damaged file is left as it is",
  builder: (y: Argv) =>
    withCommon(y)
      .positional('room', { type: 'string', demandOption: true, describe: 'room name' })
      .option('visibility', { type: 'string', choices: VISIBILITIES, describe: 'public, unlisted (not listed) or private (members and invites only)' })
      .option('key', { type: 'boolean', describe: 'set a password for the room (asked on the terminal, or --password-stdin); --no-key removes it' })
      .option('password-stdin', { type: 'boolean', describe: "read --key's password from stdin (one line)" })
      .option('members', { type: 'string', describe: 'the members, comma-separated (replaces the list; "" empties it)' })
      .option('add-member', { type: 'string', array: true, describe: 'add a member' })
      .option('remove-member', { type: 'string', array: true, describe: 'remove a member' })
      .option('operators', { type: 'string', describe: 'the operators, comma-separated (replaces the list; "" empties it)' })
      .option('add-operator', { type: 'string', array: true, describe: 'add an operator' })
      .option('remove-operator', { type: 'string', array: true, describe: 'remove an operator' })
      .option('topic', { type: 'string', describe: 'the topic ("" clears it); logged in the room as set by admin' })
      .option('description', { type: 'string', describe: 'the description ("" clears it)' })
      .option('e2e', { type: 'boolean', describe: 'every message end-to-end encrypted (--no-e2e: not)' })
      .option('json', { type: 'boolean', describe: 'print the settings after the change as one JSON object' }) as Argv<SetArgs>,
  handler: async (args: ArgumentsCamelCase<SetArgs>) => {
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const room = roomArg(args.room);
    requireRoomOrSettings(cfg, d, room);
    if (args['password-stdin'] && args.key !== true) throw new UsageError('--password-stdin goes with --key');
    const members = namesFrom(args.members, d);
    const addMembers = namesFrom(args['add-member'], d) ?? [];
    const removeMembers = (args['remove-member'] ?? []).map((n) => userArg(String(n)));
    const operators = namesFrom(args.operators, d);
    const addOperators = namesFrom(args['add-operator'], d) ?? [];
    const removeOperators = (args['remove-operator'] ?? []).map((n) => userArg(String(n)));
    const topic = textArg(args.topic, 'topic');
    const description = textArg(args.description, 'description');
    const changes = [
      args.visibility,
      args.key,
      members,
      operators,
      topic,
      description,
      args.e2e,
      ...addMembers,
      ...removeMembers,
      ...addOperators,
      ...removeOperators,
    ].filter((c) => c !== undefined);
    if (changes.length === 0) throw new UsageError('nothing to change: give --visibility, --key, --members, --operators, --topic, --description or --e2e');
    // Refuse a damaged file before asking for a password nobody could use yet.
    const before = readRoomSettings(d, room);
    if (before.problems.length) throw new RoomSettingsError(`${roomSettingsPath(d, room)} ${before.problems.join('; ')}: not changed; ${CLOSED}`);
    const key = args.key === true ? await hashPassword(await newPassword(args['password-stdin'] ?? false, `password for ${room}`)) : undefined;

    let oldTopic: string | undefined;
    let after: RoomSettings;
    try {
      after = await updateRoomSettings(d, room, (s) => {
        oldTopic = s.topic;
        if (args.visibility !== undefined) s.visibility = args.visibility as Visibility;
        if (key !== undefined) s.key = key;
        else if (args.key === false) delete s.key;
        const edit = (now: string[], replace: string[] | undefined, plus: string[], minus: string[]) =>
          [...new Set([...(replace ?? now), ...plus])].filter((n) => !minus.includes(n));
        s.members = edit(s.members, members, addMembers, removeMembers);
        s.operators = edit(s.operators, operators, addOperators, removeOperators);
        if (topic !== undefined) {
          if (topic) s.topic = topic;
          else delete s.topic;
        }
        if (description !== undefined) {
          if (description) s.description = description;
          else delete s.description;
        }
        if (args.e2e !== undefined) s.e2e = args.e2e;
      });
    } catch (e) {
      if (e instanceof RoomSettingsError) throw new RoomSettingsError(`${e.message}: not changed; ${CLOSED}`);
      throw e;
    }
    // The room hears it, as it would hear an operator's /topic; `admin` as `tailroom invite` signs.
    if (topic !== undefined && topic !== (oldTopic ?? '')) {
      await appendEvent(d, room, { type: 'topic', from: 'admin', text: topic }, { sharedFs: cfg.files.shared_fs });
    }
    if (args.json) return print(report(d, room, after, true, []), true);
    process.stdout.write(`updated ${roomSettingsPath(d, room)}\n`);
    print(report(d, room, after, true, []), false);
  },
};

export const roomVerb: CommandModule<object, object> = {
  command: 'room <command>',
  describe: "a room's settings: who may enter, its password, operators, topic",
  builder: (y: Argv) => y.command(show).command(set).demandCommand(1, 'name one: tailroom room show|set'),
  handler: () => {
    throw new UsageError('name one: tailroom room show|set');
  },
};
