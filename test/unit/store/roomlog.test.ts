import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_LINE_BYTES } from '../../../src/store/jsonl.js';
import { leaveLoggedSince, linesSince, recentLines } from '../../../src/store/roomlog.js';

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

  it('finds a leave of a name logged since a time, and only that', () => {
    const path = join(dir, 'lobby.log');
    const leave = (from: string, t: string) => `{"id":"l-${from}-${t}","t":"${t}","type":"leave","from":"${from}","color":"#000000","reason":"kicked"}`;
    writeFileSync(path, `${[leave('bob', '2026-11-20T10:00:00.000Z'), event(1), leave('carol', '2026-11-20T11:00:00.000Z')].join('\n')}\n`);
    assert.equal(leaveLoggedSince(path, 'bob', '2026-11-20T09:59:59.999Z'), true);
    assert.equal(leaveLoggedSince(path, 'bob', '2026-11-20T10:00:00.001Z'), false, 'an older leave does not count');
    assert.equal(leaveLoggedSince(path, 'alice', '2026-11-20T00:00:00.000Z'), false);
  });
});
