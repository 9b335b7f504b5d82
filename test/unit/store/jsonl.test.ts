import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendLine, UNLOCKED_APPEND_MAX } from '../../../src/store/jsonl.js';

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
});
