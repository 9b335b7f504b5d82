// npm run bench -- [--scenario rooms|flood|churn|all] [--n 10,50,100,200,300] [--rooms 1]
//                  [--runtime bundle|tsx] [--messages 20] [--seconds 60] [--json FILE]
//
// What one process per connection costs, through a real websocketd on loopback:
//   rooms  N clients in --rooms rooms (1 = one room of N): connect latency (first batch of
//          10 and all), time until all are connected, PSS per connection, fan-out latency
//          of single messages, lost deliveries, distinct names, then 3 s of 10 flooding
//          senders with the rate limit lifted, each with at most 4 bursts of 20 not yet
//          back (a closed loop: what the server sustains): messages appended/s,
//          deliveries/s, handler CPU per delivered message, page views (/rooms) meanwhile.
//   flood  N clients, 20 of them sending at the rate limit (5/s each) for --seconds:
//          fan-out latency under load and lost deliveries.
//   churn  for --seconds, clients connect, say one line and leave (4 at a time) while a
//          watcher stays: connect latency, lines lost, handlers left over at the end.
// The clients live in worker threads (bench/clients.ts, --client-threads, default 3): one
// thread decoding every frame of a 200-chatter flood measured itself, not the server.
// Every wait is bounded; the websocketd it starts is stopped by pid (its process group).

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { type Client, ClientPool, now } from './clients.js';
import { HANDLER_NODE_FLAGS, waitForPort, websocketdPlan } from '../src/launch/websocketd.js';

const ROOT = join(import.meta.dirname, '..');
const { values: opt } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'rooms' },
    n: { type: 'string', default: '10,50,100,200' },
    rooms: { type: 'string', default: '1' },
    runtime: { type: 'string', default: 'bundle' },
    messages: { type: 'string', default: '20' },
    batch: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    json: { type: 'string' },
    port: { type: 'string', default: '18931' },
    'client-threads': { type: 'string', default: '3' },
  },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pool = new ClientPool(Number(opt['client-threads']));
const connect = (base: string, room: string, timeoutMs?: number) => pool.connect(base, room, timeoutMs);
const CLK_TCK = 100;

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** `xs[i]`, counting round and round (a round-robin over a list that is never empty). */
function cycle<T>(xs: readonly T[], i: number): T {
  const x = xs[i % xs.length];
  if (x === undefined) throw new Error('cycle over an empty list');
  return x;
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number)) {
        out.push(c, ...descendants(c));
      }
    } catch {
      /* thread gone */
    }
  }
  return out;
}

function handlerPids(serverPid: number): number[] {
  return descendants(serverPid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('room.');
    } catch {
      return false;
    }
  });
}

function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** utime + stime of a process, in seconds. */
function cpuSec(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** websocketd in a process group of its own, which its pid names. */
function startServer(port: number, data: string, extra: Record<string, unknown> = {}): number {
  // Every benchmark client connects from loopback: the per-address limit would refuse most.
  const overrides = {
    'server.port': port,
    'server.data_dir': data,
    'chat.history_on_join': 0,
    'chat.idle_timeout_sec': 0,
    'chat.max_connections_per_addr': 0,
    ...extra,
  };
  const cfg = loadConfig({ root: ROOT, confPath: join(ROOT, 'conf', 'chat.ini'), overrides, env: {} });
  const plan = websocketdPlan(cfg, ROOT, overrides);
  if (opt.runtime === 'tsx') {
    const i = plan.args.indexOf('--');
    plan.args.splice(i + 1, plan.args.length, process.execPath, ...HANDLER_NODE_FLAGS, '--import', 'tsx', join(ROOT, 'handlers', 'room.ts'));
  }
  plan.args.unshift('--loglevel', 'error');
  // A server's environment, not this shell's (NODE_EXTRA_CA_CERTS alone costs ~60 ms a start).
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, TAILROOM_CONF: plan.env.TAILROOM_CONF, TAILROOM_SET: plan.env.TAILROOM_SET };
  const { pid } = spawn(plan.bin, plan.args, { env, stdio: 'ignore', detached: true, cwd: ROOT });
  if (pid === undefined) throw new Error(`cannot start ${plan.bin}`);
  return pid;
}

async function stopServer(serverPid: number, data: string): Promise<void> {
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    try {
      process.kill(-serverPid, sig);
    } catch {
      /* gone */
    }
    await sleep(1500);
  }
  rmSync(data, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}

async function connectAll(base: string, rooms: string[], n: number): Promise<{ clients: Client[]; firstBatch: number[]; seconds: number }> {
  const batch = Number(opt.batch);
  const t0 = performance.now();
  const clients: Client[] = [];
  let firstBatch: number[] = [];
  for (let i = 0; i < n; i += batch) {
    const got = await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => connect(base, cycle(rooms, i + k))));
    if (i === 0) firstBatch = got.map((c) => c.welcomeAt);
    clients.push(...got);
  }
  return { clients, firstBatch, seconds: (performance.now() - t0) / 1000 };
}

