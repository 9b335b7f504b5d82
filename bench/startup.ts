// npm run bench:startup -- [--runs 30] [--present N] [--mode bundle]
//
// Start-up and idle memory of one room handler, the way websocketd starts it (an empty
// environment but PATH and TAILROOM_*), for each way of running it:
//   bundle    node dist/room.cjs (production: the bundle through V8's code cache)
//   no cache  node dist/room.bundle.cjs (the same bundle, compiled at every start)
//   snapshot  the bundle baked into a V8 start-up snapshot (node --build-snapshot)
//   tsx       node --import tsx handlers/room.ts (development)
// Time: process start → the welcome line on stdout. Memory: Private_Dirty and PSS of one
// idle handler after 1 s (PSS counts a whole share of the node binary when alone; with
// many handlers the shared part is divided among them, so Private_Dirty is the marginal
// cost of one more connection).
// --present N: the room already holds N live-looking presences (half of them non-ASCII
// names), as a join into a busy room meets them. --mode: only that way of running it.
// --access public|password|private: the room is open (no .ini), or needs a password (the
// session holds a grant), or is private (the session proved a registered member's name).

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HANDLER_NODE_FLAGS } from '../src/launch/websocketd.js';
import { dataDir } from '../src/store/datadir.js';
import { hashPassword, sealOf } from '../src/store/passwords.js';
import { register } from '../src/store/registry.js';
import { updateRoomSettings } from '../src/store/roomsettings.js';
import { newSessionId, SESSION_COOKIE, type Session, withGrant, writeSession } from '../src/store/sessions.js';

const ROOT = join(import.meta.dirname, '..');
const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string', default: '30' },
    present: { type: 'string', default: '0' },
    mode: { type: 'string' },
    access: { type: 'string', default: 'public' },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  console.log(
    readFileSync(import.meta.filename, 'utf8')
      .split('\n\n')[0]
      ?.replace(/^\/\/ ?/gm, ''),
  );
  process.exit(0);
}
const runs = Number(opt.runs);

const data = mkdtempSync(join(tmpdir(), 'tailroom-startup-'));
// Held by this process (alive, on this host): no joiner reaps them.
for (let i = 0; i < Number(opt.present); i++) {
  const name = i % 2 ? `Jos\u00e9${i}` : `user${i}`;
  mkdirSync(join(data, 'users', 'bench', name), { recursive: true });
  const info = { name, color: '#336699', pid: process.pid, host: hostname(), since: new Date().toISOString() };
  writeFileSync(join(data, 'users', 'bench', name, 'info'), JSON.stringify(info));
}
const cookie = await closeRoom(opt.access);
const blob = join(data, 'room.blob');
const built = spawnSync(process.execPath, [...HANDLER_NODE_FLAGS, '--snapshot-blob', blob, '--build-snapshot', join(ROOT, 'dist', 'room.bundle.cjs')], {
  stdio: 'inherit',
});
if (built.status !== 0) throw new Error('could not build the snapshot');

const modes: Record<string, string[]> = {
  bundle: [...HANDLER_NODE_FLAGS, join(ROOT, 'dist', 'room.cjs')],
  'no cache': [...HANDLER_NODE_FLAGS, join(ROOT, 'dist', 'room.bundle.cjs')],
  snapshot: [...HANDLER_NODE_FLAGS, '--snapshot-blob', blob, join(ROOT, 'dist', 'room.bundle.cjs')],
  tsx: [...HANDLER_NODE_FLAGS, '--import', 'tsx', join(ROOT, 'handlers', 'room.ts')],
};

const env = {
  PATH: process.env.PATH,
  PATH_INFO: '/bench',
  TAILROOM_CONF: join(ROOT, 'conf', 'chat.ini'),
  TAILROOM_SET: JSON.stringify({ 'server.data_dir': data, 'chat.idle_timeout_sec': 0 }),
  ...(cookie ? { HTTP_COOKIE: cookie } : {}),
};

/** The room's .ini and a session with access to it, for --access; the Cookie header, if any. */
async function closeRoom(access: string | undefined): Promise<string | undefined> {
  if (access === 'public') return undefined;
  if (access !== 'password' && access !== 'private') throw new Error('--access is public, password or private');
  const d = dataDir(data);
  const hash = await hashPassword('bench password');
  const id = newSessionId();
  const now = new Date().toISOString();
  const session: Session = { name: 'member', color: '#336699', created: now, seen: now };
  if (access === 'password') {
    await updateRoomSettings(d, 'bench', (s) => {
      s.key = hash;
    });
    writeSession(d, id, withGrant(session, 'bench', sealOf(hash)));
  } else {
    register(d, 'member', hash);
    await updateRoomSettings(d, 'bench', (s) => {
      s.visibility = 'private';
      s.members = ['member'];
    });
    writeSession(d, id, { ...session, proved: { name: 'member', seal: sealOf(hash) } });
  }
  return `${SESSION_COOKIE}=${id}`;
}

function once(args: string[], holdMs: number): Promise<{ ms: number; privateKb: number; pssKb: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, args, { env, cwd: ROOT, stdio: ['pipe', 'pipe', 'ignore'] }); // stderr: the audit line
    let ms = NaN;
    p.stdout.on('data', (d: Buffer) => {
      if (Number.isNaN(ms) && d.toString().includes('"type":"welcome"')) {
        ms = performance.now() - t0;
        setTimeout(() => {
          let privateKb = 0;
          let pssKb = 0;
          if (holdMs > 0) {
            const r = readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8');
            privateKb = Number(/^Private_Dirty:\s+(\d+)/m.exec(r)?.[1] ?? 0);
            pssKb = Number(/^Pss:\s+(\d+)/m.exec(r)?.[1] ?? 0);
          }
          p.stdin.end();
          p.on('exit', () => resolve({ ms, privateKb, pssKb }));
        }, holdMs);
      }
    });
    setTimeout(() => reject(new Error('no welcome in 10 s')), 10000).unref();
  });
}

const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((q / 100) * xs.length))] ?? NaN;
console.log(
  `one handler (${opt.access} room), ${runs} sequential starts each, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
);
console.log('| way | start → welcome p50 (ms) | p90 (ms) | idle Private_Dirty (MB) | idle PSS alone (MB) |');
console.log('|---|---|---|---|---|');
for (const [mode, args] of Object.entries(modes)) {
  if (opt.mode !== undefined && mode !== opt.mode) continue;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await once(args, 0)).ms);
  const mem = await once(args, 1000);
  console.log(
    `| ${mode} | ${pct(times, 50).toFixed(0)} | ${pct(times, 90).toFixed(0)} | ${(mem.privateKb / 1024).toFixed(1)} | ${(mem.pssKb / 1024).toFixed(1)} |`,
  );
}
rmSync(data, { recursive: true, force: true });
