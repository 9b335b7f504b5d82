// Read markers: the `read` message's validation, the marker files (sessions/<id>.read,
// names/.reads/<name>), the bounded unread count, and the room list showing it for the
// visitor's session, on a temp data dir with real files.

import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pruneSessions } from '../../../src/cli/prune.js';
import { type Config, loadConfig } from '../../../src/config.js';
import { respond } from '../../../src/pages/cgi.js';
import { roomsPage } from '../../../src/pages/rooms.js';
import { ProtocolError, parseClientLine } from '../../../src/shared/protocol.js';
import { dataDir } from '../../../src/store/datadir.js';
import { MAX_READ_ROOMS, readMark, readMarks, readMarksPath, saveMark } from '../../../src/store/readmarks.js';
import { listRegistrations } from '../../../src/store/registry.js';
import { newSessionId, writeSession } from '../../../src/store/sessions.js';
import { countUnread } from '../../../src/store/unread.js';

const id = (ms: number, n = 0) => `${ms.toString(36).padStart(9, '0')}-w1-${n.toString(36)}`;
const line = (ms: number, type = 'msg', n = 0) =>
  `${JSON.stringify({ id: id(ms, n), t: new Date(ms).toISOString(), type, from: 'bob', color: '#000000', text: `m${ms}` })}\n`;