/** Wait until every client of the message's room has it, then count latencies and losses. */
async function collect(clients: Client[], sent: { text: string; at: number; from: Client }[], waitMs = 10000) {
  const deadline = Date.now() + waitMs;
  const inRoom = (s: (typeof sent)[number]) => clients.filter((c) => c.room === s.from.room);
  for (;;) {
    await pool.sync();
    if (Date.now() > deadline || sent.every((s) => inRoom(s).every((c) => c.received.has(s.text)))) break;
    await sleep(50);
  }
  const latencies: number[] = [];
  let lost = 0;
  let deliveries = 0;
  for (const s of sent) {
    for (const c of inRoom(s)) {
      const got = c.received.get(s.text);
      if (got === undefined) lost++;
      else {
        deliveries++;
        if (c !== s.from) latencies.push(got - s.at);
      }
    }
  }
  return { latencies, lost, deliveries };
}

function pageView(port: number): Promise<number> {
  return new Promise((resolve) => {
    const t = performance.now();
    get({ host: '127.0.0.1', port, path: '/rooms', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - t));
    }).on('error', () => resolve(NaN));
  });
}

type Row = Record<string, number | string>;

async function roomsScenario(n: number, port: number): Promise<Row> {
  const data = mkdtempSync(join(tmpdir(), 'tailroom-bench-'));
  const serverPid = startServer(port, data, { 'chat.rate_per_sec': 0 });
  const roomCount = Number(opt.rooms);
  const rooms = Array.from({ length: roomCount }, (_, i) => `bench${i}`);
  let clients: Client[] = [];
  try {
    await waitForPort('127.0.0.1', port);
    const base = `ws://127.0.0.1:${port}`;
    const c = await connectAll(base, rooms, n);
    clients = c.clients;
    await sleep(1500); // let join storms and user lists settle before measuring
    const handlers = handlerPids(serverPid);
    const pss = handlers.reduce((s, p) => s + pssKb(p), 0);

    // Fan-out: one message at a time; everyone in the sender's room must get it.
    const sent: { text: string; at: number; from: Client }[] = [];
    for (let k = 0; k < Number(opt.messages); k++) {
      const from = cycle(clients, k);
      const at = now();
      const text = `bench ${k} ${at.toFixed(3)}`;
      sent.push({ text, at, from });
      from.send(JSON.stringify({ type: 'msg', text }));
      await sleep(Math.max(50, n / roomCount));
    }
    const fan = await collect(clients, sent);

    // Flood: 10 senders, each with at most 4 bursts not yet back at it; page views meanwhile.
    const floodSec = 3;
    const logBytes = () => rooms.reduce((s, r) => s + readFileSync(join(data, 'rooms', `${r}.log`), 'utf8').split('\n').length, 0);
    const before = logBytes();
    await pool.sync();
    const deliveredBefore = clients.reduce((s, x) => s + x.received.size, 0);
    const cpuBefore = handlers.reduce((s, p) => s + cpuSec(p), 0);
    const senders = clients.slice(0, Math.min(10, clients.length));
    const t0 = performance.now();
    const until = t0 + floodSec * 1000;
    const pages: number[] = [];
    const viewing = (async () => {
      while (performance.now() < until) {
        pages.push(await pageView(port));
        await sleep(100);
      }
    })();
    await Promise.all(senders.map((x, i) => pool.flood(x, now() + floodSec * 1000, `f${i}`)));
    await viewing;
    const appendSec = (performance.now() - t0) / 1000;
    const appended = logBytes() - before;
    await sleep(3000);
    await pool.sync();
    const delivered = clients.reduce((s, x) => s + x.received.size, 0) - deliveredBefore;
    const cpu = handlers.reduce((s, p) => s + cpuSec(p), 0) - cpuBefore;
    return {
      n,
      rooms: roomCount,
      'connect p50 first 10 (ms)': pct(c.firstBatch, 50),
      'connect p99 first 10 (ms)': pct(c.firstBatch, 99),
      'connect p50 all (ms)': pct(
        clients.map((x) => x.welcomeAt),
        50,
      ),
      'connect p99 all (ms)': pct(
        clients.map((x) => x.welcomeAt),
        99,
      ),
      'all connected (s)': c.seconds,
      'PSS/conn (MB)': pss / 1024 / Math.max(1, handlers.length),
      'fan-out p50 (ms)': pct(fan.latencies, 50),
      'fan-out p99 (ms)': pct(fan.latencies, 99),
      lost: fan.lost,
      names: `${new Set(clients.map((x) => `${x.room}/${x.name}`)).size}/${n}`,
      'flood appended msg/s': appended / appendSec,
      'deliveries/s': delivered / (appendSec + 3),
      'CPU µs/delivery': (cpu / Math.max(1, delivered)) * 1e6,
      'page p50 under flood (ms)': pct(pages, 50),
      'page p99 under flood (ms)': pct(pages, 99),
    };
  } finally {
    for (const x of clients) x.terminate();
    await stopServer(serverPid, data);
  }
}

