// Page-view latency through the real websocketd: every request starts a CGI process, so
// the figures include process start. A temp data dir gets 1,000 rooms (some with people)
// and one 1 GB log; the dir is deleted afterwards.
//   node --import tsx bench/pages.ts [--requests 200] [--gb 1] [--formatted] [--keep]
// --formatted: one message in 4 has bold and a code span, one in 10 a fenced JavaScript
// block, so the history page's renderer and highlighter have their share of the work.
// Needs a build (npm run build); `npm run bench:pages` sets up and builds first.

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const REQUESTS = opt('requests', 200);
const GB = opt('gb', 1);
const ROOMS = 1000;
const FORMATTED = args.includes('--formatted');

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => res(p));
    });
  });
}

const COLORS = ['#c0392b', '#2e86c1', '#27ae60', '#8e44ad', '#d35400'];
const WORDS = 'the quick brown fox jumps over a lazy dog while everyone in the room keeps on talking about logs and files'.split(' ');

function line(i: number, t: number): string {
  const from = `user${i % 37}`;
  let text = Array.from({ length: 8 + (i % 12) }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]).join(' ');
  if (FORMATTED && i % 10 === 0)
    text = `look:\\n\`\`\`js\\nconst ${WORDS[i % WORDS.length]} = await read('${text}', { limit: ${i % 100} });\\nif (!ok) throw new Error(\\"no\\");\\n\`\`\``;
  else if (FORMATTED && i % 4 === 0) text = `**${text}** and \`${WORDS[i % WORDS.length]}()\` *too*`;
  return `{"id":"${t.toString(36).padStart(9, '0')}-bench-${i.toString(36)}","t":"${new Date(t).toISOString()}","type":"msg","from":"${from}","color":"${COLORS[i % 5]}","text":"${text}"}\n`;
}

function generate(dir: string): void {
  const rooms = join(dir, 'rooms');
  mkdirSync(rooms, { recursive: true });
  const now = Date.now();
  for (let r = 0; r < ROOMS; r++) {
    const name = `room-${String(r).padStart(4, '0')}`;
    writeFileSync(join(rooms, `${name}.log`), Array.from({ length: 5 }, (_, i) => line(i, now - (ROOMS - r) * 60000 + i)).join(''));
  }
  // The big log, written in 4 MB chunks whose times increase through the file.
  const target = GB * 1024 ** 3;
  const fd = openSync(join(rooms, 'big.log'), 'w');
  let written = 0;
  let i = 0;
  const start = now - 365 * 86400_000;
  const step = (365 * 86400_000) / (target / 150);
  while (written < target) {
    let chunk = '';
    while (chunk.length < 4 * 1024 * 1024) {
      chunk += line(i, start + i * step);
      i++;
    }
    written += writeSync(fd, chunk);
  }
  closeSync(fd);
  // People in every 20th room; written last, so `tailroom start` does not take them for
  // the stale presence of a crashed handler.
  for (let r = 0; r < ROOMS; r += 20) {
    for (let u = 0; u < 1 + (r % 3); u++) {
      const name = `room-${String(r).padStart(4, '0')}`;
      const who = `guest${u}`;
      mkdirSync(join(dir, 'users', name, who), { recursive: true });
      writeFileSync(
        join(dir, 'users', name, who, 'info'),
        JSON.stringify({ name: who, color: COLORS[u], pid: process.pid, host: 'bench', since: new Date().toISOString() }),
      );
    }
  }
}

function get(agent: Agent, port: number, path: string): Promise<{ status: number; ms: number; bytes: number }> {
  const t0 = process.hrtime.bigint();
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (r) => {
      let bytes = 0;
      r.on('data', (c: Buffer) => (bytes += c.length));
      r.on('end', () => res({ status: r.statusCode ?? 0, ms: Number(process.hrtime.bigint() - t0) / 1e6, bytes }));
    });
    req.on('error', rej);
    req.end();
  });
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function main(): Promise<void> {
  if (!existsSync(join(ROOT, 'dist', 'cgi', 'rooms'))) throw new Error('dist/cgi is missing: run `npm run build` first');
  const dir = mkdtempSync(join(tmpdir(), 'tailroom-bench-pages-'));
  let server: ReturnType<typeof spawn> | undefined;
  const cleanup = () => {
    if (server?.pid && server.exitCode === null) server.kill('SIGTERM');
    if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const t0 = Date.now();
    process.stderr.write(`generating ${ROOMS} rooms and a ${GB} GB log in ${dir} …\n`);
    generate(dir);
    process.stderr.write(`generated in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [join(ROOT, 'dist', 'tailroom.mjs'), 'start', '--port', String(port), '--data-dir', dir, '--set', 'stun.enabled=false'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    server = proc;
    await new Promise<void>((res, rej) => {
      let out = '';
      proc.stdout.on('data', (d) => {
        out += d;
        if (out.includes('chat at')) res();
      });
      proc.stderr.resume();
      proc.on('exit', (code) => rej(new Error(`tailroom start exited with ${code}`)));
    });

    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const cases: [string, string][] = [
      ['static file (websocketd alone, no process)', '/style.css'],
      ['room list, 1,000 rooms', '/rooms'],
      [`history, newest page of a ${GB} GB log`, '/history?room=big'],
      ['history index, 1,001 rooms', '/history'],
      ['settings', '/settings'],
      [`history search, ${GB} GB log (stops at history_search_mb)`, '/history?room=big&q=zebra'],
    ];
    const rows: string[] = [];
    for (const [label, path] of cases) {
      const n = path.includes('q=') ? Math.max(10, Math.floor(REQUESTS / 10)) : REQUESTS;
      for (let i = 0; i < 5; i++) await get(agent, port, path); // warm the page cache
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < n; i++) {
        const r = await get(agent, port, path);
        if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
        times.push(r.ms);
        bytes = r.bytes;
      }
      times.sort((a, b) => a - b);
      rows.push(`| ${label} | ${n} | ${pct(times, 50).toFixed(0)} ms | ${pct(times, 99).toFixed(0)} ms | ${(bytes / 1024).toFixed(0)} KB |`);
      process.stderr.write(`${rows.at(-1)}\n`);
    }
    agent.destroy();
    const starts: number[] = [];
    for (let i = 0; i < Math.min(REQUESTS, 50); i++) {
      const t = process.hrtime.bigint();
      // The environment websocketd gives a CGI program is nearly empty; ours may hold
      // NODE_EXTRA_CA_CERTS and the like, which cost node tens of milliseconds to start.
      spawnSync(process.execPath, ['-e', '0'], { env: {} });
      starts.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    starts.sort((a, b) => a - b);
    rows.push(
      `| reference: \`node -e 0\` started alone, empty environment | ${starts.length} | ${pct(starts, 50).toFixed(0)} ms | ${pct(starts, 99).toFixed(0)} ms | |`,
    );
    console.log(`\n${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average at start ${(loadavg()[0] ?? NaN).toFixed(2)}\n`);
    console.log('| page | requests | p50 | p99 | size |\n|---|---|---|---|---|');
    console.log(rows.join('\n'));
  } finally {
    cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(`bench/pages: ${(e as Error).message}`);
  process.exitCode = 1;
});
