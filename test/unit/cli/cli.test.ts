import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { connectUrl, renderFrame } from '../../../src/cli/connect.js';
import { MAX_INVITE_TTL_MS, parseDuration } from '../../../src/cli/invite.js';
import { pruneSessions } from '../../../src/cli/prune.js';
import { roomArg, UsageError } from '../../../src/cli/roomarg.js';
import { formatTable, humanSize } from '../../../src/cli/output.js';
import { loadConfig } from '../../../src/config.js';
import { dataDir } from '../../../src/store/datadir.js';
import { listSegments, segmentLines } from '../../../src/store/segments.js';

async function allLines(root: string, room: string): Promise<string[]> {
  const out: string[] = [];
  for (const seg of listSegments(dataDir(root), room).reverse()) for await (const l of segmentLines(seg)) out.push(l);
  return out;
}

describe('log segments (tailroom history)', () => {
  let root: string;
  let rooms: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-segments-'));
    rooms = join(root, 'rooms');
    mkdirSync(rooms);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('reads numbered, dated, gzipped and current segments oldest first', async () => {
    writeFileSync(join(rooms, 'lobby.log'), 'now 1\nnow 2\n');
    writeFileSync(join(rooms, 'lobby.log-20261121'), 'day 21\n');
    writeFileSync(join(rooms, 'lobby.log-20261120.gz'), gzipSync('day 20 a\nday 20 b\n'));
    writeFileSync(join(rooms, 'lobby.log-20251231.gz'), gzipSync('last year\n'));
    writeFileSync(join(rooms, 'lobby.log.2.gz'), gzipSync('numbered 2\n'));
    writeFileSync(join(rooms, 'lobby.log.1'), 'numbered 1\n');
    assert.deepEqual(await allLines(root, 'lobby'), ['numbered 2', 'numbered 1', 'last year', 'day 20 a', 'day 20 b', 'day 21', 'now 1', 'now 2']);
    const segs = listSegments(dataDir(root), 'lobby').reverse();
    assert.deepEqual(
      segs.map((s) => [s.gz, !s.rotated]),
      [
        [true, false],
        [false, false],
        [true, false],
        [true, false],
        [false, false],
        [false, true],
      ],
    );
  });
  it("does not mistake another room's log for a segment", async () => {
    writeFileSync(join(rooms, 'lobby.log'), 'mine\n');
    writeFileSync(join(rooms, 'lobby.log-20261120.log'), 'a room called lobby.log-20261120\n');
    writeFileSync(join(rooms, 'lobby.logbook.log'), 'a room called lobby.logbook\n');
    writeFileSync(join(rooms, 'lobby.log-20261120.lock'), '');
    assert.deepEqual(await allLines(root, 'lobby'), ['mine']);
  });
  it('gives the lines before a damaged .gz, then an error', async () => {
    const whole = gzipSync(`${Array.from({ length: 2000 }, (_, i) => `line ${i}`).join('\n')}\n`);
    writeFileSync(join(rooms, 'lobby.log-20261120.gz'), whole.subarray(0, whole.length - 40));
    const [seg] = listSegments(dataDir(root), 'lobby');
    assert.ok(seg);
    const got: string[] = [];
    await assert.rejects(async () => {
      for await (const l of segmentLines(seg)) got.push(l);
    });
    assert.equal(got[0], 'line 0');
  });
  it('has nothing for a room with no files', () => {
    assert.deepEqual(listSegments(dataDir(root), 'nowhere'), []);
  });
});

