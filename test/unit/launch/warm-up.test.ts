import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs module of the build, without types
import { warmUp } from '../../../bin/warm-up.mjs';

describe('the build warm-up', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tailroom-warm-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('survives a child that prints and exits before its input is written (EPIPE)', async () => {
    const entry = join(dir, 'page.cjs');
    // Like a page: one line out, then gone, never reading stdin.
    writeFileSync(entry, "require('fs').writeSync(1, 'Status: 200\\n'); process.exit(0);\n");
    // A big input cannot fit the pipe's buffer: the write fails once the child is gone.
    await warmUp(entry, { env: { PATH: process.env.PATH }, input: 'x'.repeat(4 * 1024 * 1024) });
    await warmUp(entry, { env: { PATH: process.env.PATH }, input: 'small' });
  });

  it('survives a child that never starts, and one that never exits (killed)', async () => {
    await warmUp(join(dir, 'missing.cjs'), { env: { PATH: process.env.PATH } });
    const hang = join(dir, 'hang.cjs');
    writeFileSync(hang, 'setInterval(() => {}, 1000);\n');
    const t = Date.now();
    await warmUp(hang, { env: { PATH: process.env.PATH }, timeoutMs: 300 });
    assert.ok(Date.now() - t < 5000);
  });
});
