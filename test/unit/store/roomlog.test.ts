import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_LINE_BYTES } from '../../../src/store/jsonl.js';
import { REPLAY_MAX_BYTES, leaveLoggedSince, linesSince, recentLines } from '../../../src/store/roomlog.js';

const event = (i: number, extra = '') => `{"id":"e${i}","t":"2026-11-20T10:00:00.000Z","type":"msg","from":"a","color":"#000000","text":"${i}"${extra}}`;

describe('the room log read from its end (replay on join)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'tailroom-roomlog-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps only event lines, the last n, oldest first', () => {
    const path = join(dir, 'lobby.log');
    const lines = Array.from({ length: 40 }, (_, i) => (i % 2 ? event(i) : `not an event ${i}`));
    writeFileSync(path, `${lines.join('\n')}\n`);
    assert.deepEqual(recentLines(path, 3, statSync(path).size), [event(35), event(37), event(39)]);
  });

  it('skips a line over 1 MiB unread and goes on to the lines before it', () => {
    const path = join(dir, 'lobby.log');
    const huge = event(99, `,"pad":"${'x'.repeat(MAX_LINE_BYTES + 70000)}"`);
    writeFileSync(path, `${[event(1), event(2), huge, event(3), event(4)].join('\n')}\n`);
    assert.deepEqual(recentLines(path, 3, statSync(path).size), [event(2), event(3), event(4)]);
    assert.deepEqual(linesSince(path, 'e1', statSync(path).size), [event(2), event(3), event(4)]);
  });

  it('gives nothing from a log cut shorter than the end it was asked for (truncated under the reader)', () => {
    const path = join(dir, 'lobby.log');
    writeFileSync(path, `${[event(1), event(2), event(3)].join('\n')}\n`);
    const end = statSync(path).size;
    writeFileSync(path, `${event(7)}\n`); // copytruncate, then a new line: the follower reads it from 0
    assert.deepEqual(recentLines(path, 10, end), []);
    assert.equal(linesSince(path, 'e1', end), undefined);
  });

  it('looks for a ?since= id no further back than REPLAY_MAX_BYTES, counted in bytes read, not lines', () => {
    assert.equal(REPLAY_MAX_BYTES, 16 * 1024 * 1024);
    const path = join(dir, 'lobby.log');
    const pad = (i: number) => event(i, `,"pad":"${'x'.repeat(900)}"`);
    const lines = Array.from({ length: 100 }, (_, i) => pad(i));
    writeFileSync(path, `${lines.join('\n')}\n`);
    const end = statSync(path).size; // 100 lines of about 1 KB
    const reach = 50 * 1024;
    let start = 0;
    const within = lines.filter((l) => {
      const ok = start > end - reach;
      start += l.length + 1;
      return ok;
    });
    assert.ok(within.length > 40 && within.length < 60);
    const first = JSON.parse(within[0] ?? '{}').id as string;
    const before = `e${Number(first.slice(1)) - 1}`;
    assert.deepEqual(linesSince(path, first, end, reach), within.slice(1), 'within reach: found');
    assert.equal(linesSince(path, before, end, reach), undefined, 'one line further: not looked for');
    assert.deepEqual(recentLines(path, 100, end, reach), within, 'the recent history is held to the same reach');
  });

  it('answers an unknown id on a huge log at once: a 40 GB log of garbage without newlines, then events', () => {
    const path = join(dir, 'lobby.log');
    writeFileSync(path, '');
    truncateSync(path, 40 * 1024 ** 3); // sparse: no disk, but reading it all takes many seconds
    appendFileSync(path, `\n${[event(1), event(2), event(3)].join('\n')}\n`);
    const end = statSync(path).size;
    const t0 = performance.now();
    assert.equal(linesSince(path, 'nosuchid0', end), undefined);
    assert.deepEqual(recentLines(path, 20, end), [event(1), event(2), event(3)]);
    assert.deepEqual(linesSince(path, 'e1', end), [event(2), event(3)]);
    const ms = performance.now() - t0;
    assert.ok(ms < 3000, `took ${Math.round(ms)} ms`);
  });

  it('finds a leave of a name logged since a time, and only that', () => {
    const path = join(dir, 'lobby.log');
    const leave = (from: string, t: string) => `{"id":"l-${from}-${t}","t":"${t}","type":"leave","from":"${from}","color":"#000000","reason":"kicked"}`;
    writeFileSync(path, `${[leave('bob', '2026-11-20T10:00:00.000Z'), event(1), leave('carol', '2026-11-20T11:00:00.000Z')].join('\n')}\n`);
    assert.equal(leaveLoggedSince(path, 'bob', '2026-11-20T09:59:59.999Z'), true);
    assert.equal(leaveLoggedSince(path, 'bob', '2026-11-20T10:00:00.001Z'), false, 'an older leave does not count');
    assert.equal(leaveLoggedSince(path, 'alice', '2026-11-20T00:00:00.000Z'), false);
  });
});
