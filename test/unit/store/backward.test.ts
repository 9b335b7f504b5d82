import { strict as assert } from 'node:assert';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { linesBackward } from '../../../src/store/backward.js';

/** Up to `count` lines ending at or before `end`, oldest first, and where the oldest starts. */
function lastLines(fd: number, count: number, end: number, block: number): { lines: string[]; start: number } {
  const lines: string[] = [];
  let start = end;
  for (const [line, at] of linesBackward(fd, end, block)) {
    lines.push(line);
    start = at;
    if (lines.length >= count) break;
  }
  return { lines: lines.reverse(), start };
}

describe('reading a file backwards', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tailroom-backward-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the last lines across block boundaries, skipping a partial last line, and pages back from a line start', () => {
    const path = join(dir, 'b.log');
    const all = Array.from({ length: 500 }, (_, i) => `{"n":${i},"pad":"${'x'.repeat(i % 97)}"}`);
    writeFileSync(path, `${all.join('\n')}\n{"partial":`);
    const size = statSync(path).size;
    const fd = openSync(path, 'r');
    try {
      for (const block of [16, 100, 4096, 65536]) {
        assert.deepEqual(lastLines(fd, 7, size, block).lines, all.slice(-7), `block ${block}`);
        // Page backwards from where each page starts: every line exactly once.
        const got: string[] = [];
        let end = size;
        for (let guard = 0; guard < 1000; guard++) {
          const page = lastLines(fd, 33, end, block);
          if (page.lines.length === 0) break;
          got.unshift(...page.lines);
          end = page.start;
        }
        assert.deepEqual(got, all, `block ${block}`);
      }
    } finally {
      closeSync(fd);
    }
  });
});
