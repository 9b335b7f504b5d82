import { strict as assert } from 'node:assert';
import { appendFileSync, closeSync, copyFileSync, mkdtempSync, openSync, renameSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Follower } from '../../../src/store/follower.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

for (const poll of [false, true]) {
  describe(`follower (${poll ? 'polling' : 'inotify'})`, () => {
    let dir: string;
    let path: string;
    let got: string[];
    let f: Follower;
    beforeEach(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tailroom-follow-'));
      path = join(dir, 'room.log');
      writeFileSync(path, 'old-1\nold-2\n');
      got = [];
      f = new Follower(path, { poll, pollIntervalMs: 50, onLine: (l) => got.push(l) });
      await f.start();
    });
    afterEach(async () => {
      await f.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('starts at the end and sees appends 10 ms apart (chokidar drops such change events)', async () => {
      for (let i = 0; i < 20; i++) {
        appendFileSync(path, `line-${i}\n`);
        await sleep(10);
      }
      await until(() => got.length >= 20);
      await sleep(150);
      assert.deepEqual(
        got,
        Array.from({ length: 20 }, (_, i) => `line-${i}`),
      );
    });

    it('holds a partial line until its newline arrives', async () => {
      appendFileSync(path, '{"half":');
      await sleep(150);
      assert.deepEqual(got, []);
      appendFileSync(path, '1}\n');
      await until(() => got.length === 1);
      assert.deepEqual(got, ['{"half":1}']);
    });

    it('sees a fragment its writer ended in place (a write cut short) and keeps the next line whole', async () => {
      appendFileSync(path, '{"cut":');
      await sleep(150);
      // What jsonl.ts does after a short write: the fragment's own last byte becomes a newline.
      const fd = openSync(path, 'r+');
      writeSync(fd, '\n', statSync(path).size - 1);
      closeSync(fd);
      appendFileSync(path, '{"next":1}\n');
      await until(() => got.length === 2);
      await sleep(100);
      assert.deepEqual(got, ['{"cut"', '{"next":1}']);
    });

    it('survives copytruncate: every line once', async () => {
      appendFileSync(path, 'a-1\na-2\n');
      await until(() => got.length === 2);
      copyFileSync(path, `${path}-1`);
      truncateSync(path, 0);
      appendFileSync(path, 'b-1\n');
      await until(() => got.length === 3);
      appendFileSync(path, 'b-2\n');
      await until(() => got.length === 4);
      await sleep(150);
      assert.deepEqual(got, ['a-1', 'a-2', 'b-1', 'b-2']);
    });

    it('notices a truncation that was refilled past its offset before it looked', async () => {
      appendFileSync(path, 'x\n');
      await until(() => got.length === 1);
      await f.close();
      // Reopen a follower at the end, then cut and refill in one go while it sleeps.
      got = [];
      f = new Follower(path, { poll, pollIntervalMs: 50, onLine: (l) => got.push(l) });
      await f.start();
      appendFileSync(path, 'y\n');
      await until(() => got.length === 1);
      writeFileSync(path, 'new-content-longer-than-before\nz\n');
      await until(() => got.length >= 3);
      assert.deepEqual(got, ['y', 'new-content-longer-than-before', 'z']);
    });

    it('survives rename rotation (create): drains the old file, follows the new one from 0', async () => {
      appendFileSync(path, 'before\n');
      await until(() => got.length === 1);
      renameSync(path, `${path}-20261120`);
      appendFileSync(`${path}-20261120`, 'late-in-old\n');
      writeFileSync(path, '');
      appendFileSync(path, 'after-1\n');
      appendFileSync(path, 'after-2\n');
      await until(() => got.length === 4);
      await sleep(150);
      assert.deepEqual(got, ['before', 'late-in-old', 'after-1', 'after-2']);
    });

    it('a writer that opened the old file before a rotation and writes after it was followed past is not lost', async () => {
      const { closeSync, openSync, writeSync } = await import('node:fs');
      const late = openSync(path, 'a'); // opened before the rename, as an append opens the path
      writeFileSync(`${path}.fresh`, '');
      renameSync(`${path}.fresh`, path); // the inbox rotation: an empty file over the path
      f.drain();
      appendFileSync(path, 'new-1\n');
      await until(() => got.length === 1);
      writeSync(late, 'late-in-old\n');
      closeSync(late);
      await until(() => got.length === 2, 3000);
      assert.deepEqual(got, ['new-1', 'late-in-old']);
    });

    it('a fixed file (an inbox) replaced at its path: reported missing once, the new file never read', async () => {
      await f.close();
      let missing = 0;
      f = new Follower(path, { poll, pollIntervalMs: 50, fixed: true, onLine: (l) => got.push(l), onMissing: () => missing++ });
      await f.start();
      appendFileSync(path, 'mine\n');
      await until(() => got.length === 1);
      renameSync(path, `${path}.tomb`);
      writeFileSync(path, "the newcomer's\n");
      appendFileSync(path, 'whisper to the newcomer\n');
      await until(() => missing === 1);
      await sleep(300);
      assert.deepEqual(got, ['mine']);
      assert.equal(missing, 1);
    });

    it('two rotations in quick succession: the segment in between is not skipped', async () => {
      renameSync(path, `${path}.1`);
      await sleep(200);
      appendFileSync(path, 'in-a-1\n');
      appendFileSync(path, 'in-a-2\n');
      await sleep(250);
      renameSync(path, `${path}.2`);
      await sleep(200);
      appendFileSync(path, 'in-b\n');
      await until(() => got.length >= 3, 6000);
      await sleep(150);
      assert.deepEqual(got, ['in-a-1', 'in-a-2', 'in-b']);
    });

    it('survives nocreate rotation: the next append creates the file a while later', async () => {
      renameSync(path, `${path}.1`);
      await sleep(300);
      appendFileSync(path, 'first-of-new\n');
      await until(() => got.length === 1, 6000);
      appendFileSync(path, 'second\n');
      await until(() => got.length === 2);
      assert.deepEqual(got, ['first-of-new', 'second']);
    });
  });
}

describe('follower (inotify) in a flood', () => {
  let dir: string;
  let path: string;
  let got: string[];
  let batches: number;
  let f: Follower;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tailroom-follow-'));
    path = join(dir, 'room.log');
    writeFileSync(path, '');
    got = [];
    batches = 0;
    let inBatch = false;
    f = new Follower(path, {
      coalesceMs: () => 40,
      onLine: (l) => {
        got.push(l);
        if (inBatch) return;
        inBatch = true;
        batches++;
        setImmediate(() => (inBatch = false));
      },
    });
    await f.start();
  });
  afterEach(async () => {
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

  it('reads lines that come 2 ms apart in batches, each line once and in order', async () => {
    for (const l of lines('f', 150)) {
      appendFileSync(path, `${l}\n`);
      await sleep(2);
    }
    await until(() => got.length >= 150);
    await sleep(100);
    assert.deepEqual(got, lines('f', 150));
    // Per change it would be ~150 wake-ups; in 40 ms batches, a handful.
    assert.ok(batches < 50, `${batches} batches for 150 lines`);
  });

  it('goes back to waking per change once the flood stops', async () => {
    for (const l of lines('f', 30)) {
      appendFileSync(path, `${l}\n`);
      await sleep(2);
    }
    assert.equal(f.isResting, true, 'a flood should put it to rest');
    await until(() => !f.isResting);
    appendFileSync(path, 'after\n');
    await until(() => got.length === 31);
    assert.deepEqual(got, [...lines('f', 30), 'after']);
  });

  it('follows a rename rotation that happens while it rests', async () => {
    for (const l of lines('a', 20)) {
      appendFileSync(path, `${l}\n`);
      await sleep(2);
    }
    renameSync(path, `${path}.1`);
    for (const l of lines('b', 20)) {
      appendFileSync(path, `${l}\n`);
      await sleep(2);
    }
    await until(() => got.length >= 40);
    await sleep(150);
    assert.deepEqual(got, [...lines('a', 20), ...lines('b', 20)]);
  });
});