async function floodScenario(n: number, port: number): Promise<Row> {
  const data = mkdtempSync(join(tmpdir(), 'tailroom-bench-'));
  const serverPid = startServer(port, data); // the configured rate limit: 5/s, burst 10
  let clients: Client[] = [];
  try {
    await waitForPort('127.0.0.1', port);
    clients = (await connectAll(`ws://127.0.0.1:${port}`, ['flood'], n)).clients;
    await sleep(1500);
    const senders = clients.slice(0, Math.min(20, clients.length));
    const seconds = Number(opt.seconds);
    const sent: { text: string; at: number; from: Client }[] = [];
    const until = performance.now() + seconds * 1000;
    await Promise.all(
      senders.map(async (from, i) => {
        await sleep(i * 10);
        for (let k = 0; performance.now() < until; k++) {
          const at = now();
          const text = `bench ${i}-${k} ${at.toFixed(3)}`;
          sent.push({ text, at, from });
          from.send(JSON.stringify({ type: 'msg', text }));
          await sleep(200); // exactly the rate limit
        }
      }),
    );
    const fan = await collect(clients, sent);
    return {
      n,
      senders: senders.length,
      'msgs sent': sent.length,
      'fan-out p50 (ms)': pct(fan.latencies, 50),
      'fan-out p99 (ms)': pct(fan.latencies, 99),
      deliveries: fan.deliveries,
      lost: fan.lost,
    };
  } finally {
    for (const x of clients) x.terminate();
    await stopServer(serverPid, data);
  }
}

async function churnScenario(port: number): Promise<Row> {
  const data = mkdtempSync(join(tmpdir(), 'tailroom-bench-'));
  const serverPid = startServer(port, data);
  let watcher: Client | undefined;
  try {
    await waitForPort('127.0.0.1', port);
    const base = `ws://127.0.0.1:${port}`;
    const listener = await connect(base, 'churn');
    watcher = listener;
    const seconds = Number(opt.seconds);
    const until = performance.now() + seconds * 1000;
    const connects: number[] = [];
    const said: string[] = [];
    let failures = 0;
    const reasons = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 4 }, async (_, w) => {
        for (let k = 0; performance.now() < until; k++) {
          try {
            const c = await connect(base, 'churn', 10000);
            connects.push(c.welcomeAt);
            const text = `bench churn ${w}-${k}`;
            said.push(text);
            c.send(JSON.stringify({ type: 'msg', text }));
            const t = Date.now() + 5000;
            while (!c.received.has(text) && Date.now() < t) {
              await sleep(10);
              await pool.sync();
            }
            await c.close();
          } catch (e) {
            failures++;
            reasons.set((e as Error).message, (reasons.get((e as Error).message) ?? 0) + 1);
          }
        }
      }),
    );
    const t = Date.now() + 5000;
    while (Date.now() < t && !said.every((s) => listener.received.has(s))) {
      await sleep(50);
      await pool.sync();
    }
    await sleep(2000);
    await pool.sync();
    const left = handlerPids(serverPid).length - 1; // the watcher's own handler stays
    return {
      seconds,
      connections: connects.length,
      'per second': connects.length / seconds,
      'connect p50 (ms)': pct(connects, 50),
      'connect p99 (ms)': pct(connects, 99),
      'lines lost': said.filter((s) => !listener.received.has(s)).length,
      failures,
      'failure reasons': [...reasons].map(([m, k]) => `${k}× ${m}`).join('; ') || '-',
      'handlers left over': left,
    };
  } finally {
    watcher?.terminate();
    await stopServer(serverPid, data);
  }
}

function table(title: string, rows: Row[]): void {
  const [first] = rows;
  if (!first) return;
  const cols = Object.keys(first);
  const f = (v: number | string) =>
    typeof v === 'string' ? v : Number.isNaN(v) ? '-' : Number.isInteger(v) || Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1);
  console.log(`\n${title}\n`);
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`|${cols.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${cols.map((c) => f(r[c] ?? '-')).join(' | ')} |`);
}

const port = Number(opt.port);
const ns = String(opt.n).split(',').map(Number);
const all: Record<string, Row[]> = {};
const want = (s: string) => opt.scenario === s || opt.scenario === 'all';
console.log(
  `tailroom bench: runtime=${opt.runtime}, node ${process.version}, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`,
);
if (want('rooms')) {
  all.rooms = [];
  for (const n of ns) all.rooms.push(await roomsScenario(n, port));
  table(`N clients in ${opt.rooms} room(s); fan-out of ${opt.messages} single messages; 3 s flood from 10 senders, no rate limit`, all.rooms);
}
if (want('flood')) {
  all.flood = [];
  for (const n of ns) all.flood.push(await floodScenario(n, port));
  table(`20 senders at the rate limit (5/s each) for ${opt.seconds} s`, all.flood);
}
if (want('churn')) {
  all.churn = [await churnScenario(port)];
  table(`connect, say one line, leave (4 at a time) for ${opt.seconds} s`, all.churn);
}
if (opt.json) writeFileSync(opt.json, JSON.stringify(all, null, 2));
await pool.close();
process.exit(0);
