// Figures for two hosts over a shared data directory (test/e2e/gluster.bats prints them):
//   node --import tsx bench/gluster.ts appends DIR[,DIR...] [COUNT] [WRITERS]
//       COUNT locked appends (shared_fs) of a chat-sized line into DIR/bench.log by each of
//       WRITERS processes at once, spread over the DIRs (one file seen through several
//       mounts: writers on several hosts): appends/s over all writers.
//   node --import tsx bench/gluster.ts latency FROM_URL TO_URL [COUNT] [GAP_MS]
//       COUNT messages sent on one instance, timed until a client of the other one
//       receives them: p50/p99/max delivery latency in ms. Sent 20-60 ms apart, or
//       GAP_MS apart.
// Both print one JSON line. Every wait is bounded.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import WebSocket from 'ws';
import { appendLine } from '../src/store/jsonl.js';

const [verb, ...args] = process.argv.slice(2);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

/** Prints the wall-clock span of its appends: a writer's start-up is not an append. */
async function appendAlone(path: string, count: number): Promise<void> {
  const line = JSON.stringify({ type: 'msg', from: `bench${process.pid}`, text: 'x'.repeat(120) });
  await appendLine(path, line, { alwaysLock: true }); // loads proper-lockfile
  const start = Date.now();
  for (let i = 0; i < count; i++) await appendLine(path, line, { alwaysLock: true });
  console.log(JSON.stringify({ start, end: Date.now() }));
}

function appendInChild(dir: string, count: number): Promise<{ start: number; end: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, import.meta.filename, 'append-alone', dir, String(count)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(JSON.parse(out));
      else reject(new Error(`writer exited with ${code}`));
    });
  });
}

async function appends(dirs: string[], count: number, writers: number): Promise<void> {
  const spans = await Promise.all(Array.from({ length: writers }, (_, i) => appendInChild(dirs[i % dirs.length] ?? '.', count)));
  const seconds = (Math.max(...spans.map((s) => s.end)) - Math.min(...spans.map((s) => s.start))) / 1000;
  console.log(JSON.stringify({ dirs, writers, appends: count * writers, appendsPerSec: Math.round((count * writers) / seconds) }));
}

function connect(url: string, name: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin: 'http://127.0.0.1', headers: { 'X-Remote-User': name } });
    const timer = setTimeout(() => reject(new Error(`no welcome from ${url}`)), 10_000);
    ws.once('error', reject);
    ws.on('message', function first(data) {
      if (!String(data).includes('"type":"welcome"')) return;
      clearTimeout(timer);
      ws.off('message', first);
      resolve(ws);
    });
  });
}

async function latency(fromUrl: string, toUrl: string, count: number, gapMs: number | undefined): Promise<void> {
  const receiver = await connect(toUrl, 'latrecv');
  const sender = await connect(fromUrl, 'latsend');
  const sentAt = new Map<string, number>();
  const took: number[] = [];
  receiver.on('message', (data) => {
    const text = /"text":"(lat-\d+)"/.exec(String(data))?.[1];
    const at = text === undefined ? undefined : sentAt.get(text);
    if (text === undefined || at === undefined) return;
    took.push(performance.now() - at);
    sentAt.delete(text);
  });
  for (let i = 0; i < count; i++) {
    const text = `lat-${i}`;
    sentAt.set(text, performance.now());
    sender.send(JSON.stringify({ type: 'msg', text }));
    // Spread over the poll interval, so the figure is not that of one batch.
    await new Promise((r) => setTimeout(r, gapMs ?? 20 + Math.random() * 40));
  }
  for (let waited = 0; sentAt.size > 0 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  sender.close();
  receiver.close();
  took.sort((a, b) => a - b);
  const ms = (p: number) => Math.round(percentile(took, p));
  console.log(JSON.stringify({ from: fromUrl, to: toUrl, sent: count, received: took.length, p50: ms(50), p99: ms(99), max: ms(100) }));
}

if (verb === 'appends') await appends((args[0] ?? '.').split(','), Number(args[1] ?? 300), Number(args[2] ?? 1));
else if (verb === 'append-alone') await appendAlone(join(args[0] ?? '.', 'bench.log'), Number(args[1] ?? 300));
else if (verb === 'latency' && args[0] && args[1]) await latency(args[0], args[1], Number(args[2] ?? 100), args[3] === undefined ? undefined : Number(args[3]));
else {
  console.error('usage: bench/gluster.ts appends DIR[,DIR...] [COUNT] [WRITERS] | latency FROM_URL TO_URL [COUNT]');
  process.exit(2);
}
process.exit(0);
