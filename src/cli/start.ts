// `tailroom start`: websocketd (chat, pages, static files) on one port, data in files.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { checkoutRoot } from '../config.js';
import { type DataDir, dataDir } from '../store/datadir.js';
import { appendEvent } from '../store/roomlog.js';
import { reapAll } from '../store/presence.js';
import { type CommonArgs, configFrom, withCommon } from './options.js';
import { serverUrl, spawnWebsocketd, waitForPort, websocketdPlan } from '../launch/websocketd.js';
import { ensureTls } from '../launch/tls.js';
import { runStunBeside } from '../launch/stun.js';

interface StartArgs extends CommonArgs {
  host?: string;
  port?: number;
  watch?: string;
  'shared-fs'?: boolean;
  'max-forks'?: number;
  origin?: string;
  tls?: boolean;
  'tls-cert'?: string;
  'tls-key'?: string;
}

/** Presence left by processes that are gone (a crash, kill -9, a reboot): one leave each. */
export function clearStalePresence(d: DataDir, staleMs: number): Promise<number> {
  return reapAll(d, staleMs, async (room, u) => {
    await appendEvent(d, room, { type: 'leave', from: u.name, color: u.color, reason: 'lost' });
  });
}

export const start: CommandModule<object, StartArgs> = {
  command: 'start',
  describe: 'run the chat: websocketd with the room handler, pages and static files',
  builder: (y: Argv) =>
    withCommon(y)
      .option('host', { type: 'string', describe: 'listen address (server.host)' })
      .option('port', { alias: 'p', type: 'number', describe: 'listen port (server.port)' })
      .option('watch', { choices: ['inotify', 'poll'], describe: 'how handlers follow files (files.watch)' })
      .option('shared-fs', { type: 'boolean', describe: 'data dir on NFS/CephFS: lock appends (files.shared_fs)' })
      .option('max-forks', { type: 'number', describe: 'most processes at once (server.max_forks)' })
      .option('origin', { type: 'string', describe: 'allowed browser origins (server.origin)' })
      .option('tls', { type: 'boolean', describe: 'HTTPS/WSS without a proxy; no cert = self-signed (server.tls)' })
      .option('tls-cert', { type: 'string', describe: 'PEM certificate (server.tls_cert)' })
      .option('tls-key', { type: 'string', describe: 'PEM private key (server.tls_key)' }) as Argv<StartArgs>,
  handler: async (args: ArgumentsCamelCase<StartArgs>) => {
    const { cfg, overrides } = configFrom(args, {
      'server.host': args.host,
      'server.port': args.port,
      'files.watch': args.watch,
      'files.shared_fs': args['shared-fs'],
      'server.max_forks': args['max-forks'],
      'server.origin': args.origin,
      'server.tls': args.tls,
      'server.tls_cert': args['tls-cert'],
      'server.tls_key': args['tls-key'],
    });
    const root = checkoutRoot();
    if (!existsSync(join(root, 'dist', 'room.cjs'))) throw new Error('dist/room.cjs is missing: run `npm run build` first');
    const d = dataDir(cfg.dataDir);
    for (const dir of [d.rooms, d.users, d.sessions]) mkdirSync(dir, { recursive: true });
    const cleared = await clearStalePresence(d, cfg.chat.presence_stale_ms);
    if (cleared) process.stderr.write(`tailroom: cleared ${cleared} stale presence(s)\n`);

    if (cfg.server.tls) ensureTls(cfg, (line) => process.stderr.write(`${line}\n`));
    const plan = websocketdPlan(cfg, root, overrides);
    if (plan.readLimit === undefined) {
      process.stderr.write(
        'tailroom: WARNING: this websocketd has no --maxmessagebytes, so one client can make it hold any amount of memory; run bin/build-websocketd as root (README, Security)\n',
      );
    }
    const ws = spawnWebsocketd(plan);
    let stopping = false;
    // websocketd runs detached: its process group holds it and every handler it spawned.
    const signalGroup = (sig: NodeJS.Signals) => {
      if (ws.pid === undefined) return; // it never started: the 'error' handler reports that
      try {
        process.kill(-ws.pid, sig);
      } catch {
        /* already gone */
      }
    };
    const stop = (sig: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      signalGroup(sig === 'SIGINT' ? 'SIGTERM' : sig);
      // Handlers log their leave on SIGTERM; anything still there after 3 s is killed.
      setTimeout(() => {
        signalGroup('SIGKILL');
        process.exit(0);
      }, 3000).unref();
    };
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => stop(sig));
    ws.on('error', (e) => {
      process.stderr.write(`tailroom: cannot run websocketd: ${e.message}\n`);
      process.exit(1);
    });
    const exited = new Promise<number>((resolve) => ws.on('exit', (code) => resolve(code ?? 0)));
    const ready = waitForPort(cfg.server.host, cfg.server.port).then(
      () => true,
      () => false,
    );
    const first = await Promise.race([ready, exited.then(() => 'exited' as const)]);
    if (first === 'exited') {
      process.stderr.write('tailroom: websocketd exited at start (is the port in use?)\n');
      process.exit(1);
    }
    // STUN in a process of its own: if it cannot run, the chat still does (without it).
    if (cfg.stun.enabled) runStunBeside(join(root, 'dist', 'tailroom.mjs'), plan.env, (line) => process.stderr.write(`${line}\n`));
    const base = serverUrl(cfg);
    process.stdout.write(`tailroom: chat at ${base}  (WebSocket: ${base.replace(/^http/, 'ws')}lobby)\ntailroom: data in ${cfg.dataDir}; Ctrl-C stops\n`);
    const code = await exited;
    if (!stopping) process.stderr.write(`tailroom: websocketd exited with ${code}\n`);
    process.exit(stopping ? 0 : 1);
  },
};
