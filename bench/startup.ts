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
// --key: the room has a password (rooms/bench.ini) and the handler's session holds a grant
// for it: what a join into a closed room adds (the .ini, the session, the seal).

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { HANDLER_NODE_FLAGS } from '../src/launch/websocketd.js';

const ROOT = join(import.meta.dirname, '..');
const { values: opt } = parseArgs({
  options: { runs: { type: 'string', default: '30' }, present: { type: 'string', default: '0' }, mode: { type: 'string' }, key: { type: 'boolean' } },
});
const runs = Number(opt.runs);

const data = mkdtempSync(join(tmpdir(), 'tailroom-startup-'));
// Held by this process (alive, on this host): no joiner reaps them.
for (let i = 0; i < Number(opt.present); i++) {
  const name = i % 2 ? `Jos\u00e9${i}` : `user${i}`;
  mkdirSync(join(data, 'users', 'bench', name), { recursive: true });
  const info = { name, color: '#336699', pid: process.pid, host: hostname(), since: new Date().toISOString() };
  writeFileSync(join(data, 'users', 'bench', name, 'info'), JSON.stringify(info));
}
let cookie: string | undefined;
if (opt.key) {
  const { hashPassword, sealOf } = await import('../src/store/passwords.js');
  const hash = await hashPassword('bench-room-key');
  mkdirSync(join(data, 'rooms'), { recursive: true });
  writeFileSync(join(data, 'rooms', 'bench.ini'), `key = ${hash}\n`);
  const id = 'b'.repeat(43);
  mkdirSync(join(data, 'sessions'), { recursive: true });
  const now = new Date().toISOString();
  writeFileSync(join(data, 'sessions', id), JSON.stringify({ name: 'bencher', color: '#336699', created: now, seen: now, grants: { bench: sealOf(hash) } }));
  cookie = `tailroom_session=${id}`;
}
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
console.log(`one handler, ${runs} sequential starts each, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
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
