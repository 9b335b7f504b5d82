import { strict as assert } from 'node:assert';
import { appendFileSync, copyFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Follower } from '../../src/follower.js';

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
      assert.deepEqual(got, Array.from({ length: 20 }, (_, i) => `line-${i}`));
    });

    it('holds a partial line until its newline arrives', async () => {
      appendFileSync(path, '{"half":');
      await sleep(150);
      assert.deepEqual(got, []);
      appendFileSync(path, '1}\n');
      await until(() => got.length === 1);
      assert.deepEqual(got, ['{"half":1}']);
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
