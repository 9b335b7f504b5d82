import { strict as assert } from 'node:assert';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { Follower } from '../../../src/store/follower.js';
import { appendLine, UNLOCKED_APPEND_MAX } from '../../../src/store/jsonl.js';
import { parseMixLine } from '../../helpers/mixline.js';

const WORKER = join(import.meta.dirname, '../../helpers/workers.ts');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The workers bundled once into plain JavaScript: 50 processes each loading TypeScript
 * through tsx would take most of a minute on two cores before the first line.
 */
function bundleWorkers(dir: string): string {
  const out = join(dir, 'workers.mjs');
  buildSync({
    entryPoints: [WORKER],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: out,
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return out;
}

interface Worker {
  proc: ChildProcess;
  ready: Promise<void>;
  done: Promise<string>;
}

/** Every worker started, so that a test that fails or times out still stops its own. */
const started: ChildProcess[] = [];

/** Run a worker verb; `prefix` is a command to run node under (prlimit). */
function start(bundle: string, args: string[], prefix: string[] = []): Worker {
  const [cmd, ...pre] = prefix.length ? prefix : [process.execPath];
  const proc = spawn(cmd as string, [...pre, ...(prefix.length ? [process.execPath] : []), bundle, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(proc);
  let out = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  proc.stdout?.on('data', (d) => {
    out += d;
    if (out.startsWith('ready\n')) onReady();
  });
  const done = new Promise<string>((resolve, reject) =>
    proc.on('exit', (code, sig) => (code === 0 ? resolve(out) : reject(new Error(`worker exit ${code ?? sig}: ${out.slice(-200)}`)))),
  );
  return { proc, ready, done };
}

/** What one worker's output says: the indexes of the lines acknowledged, and the refusals. */
function acks(tag: string, out: string): { acked: string[]; refused: number } {
  const acked: string[] = [];
  let refused = 0;
  for (const l of out.split('\n')) {
    if (l.startsWith('ack ')) acked.push(`${tag}#${l.slice(4)}`);
    else if (l.startsWith('err ')) refused++;
  }
  return { acked, refused };
}

/** Lines of a log sorted out: whole lines by `tag#i` (with their count), and everything else. */
function sortOut(lines: string[]): { whole: Map<string, number>; empty: number; other: string[] } {
  const whole = new Map<string, number>();
  let empty = 0;
  const other: string[] = [];
  for (const l of lines) {
    const v = parseMixLine(l);
    if (v) whole.set(`${v.tag}#${v.i}`, (whole.get(`${v.tag}#${v.i}`) ?? 0) + 1);
    else if (l === '') empty++;
    else other.push(l);
  }
  return { whole, empty, other };
}

describe('JSON Lines files', () => {
  let dir: string;
  let bundle: string;
  before(function () {
    this.timeout(20000);
    bundle = bundleWorkers(mkdtempSync(join(tmpdir(), 'tailroom-jsonl-bundle-')));
  });
  after(() => rmSync(join(bundle, '..'), { recursive: true, force: true }));
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tailroom-jsonl-'))));
  afterEach(() => {
    for (const p of started.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('20 processes appending 8 KB lines at once leave no torn or interleaved line', async function () {
    this.timeout(60000);
    const path = join(dir, 'room.log');
    const tags = Array.from({ length: 20 }, (_, i) => `w${i}-`);
    await Promise.all(tags.map((t) => start(bundle, ['append', path, t, '30', '8192']).done));
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.equal(lines.pop(), '');
    assert.equal(lines.length, 20 * 30);
    const seen = new Map<string, number[]>();
    for (const line of lines) {
      const v = JSON.parse(line) as { tag: string; i: number; pad: string };
      assert.ok(v.pad.length >= UNLOCKED_APPEND_MAX, 'lines are long enough to need the lock');
      assert.equal(v.pad, v.tag.repeat(Math.ceil(8192 / v.tag.length)).slice(0, 8192), 'no bytes from another line');
      seen.set(v.tag, [...(seen.get(v.tag) ?? []), v.i]);
    }
    for (const t of tags) assert.deepEqual(seen.get(t), [...Array(30).keys()], `${t} lines all there, in order`);
  });

  it('50 processes appending 200 lines each of 100 B to 4.2 KB at once: no empty, torn or lost line', async function () {
    // Lines that cross page boundaries are seen half written by the others (the file's size
    // grows page by page): an appender that looked at the last byte took those for torn
    // lines and wrote an empty line before its own.
    this.timeout(120000); // about 20 s of CPU in all, mostly 50 node start-ups
    const path = join(dir, 'room.log');
    const go = join(dir, 'go');
    const tags = Array.from({ length: 50 }, (_, i) => `m${i}`);
    const workers = tags.map((t) => start(bundle, ['mix', path, t, '200', '100', '4200', go, '30000']));
    await Promise.all(workers.map((w) => w.ready));
    writeFileSync(go, '');
    const outs = await Promise.all(workers.map((w) => w.done));
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'the log ends with a newline');
    const { whole, empty, other } = sortOut(lines);
    assert.equal(empty, 0, `${empty} empty lines in ${lines.length}`);
    assert.deepEqual(other, [], `${other.length} torn lines`);
    let long = 0;
    for (const l of lines) if (Buffer.byteLength(l) + 1 > UNLOCKED_APPEND_MAX) long++;
    assert.ok(long > 0, 'some lines take the locked path');
    for (const [k, t] of tags.entries()) {
      const { acked, refused } = acks(t, outs[k] as string);
      assert.equal(refused, 0);
      assert.equal(acked.length, 200);
      for (const a of acked) assert.equal(whole.get(a), 1, `${a} acknowledged, in the log once`);
    }
    assert.equal(lines.length, 50 * 200);
  });

  it('refuses a line with a newline inside instead of writing two', async () => {
    const path = join(dir, 'x.log');
    await assert.rejects(appendLine(path, 'a\nb'));
    assert.throws(() => readFileSync(path));
  });

  it('ends a write cut short with a newline in place, never shortening the file, and the next line is whole', async function () {
    this.timeout(20000);
    // RLIMIT_FSIZE cuts a write short at a byte we choose, as a full disk does at a block.
    const path = join(dir, 't.log');
    writeFileSync(path, `${'x'.repeat(99)}\n`);
    const w = start(bundle, ['mix', path, 'cut', '1', '300', '300', join(dir, 'go'), '5000'], ['prlimit', '--fsize=250', '--']);
    writeFileSync(join(dir, 'go'), '');
    const out = await w.done;
    assert.match(out, /^ready\nerr 0 short write .*: 150 of 300 bytes\n$/);
    const after = readFileSync(path, 'utf8');
    assert.equal(after.length, 250, 'not truncated: a follower would start over from 0');
    assert.ok(after.endsWith('\n'), 'the fragment is a line of its own');
    await appendLine(path, '{"next":2}');
    const lines = readFileSync(path, 'utf8').split('\n');
    assert.deepEqual([lines.length, lines.at(-2), lines.at(-1)], [4, '{"next":2}', '']);
    assert.equal(parseMixLine(lines[1] as string), undefined, 'the fragment is no line');
  });

  describe('on a full disk (a 2 MB tmpfs)', () => {
    let mnt: string | undefined;
    before(function () {
      if (process.getuid?.() !== 0) return this.skip(); // needs root to mount a tmpfs
      mnt = mkdtempSync(join(tmpdir(), 'tailroom-full-'));
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { stdio: 'ignore' });
      } catch {
        rmSync(mnt, { recursive: true, force: true });
        mnt = undefined;
        return this.skip(); // no tmpfs here (a container without CAP_SYS_ADMIN)
      }
    });
    after(() => {
      if (!mnt) return;
      execFileSync('umount', [mnt]);
      rmSync(mnt, { recursive: true, force: true });
    });

    it('writers filling it while space comes and goes: nothing acknowledged lost or torn, the follower never starts over', async function () {
      this.timeout(60000);
      const root = mnt as string;
      const path = join(root, 'rooms', 'lobby.log');
      mkdirSync(join(root, 'rooms'));
      writeFileSync(path, '');
      // Ballast takes all the space; freeing 8 KB of it at a time lets a few lines in, and
      // the line after them is cut short: one page free, the next not.
      const ballast = openSync(join(root, 'ballast'), 'w');
      const block = Buffer.alloc(64 * 1024);
      let size = 0;
      try {
        for (;;) size += writeSync(ballast, block);
      } catch {
        /* full */
      }
      const got: string[] = [];
      const f = new Follower(path, { offset: 0, onLine: (l) => got.push(l) });
      await f.start();
      const go = join(root, 'go');
      const tags = Array.from({ length: 6 }, (_, i) => `f${i}`);
      const workers = tags.map((t) => start(bundle, ['mix', path, t, '100000', '100', '6000', go, '4000']));
      let churn: NodeJS.Timeout | undefined;
      try {
        await Promise.all(workers.map((w) => w.ready));
        writeFileSync(go, '');
        let shrank = 0;
        let last = 0;
        churn = setInterval(() => {
          // Only once the writers used up what came back: the disk stays at the edge.
          const fs = statfsSync(root);
          if (fs.bavail * fs.bsize < 8192) {
            size = Math.max(0, size - 8192);
            ftruncateSync(ballast, size);
          }
          const now = statSync(path).size;
          if (now < last) shrank++;
          last = now;
        }, 10);
        const outs = await Promise.all(workers.map((w) => w.done));
        clearInterval(churn);
        const lines = readFileSync(path, 'utf8').split('\n');
        const { whole, other } = sortOut(lines);
        let acked = 0;
        let refused = 0;
        for (const [k, t] of tags.entries()) {
          const r = acks(t, outs[k] as string);
          refused += r.refused;
          for (const a of r.acked) {
            if (whole.get(a) === 1) continue;
            const [t, i] = a.split('#');
            const near = other.filter((l) => l.includes(`{"tag":"${t}","i":${i},`)).map((l) => `${l.slice(0, 120)}...${l.slice(-60)} (${l.length})`);
            writeFileSync('/tmp/apx/failed.log', readFileSync(path));
            assert.fail(`${a} acknowledged, not in the log once and whole: ${JSON.stringify(near)}`);
          }
          acked += r.acked.length;
        }
        assert.ok(refused > 0 && acked > 100, `the disk filled up (${acked} lines acknowledged, ${refused} refused)`);
        assert.ok(other.length > 0, 'some writes were cut short');
        // The follower reads to the end: a whole line for every whole line in the file, once.
        for (let i = 0; i < 500 && sortOut(got).whole.size < whole.size; i++) await sleep(10);
        const seen = sortOut(got);
        const twice = [...seen.whole].filter(([, n]) => n > 1).length;
        assert.equal(twice, 0, `${twice} lines delivered twice: the follower started over`);
        assert.equal(shrank, 0, 'the log never shrank');
        // Every line the file holds whole, the follower delivered, except one it read glued
        // to a fragment in the moment before that fragment's writer ended it (a line that
        // landed right after a short write, space having come back meanwhile).
        let glued = 0;
        for (const k of whole.keys()) {
          if (seen.whole.get(k) === 1) continue;
          const [t, i] = k.split('#');
          assert.ok(
            seen.other.some((l) => l.includes(`{"tag":"${t}","i":${i},`)),
            `${k} not delivered to the follower`,
          );
          glued++;
        }
        console.log(`      ${acked} acknowledged, ${refused} refused, ${other.length} fragments skipped; the follower got ${glued} glued`);
      } finally {
        clearInterval(churn);
        closeSync(ballast);
        await f.close();
      }
    });
  });
});
