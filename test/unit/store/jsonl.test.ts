import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendLine, readLinesBackward, UNLOCKED_APPEND_MAX } from '../../../src/store/jsonl.js';

const WORKER = join(import.meta.dirname, '../../helpers/workers.ts');

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exit ${code}`))));
  });
}

describe('JSON Lines files', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tailroom-jsonl-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('20 processes appending 8 KB lines at once leave no torn or interleaved line', async function () {
    this.timeout(60000);
    const path = join(dir, 'room.log');
    const tags = Array.from({ length: 20 }, (_, i) => `w${i}-`);
    await Promise.all(tags.map((t) => run(['append', path, t, '30', '8192'])));
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

  it('refuses a line with a newline inside instead of writing two', async () => {
    const path = join(dir, 'x.log');
    await assert.rejects(appendLine(path, 'a\nb'));
    assert.throws(() => readFileSync(path));
  });

  it('puts a line after a torn fragment (a write cut short by a full disk) on a line of its own', async () => {
    const path = join(dir, 't.log');
    writeFileSync(path, '{"whole":1}\n{"torn":');
    await appendLine(path, '{"next":2}');
    assert.deepEqual(readFileSync(path, 'utf8').split('\n'), ['{"whole":1}', '{"torn":', '{"next":2}', '']);
  });

  it('reads the last lines backwards across block boundaries, skipping a partial last line', () => {
    const path = join(dir, 'b.log');
    const all = Array.from({ length: 500 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(i % 97)}"}`);
    writeFileSync(path, `${all.join('\n')}\n{"partial":`);
    const fd = openSync(path, 'r');
    try {
      for (const block of [16, 100, 4096, 65536]) {
        const last = readLinesBackward(fd, 7, undefined, () => true, block);
        assert.deepEqual(last.lines, all.slice(-7), `block ${block}`);
        // Page backwards with the returned cursor: every line exactly once.
        const got: string[] = [];
        let end: number | undefined;
        for (let guard = 0; guard < 1000; guard++) {
          const page = readLinesBackward(fd, 33, end, () => true, block);
          if (page.lines.length === 0) break;
          got.unshift(...page.lines);
          end = page.start;
        }
        assert.deepEqual(got, all, `block ${block}`);
      }
      const even = readLinesBackward(fd, 3, undefined, (l) => /"n":\d*[02468],/.test(l), 64);
      assert.deepEqual(even.lines, [all[494], all[496], all[498]]);
    } finally {
      closeSync(fd);
    }
  });
});
