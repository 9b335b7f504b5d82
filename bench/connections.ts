// npm run bench -- [--n 10,50,100,200] [--runtime bundle|tsx] [--messages 20] [--json FILE]
//
// Connects N real WebSocket clients to one room through a real websocketd and measures
// what one process per connection costs: connect latency, memory per connection,
// fan-out latency, lost deliveries, distinct names, flood throughput. Loopback only;
// every wait is bounded; the websocketd it starts is stopped by pid.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.js';
import { HANDLER_NODE_FLAGS, waitForPort, websocketdPlan } from '../src/websocketd.js';

const ROOT = join(import.meta.dirname, '..');
const { values: opt } = parseArgs({
  options: {
    n: { type: 'string', default: '10,50,100,200' },
    runtime: { type: 'string', default: 'bundle' },
    messages: { type: 'string', default: '20' },
    batch: { type: 'string', default: '10' },
    flood: { type: 'string', default: '3' },
    json: { type: 'string' },
    port: { type: 'string', default: '18931' },
  },
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

interface Client {
  ws: WebSocket;
  name: string;
  received: Map<string, number>; // message text → arrival time
  welcomeAt: number;
}

function children(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.push(...readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      /* thread gone */
    }
  }
  return out;
}

function pssKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function connect(url: string, timeoutMs = 30000): Promise<Client> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const ws = new WebSocket(url);
    const c: Client = { ws, name: '', received: new Map(), welcomeAt: 0 };
    const timer = setTimeout(() => reject(new Error('no welcome in time')), timeoutMs);
    ws.on('message', (data) => {
      const s = data.toString();
      if (!c.name && s.startsWith('{"type":"welcome"')) {
        c.name = (JSON.parse(s) as { you: { name: string } }).you.name;
        c.welcomeAt = performance.now() - started;
        clearTimeout(timer);
        resolve(c);
        return;
      }
      const at = performance.now();
      const m = /"text":"(bench \d+ [\d.]+)"/.exec(s);
      if (m && !s.includes('"replay":true')) c.received.set(m[1], at);
    });
    ws.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function startServer(port: number, data: string): ChildProcess {
  const overrides = {
    'server.port': port,
    'server.data_dir': data,
    'chat.rate_per_sec': 0,
    'chat.history_on_join': 0,
    'chat.idle_timeout_sec': 0,
  };
  const cfg = loadConfig({ root: ROOT, confPath: join(ROOT, 'conf', 'chat.ini'), overrides, env: {} });
  const plan = websocketdPlan(cfg, ROOT, overrides);
  if (opt.runtime === 'tsx') {
    const i = plan.args.indexOf('--');
    plan.args.splice(i + 1, plan.args.length, process.execPath, ...HANDLER_NODE_FLAGS, '--import', 'tsx', join(ROOT, 'handlers', 'room.ts'));
  }
  plan.args.push(); // the plan already ends with the handler command
  plan.args.unshift('--loglevel', 'error');
  return spawn(plan.bin, plan.args, { env: { ...plan.env, NODE_PATH: join(ROOT, 'node_modules') }, stdio: 'ignore', detached: true, cwd: ROOT });
}

interface Result {
  n: number;
  runtime: string;
  connectFirstBatchP50: number;
  connectFirstBatchP99: number;
  connectAllP50: number;
  connectAllP99: number;
  connectPhaseSec: number;
  pssPerConnMb: number;
  fanoutP50: number;
  fanoutP99: number;
  lost: number;
  distinctNames: number;
  floodMsgsPerSec: number;
  floodDeliveriesPerSec: number;
}

async function scenario(n: number, port: number): Promise<Result> {
  const data = mkdtempSync(join(tmpdir(), 'tailroom-bench-'));
  const server = startServer(port, data);
  const clients: Client[] = [];
  try {
    await waitForPort('127.0.0.1', port);
    const url = `ws://127.0.0.1:${port}/bench`;
    const batch = Number(opt.batch);
    const t0 = performance.now();
    const firstBatch: number[] = [];
    for (let i = 0; i < n; i += batch) {
      const got = await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => connect(url)));
      if (i === 0) firstBatch.push(...got.map((c) => c.welcomeAt));
      clients.push(...got);
    }
    const connectPhaseSec = (performance.now() - t0) / 1000;
    await sleep(1500); // let join storms and user-list updates settle before measuring

    const handlers = children(server.pid!).flatMap((p) => [p, ...children(p)]).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('room.');
      } catch {
        return false;
      }
    });
    const pss = handlers.reduce((s, p) => s + pssKb(p), 0);

    // Fan-out: one message at a time from a random client; every other client must get it.
    const m = Number(opt.messages);
    const latencies: number[] = [];
    let lost = 0;
    const sent: { text: string; at: number; from: Client }[] = [];
    for (let k = 0; k < m; k++) {
      const from = clients[k % clients.length];
      const at = performance.now();
      const text = `bench ${k} ${at.toFixed(3)}`;
      sent.push({ text, at, from });
      from.ws.send(JSON.stringify({ type: 'msg', text }));
      await sleep(Math.max(50, n)); // spaced so messages do not queue behind each other
    }
    const deadline = Date.now() + 10000;
    while (Date.now() < deadline && !sent.every((s) => clients.every((c) => c.received.has(s.text)))) await sleep(50);
    for (const s of sent) {
      for (const c of clients) {
        const got = c.received.get(s.text);
        if (got === undefined) lost++;
        else if (c !== s.from) latencies.push(got - s.at);
      }
    }

    // Flood: 10 senders as fast as websocketd takes it, for a few seconds.
    const floodSec = Number(opt.flood);
    const logPath = join(data, 'rooms', 'bench.log');
    const before = readFileSync(logPath, 'utf8').split('\n').length;
    const deliveredBefore = clients.reduce((s, c) => s + c.received.size, 0);
    const senders = clients.slice(0, Math.min(10, clients.length));
    const until = performance.now() + floodSec * 1000;
    let seq = 0;
    await Promise.all(
      senders.map(async (c) => {
        while (performance.now() < until) {
          for (let j = 0; j < 20; j++) c.ws.send(JSON.stringify({ type: 'msg', text: `bench ${100000 + seq++} 0` }));
          await new Promise((r) => setImmediate(r));
          while (c.ws.bufferedAmount > 64 * 1024) await sleep(5);
          await sleep(10);
        }
      }),
    );
    const elapsed = (performance.now() - (until - floodSec * 1000)) / 1000;
    const after = readFileSync(logPath, 'utf8').split('\n').length;
    await sleep(2000);
    const deliveredAfter = clients.reduce((s, c) => s + c.received.size, 0);

    const names = new Set(clients.map((c) => c.name));
    return {
      n,
      runtime: String(opt.runtime),
      connectFirstBatchP50: pct(firstBatch, 50),
      connectFirstBatchP99: pct(firstBatch, 99),
      connectAllP50: pct(clients.map((c) => c.welcomeAt), 50),
      connectAllP99: pct(clients.map((c) => c.welcomeAt), 99),
      connectPhaseSec,
      pssPerConnMb: pss / 1024 / Math.max(1, handlers.length),
      fanoutP50: pct(latencies, 50),
      fanoutP99: pct(latencies, 99),
      lost,
      distinctNames: names.size,
      floodMsgsPerSec: (after - before) / elapsed,
      floodDeliveriesPerSec: (deliveredAfter - deliveredBefore) / (elapsed + 2),
    };
  } finally {
    for (const c of clients) c.ws.terminate();
    await sleep(500);
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      /* gone */
    }
    await sleep(1000);
    try {
      process.kill(-server.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    await sleep(1000);
    rmSync(data, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

const f = (x: number, d = 0) => (Number.isNaN(x) ? '-' : x.toFixed(d));
const results: Result[] = [];
console.log(`tailroom bench: runtime=${opt.runtime}, ${Number(opt.messages)} fan-out messages, batches of ${opt.batch}, ${opt.flood} s flood from 10 senders`);
console.log('| N | connect p50/p99 first batch (ms) | connect p50/p99 all (ms) | all connected (s) | PSS/conn (MB) | fan-out p50/p99 (ms) | lost | names | flood msg/s | deliveries/s |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const n of String(opt.n).split(',').map(Number)) {
  const r = await scenario(n, Number(opt.port));
  results.push(r);
  console.log(
    `| ${r.n} | ${f(r.connectFirstBatchP50)} / ${f(r.connectFirstBatchP99)} | ${f(r.connectAllP50)} / ${f(r.connectAllP99)} | ${f(r.connectPhaseSec, 1)} | ${f(r.pssPerConnMb, 1)} | ${f(r.fanoutP50, 1)} / ${f(r.fanoutP99, 1)} | ${r.lost} | ${r.distinctNames}/${r.n} | ${f(r.floodMsgsPerSec)} | ${f(r.floodDeliveriesPerSec)} |`,
  );
}
if (opt.json) writeFileSync(opt.json, JSON.stringify(results, null, 2));
process.exit(0);