describe('admin CLI pieces', () => {
  it('aligns columns and leaves the last one unpadded', () => {
    assert.equal(
      formatTable([
        ['ROOM', 'WHO'],
        ['lobby', 'alice, bob'],
        ['café', ''],
      ]),
      'ROOM   WHO\nlobby  alice, bob\ncafé   ',
    );
  });
  it('says sizes the way du -h does', () => {
    assert.deepEqual([0, 1023, 1536, 10 * 1024 * 1024, 3 * 1024 ** 3].map(humanSize), ['0', '1023', '1.5K', '10M', '3.0G']);
  });
  it('refuses a room name that would escape the data dir, as a usage error', () => {
    for (const bad of ['../etc', '.hidden', 'a/b', '']) assert.throws(() => roomArg(bad), UsageError);
    assert.equal(roomArg('café'), 'café');
  });
  it('builds the WebSocket URL of a room from the config, or takes a URL as given', () => {
    const cfg = loadConfig({ confPath: '/nonexistent/chat.ini', env: {}, overrides: { 'server.port': 9000 } });
    assert.equal(connectUrl(cfg, 'lobby'), 'ws://127.0.0.1:9000/lobby');
    assert.equal(connectUrl(cfg, 'café au lait'), 'ws://127.0.0.1:9000/caf%C3%A9%20au%20lait');
    assert.equal(connectUrl(cfg, 'wss://chat.example.org/chat/lobby'), 'wss://chat.example.org/chat/lobby');
    assert.equal(connectUrl(cfg, 'https://chat.example.org/chat/lobby'), 'wss://chat.example.org/chat/lobby');
    const proxied = loadConfig({ confPath: '/nonexistent/chat.ini', env: {}, overrides: { 'server.public_url': 'https://example.org/chat' } });
    assert.equal(connectUrl(proxied, 'lobby'), 'wss://example.org/chat/lobby');
    const tls = loadConfig({ confPath: '/nonexistent/chat.ini', env: {}, overrides: { 'server.port': 9000, 'server.host': '0.0.0.0', 'server.tls': true } });
    assert.equal(connectUrl(tls, 'lobby'), 'wss://127.0.0.1:9000/lobby');
    assert.throws(() => connectUrl(cfg, '../x'), UsageError);
  });
  it('renders frames as text lines and hides pongs', () => {
    assert.equal(renderFrame('{"type":"info","text":"hi"}'), '*** hi');
    assert.equal(renderFrame('{"type":"error","code":"no_such_user","message":"nobody"}'), '!!! no_such_user: nobody');
    assert.equal(renderFrame('{"type":"pong"}'), undefined);
    assert.equal(renderFrame('[10:00:00] bob> already text'), '[10:00:00] bob> already text');
  });
});

describe('pruning sessions', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-prune-'));
    mkdirSync(join(root, 'sessions'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const id = (c: string) => c.repeat(43);
  const day = 24 * 3600 * 1000;

  it('removes sessions unused for N days, by the later of `seen` and mtime, and nothing else', () => {
    const now = Date.now();
    const s = (c: string, seen: number, used = seen) => {
      const path = join(root, 'sessions', id(c));
      writeFileSync(path, JSON.stringify({ name: 'x', color: '', created: '', seen: new Date(seen).toISOString() }));
      utimesSync(path, used / 1000, used / 1000);
    };
    s('a', now - 40 * day); // old
    s('b', now - 2 * day); // recent
    s('d', now - 40 * day, now - 3600_000); // saved long ago, used today (its mtime refreshed)
    writeFileSync(join(root, 'sessions', id('c')), 'not json'); // unreadable: its mtime decides
    utimesSync(join(root, 'sessions', id('c')), (now - 50 * day) / 1000, (now - 50 * day) / 1000);
    writeFileSync(join(root, 'sessions', 'README'), 'an admin note'); // not a session: kept
    writeFileSync(join(root, 'sessions', '.tmp-1-abc'), '{}'); // a crashed write, recent: kept
    const d = dataDir(root);
    assert.deepEqual(pruneSessions(d, 30, true, now).sort(), [id('a'), id('c')]);
    assert.equal(readdirSync(join(root, 'sessions')).length, 6, 'a dry run removes nothing');
    assert.deepEqual(pruneSessions(d, 30, false, now).sort(), [id('a'), id('c')]);
    assert.deepEqual(readdirSync(join(root, 'sessions')).sort(), ['.tmp-1-abc', 'README', id('b'), id('d')].sort());
  });
});

describe('tailroom invite --expires', () => {
  it('reads 30m, 12h, 7d, 2w and refuses anything else or past a year', () => {
    assert.equal(parseDuration('30m'), 30 * 60_000);
    assert.equal(parseDuration('12h'), 12 * 3_600_000);
    assert.equal(parseDuration('7d'), 7 * 86_400_000);
    assert.equal(parseDuration('2w'), 14 * 86_400_000);
    assert.equal(parseDuration('365d'), MAX_INVITE_TTL_MS);
    for (const bad of ['', '0d', '30', 'd', '1.5h', '-1h', '366d', '53w', '1y', '1e3s', '7 d', '9999999d']) assert.equal(parseDuration(bad), undefined, bad);
  });
});