describe('read markers', () => {
  let root: string;
  let cfg: Config;
  const d = () => dataDir(root);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-reads-'));
    cfg = loadConfig({ confPath: join(root, 'none.ini'), overrides: { 'server.data_dir': root }, env: {} });
    cfg.rooms = {};
    mkdirSync(join(root, 'rooms'), { recursive: true });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  describe('the read message', () => {
    it('takes a message id', () => {
      assert.deepEqual(parseClientLine(JSON.stringify({ type: 'read', ref: id(1000) })), { type: 'read', ref: id(1000) });
    });
    it('refuses anything else as bad_request', () => {
      for (const ref of [undefined, 5, '', '../../etc/passwd', 'abc', `${id(1)}x/`, { id: id(1) }]) {
        assert.throws(
          () => parseClientLine(JSON.stringify({ type: 'read', ref })),
          (e: unknown) => e instanceof ProtocolError && e.code === 'bad_request',
          String(ref),
        );
      }
    });
  });

  describe('the marker files', () => {
    it('keeps a session marker beside the session, a name marker under names/.reads, and lists no registration for it', () => {
      const s = newSessionId();
      saveMark(d(), { session: s }, 'lobby', id(5));
      assert.equal(readMarksPath(d(), { session: s }), join(root, 'sessions', `${s}.read`));
      assert.deepEqual(JSON.parse(readFileSync(join(root, 'sessions', `${s}.read`), 'utf8')), { lobby: id(5) });
      saveMark(d(), { name: 'alice' }, 'lobby', id(6));
      assert.equal(readMark(d(), { name: 'alice' }, 'lobby'), id(6));
      assert.ok(existsSync(join(root, 'names', '.reads', 'alice')));
      assert.deepEqual(listRegistrations(d()), []);
    });

    it('keeps at most MAX_READ_ROOMS rooms, the least recently read dropped', () => {
      const owner = { session: newSessionId() };
      for (let i = 0; i <= MAX_READ_ROOMS; i++) saveMark(d(), owner, `r${i}`, id(i + 1));
      saveMark(d(), owner, 'r1', id(9999)); // read again: now the newest
      const marks = readMarks(d(), owner);
      assert.equal(marks.size, MAX_READ_ROOMS);
      assert.equal(marks.has('r0'), false);
      assert.equal(marks.get('r1'), id(9999));
    });

    it('ignores a damaged file and ids of the wrong shape', () => {
      const owner = { session: newSessionId() };
      mkdirSync(join(root, 'sessions'), { recursive: true });
      writeFileSync(readMarksPath(d(), owner), '{"a":"../x","b":5,');
      assert.equal(readMarks(d(), owner).size, 0);
      writeFileSync(readMarksPath(d(), owner), JSON.stringify({ a: '../x', b: id(3) }));
      assert.deepEqual([...readMarks(d(), owner)], [['b', id(3)]]);
      assert.throws(() => saveMark(d(), owner, 'a', 'not-an-id'));
    });

    it('tailroom prune removes a session marker with its session, and one whose session is gone', () => {
      const old = newSessionId();
      const kept = newSessionId();
      const orphan = newSessionId();
      for (const s of [old, kept]) writeSession(d(), s, { name: 'x', color: '', created: '', seen: '' });
      for (const s of [old, kept, orphan]) saveMark(d(), { session: s }, 'lobby', id(1));
      const longAgo = Date.now() / 1000 - 90 * 86400;
      utimesSync(join(root, 'sessions', old), longAgo, longAgo);
      assert.deepEqual(pruneSessions(d(), 30, false), [old]);
      assert.equal(existsSync(join(root, 'sessions', `${old}.read`)), false);
      assert.equal(existsSync(join(root, 'sessions', `${orphan}.read`)), false);
      assert.ok(existsSync(join(root, 'sessions', `${kept}.read`)));
    });
  });

  describe('unread counts', () => {
    const log = join(tmpdir(), `tailroom-unread-${process.pid}.log`);
    afterEach(() => rmSync(log, { force: true }));

    it('counts the messages after the marker, not joins and leaves', () => {
      writeFileSync(log, [line(1000), line(2000), line(3000, 'join'), line(4000), line(5000, 'me')].join(''));
      assert.deepEqual(countUnread(log, id(2000)), { count: 2, more: false });
      assert.deepEqual(countUnread(log, id(5000)), { count: 0, more: false });
    });

    it('stops at an older line when the marked message is not there', () => {
      writeFileSync(log, [line(1000), line(3000), line(4000)].join(''));
      assert.deepEqual(countUnread(log, id(2000)), { count: 2, more: false });
    });

    it('reads at most the bound: past it, "at least"', () => {
      writeFileSync(log, Array.from({ length: 500 }, (_, i) => line(1000 + i)).join(''));
      assert.deepEqual(countUnread(log, id(1000)), { count: 100, more: true });
      assert.deepEqual(countUnread(log, id(1000), { lines: 1000, bytes: 2000 }).more, true);
    });
  });

  describe('the room list', () => {
    async function roomList(cookie?: string): Promise<string> {
      const env: Record<string, string> = { REQUEST_METHOD: 'GET', QUERY_STRING: '', REMOTE_ADDR: '127.0.0.1' };
      if (cookie) env.HTTP_COOKIE = cookie;
      return respond(roomsPage, { env, config: cfg, log: () => undefined });
    }

    it("shows the visitor's unread count per room with a marker, and 100+ past the bound", async () => {
      writeFileSync(join(root, 'rooms', 'lobby.log'), [line(1000), line(2000), line(3000), line(4000, 'leave')].join(''));
      writeFileSync(join(root, 'rooms', 'busy.log'), Array.from({ length: 300 }, (_, i) => line(1000 + i)).join(''));
      writeFileSync(join(root, 'rooms', 'quiet.log'), line(1000));
      const s = newSessionId();
      writeSession(d(), s, { name: 'visitor', color: '#123456', created: '', seen: '' });
      saveMark(d(), { session: s }, 'lobby', id(1000));
      saveMark(d(), { session: s }, 'busy', id(1000));
      saveMark(d(), { session: s }, 'quiet', id(1000));
      const page = await roomList(`tailroom_session=${s}`);
      assert.match(page, /lobby[\s\S]*?<span class="unread"[^>]*>2 new<\/span> · <span class="here">nobody here<\/span>/);
      assert.match(page, /busy[\s\S]*?<span class="unread"[^>]*>100\+ new</);
      assert.equal((page.match(/class="unread"/g) ?? []).length, 2, 'quiet has nothing new');
      // Someone else (no session, or another one) sees no counts.
      assert.doesNotMatch(await roomList(), /class="unread"/);
      const other = newSessionId();
      writeSession(d(), other, { name: 'other', color: '#123456', created: '', seen: '' });
      assert.doesNotMatch(await roomList(`tailroom_session=${other}`), /class="unread"/);
    });
  });
});
