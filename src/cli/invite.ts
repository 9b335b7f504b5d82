// `tailroom invite ROOM`: a link that lets whoever opens it into a private or password
// room (rooms/<room>.invites/<token>, src/store/invites.ts); --list and --revoke TOKEN
// are what `ls` and `rm` in that folder do.

import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import type { Config } from '../config.js';
import { serverUrl } from '../launch/websocketd.js';
import { dataDir } from '../store/datadir.js';
import {
  DEFAULT_INVITE_TTL_MS,
  DEFAULT_INVITE_USES,
  type Invite,
  inviteHref,
  inviteState,
  isInviteToken,
  listInvites,
  MAX_INVITE_USES,
  makeInvite,
  revokeInvite,
} from '../store/invites.js';
import { readRoomSettings } from '../store/roomsettings.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { exitQuietlyOnClosedStdout, formatTable } from './output.js';
import { CLOSED, requireRoomOrSettings } from './room.js';
import { roomArg, UsageError } from './roomarg.js';

interface InviteArgs extends CommonArgs {
  room: string;
  uses?: number;
  expires?: string;
  list?: boolean;
  revoke?: string;
  json?: boolean;
}

/** A year: a link meant to last longer is better a membership. */
export const MAX_INVITE_TTL_MS = 365 * 24 * 3600 * 1000;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "30m", "12h", "7d", "2w" -> milliseconds, or undefined for anything else or past a year. */
export function parseDuration(text: string): number | undefined {
  const m = /^([1-9][0-9]{0,5})([smhdw])$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  return ms <= MAX_INVITE_TTL_MS ? ms : undefined;
}

/** The link a browser opens: the join page of this server, room and token in its query. */
export function inviteLink(cfg: Config, room: string, token: string): string {
  return `${serverUrl(cfg)}${inviteHref(room, token)}`;
}

function state(inv: Invite, now: number): 'open' | 'spent' | 'expired' {
  const st = inviteState(inv, now);
  return st === 'ok' ? 'open' : st;
}

export const invite: CommandModule<object, InviteArgs> = {
  command: 'invite <room>',
  describe: 'print a link that lets whoever opens it into a private or password room (--list, --revoke TOKEN)',
  builder: (y: Argv) =>
    withCommon(y)
      .positional('room', { type: 'string', demandOption: true, describe: 'room name' })
      .option('uses', { type: 'number', describe: `how many sessions it admits (default ${DEFAULT_INVITE_USES}, at most ${MAX_INVITE_USES})` })
      .option('expires', { type: 'string', describe: `how long it works: 30m, 12h, 7d, 2w (default ${DEFAULT_INVITE_TTL_MS / 86_400_000}d, at most a year)` })
      .option('list', { type: 'boolean', describe: "list the room's invites: open, spent or expired" })
      .option('revoke', { type: 'string', describe: 'remove an invite by its token: its link admits nobody more' })
      .conflicts('list', ['revoke', 'uses', 'expires'])
      .conflicts('revoke', ['uses', 'expires'])
      .option('json', { type: 'boolean', describe: 'one JSON object (a line each with --list)' }) as Argv<InviteArgs>,
  handler: (args: ArgumentsCamelCase<InviteArgs>) => {
    const { cfg } = configFrom(args);
    const d = dataDir(cfg.dataDir);
    const room = roomArg(args.room);
    const now = Date.now();

    if (args.list) {
      exitQuietlyOnClosedStdout();
      const all = listInvites(d, room)
        .map(({ token, invite: inv }) => ({ token, ...inv, state: state(inv, now) }))
        .sort((a, b) => a.created.localeCompare(b.created));
      if (args.json) {
        for (const i of all) process.stdout.write(`${JSON.stringify(i)}\n`);
        return;
      }
      const rows = [
        ['TOKEN', 'STATE', 'LEFT', 'EXPIRES', 'BY'],
        ...all.map((i) => [i.token, i.state, String(i.left), i.expires, i.for ? `${i.by} for ${i.for}` : i.by]),
      ];
      process.stdout.write(`${formatTable(rows)}\n`);
      return;
    }

    if (args.revoke !== undefined) {
      const token = String(args.revoke);
      if (!isInviteToken(token)) throw new UsageError(`"${token.slice(0, 40)}" is not an invite token (tailroom invite ${room} --list shows them)`);
      if (!revokeInvite(d, room, token)) throw new Error(`no invite ${token} in ${room}`);
      process.stdout.write(args.json ? `${JSON.stringify({ room, token, revoked: true })}\n` : `revoked ${token}\n`);
      return;
    }

    const uses = args.uses ?? DEFAULT_INVITE_USES;
    if (!Number.isInteger(uses) || uses < 1 || uses > MAX_INVITE_USES) throw new UsageError(`--uses wants a whole number from 1 to ${MAX_INVITE_USES}`);
    const ttlMs = args.expires === undefined ? DEFAULT_INVITE_TTL_MS : parseDuration(String(args.expires));
    if (ttlMs === undefined)
      throw new UsageError(`--expires wants a duration such as 30m, 12h, 7d or 2w, at most a year, not "${String(args.expires).slice(0, 40)}"`);
    requireRoomOrSettings(cfg, d, room);
    const read = readRoomSettings(d, room);
    if (read.problems.length) throw new Error(`${room}'s settings are damaged (tailroom room show ${room}): ${CLOSED}, an invite would not let anyone in`);
    const { token, invite: inv } = makeInvite(d, room, { by: 'admin', uses, ttlMs });
    const link = inviteLink(cfg, room, token);
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ room, token, link, uses: inv.left, expires: inv.expires })}\n`);
    } else {
      process.stdout.write(`${link}\n`);
      process.stderr.write(`tailroom: admits ${inv.left} session(s) until ${inv.expires}\n`);
    }
    if (read.settings.visibility !== 'private' && !read.settings.key) {
      process.stderr.write(`tailroom: note: ${room} is public: anyone may enter it without an invite\n`);
    }
  },
};
