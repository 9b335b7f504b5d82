import { strict as assert } from 'node:assert';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Config, loadConfig } from '../../../src/config.js';
import { dataDir } from '../../../src/store/datadir.js';
import { trustedUserName } from '../../../src/identity.js';
import { readCgi } from '../../../src/request.js';
import type { RoomEvent } from '../../../src/shared/protocol.js';
import { newSessionId, readSession, sessionSecret, writeSession } from '../../../src/store/sessions.js';
import { pruneSessions } from '../../../src/cli/prune.js';
import { type Cursor, formatCursor, parseCursor, readPage } from '../../../src/store/archive.js';
import { linesBackward } from '../../../src/store/backward.js';
import { listArchive, listSegments, parseSegmentName } from '../../../src/store/segments.js';
import { inheritSettings, respond } from '../../../src/pages/cgi.js';
import { chatPage } from '../../../src/pages/chat.js';
import { historyPage } from '../../../src/pages/history.js';
import { type HttpError, MAX_QUERY_BYTES, type PageHandler, redirect, requestFromCgi, serializeResponse } from '../../../src/pages/http.js';
import { roomsPage } from '../../../src/pages/rooms.js';
import { compileSearch } from '../../../src/pages/search.js';
import { renderMarkdown, toHtml } from '../../../src/shared/markdown.js';
import { csrfToken } from '../../../src/pages/forms.js';
import { settingsPage } from '../../../src/pages/settings.js';
import { checkHtml } from '../../helpers/html.js';

let seq = 0;
function ev(type: string, fields: Record<string, unknown>, t = '2026-11-20T10:00:00.000Z'): string {
  return JSON.stringify({ id: `${(seq++).toString(36).padStart(9, '0')}-test-0`, t, type, ...fields });
}
const msg = (from: string, text: string, t?: string) => ev('msg', { from, color: '#2e86c1', text }, t);

interface Parsed {
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

function parse(out: string): Parsed {
  const split = out.indexOf('\r\n\r\n');
  const headers: Record<string, string[]> = {};
  let status = 0;
  for (const line of out.slice(0, split).split('\r\n')) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') status = Number(value.split(' ')[0]);
    else headers[name] = [...(headers[name] ?? []), value];
  }
  return { status, headers, body: out.slice(split + 4) };
}

/** The first value of a header the response must have. */
function header(r: Parsed, name: string): string {
  const value = r.headers[name]?.[0];
  assert.ok(value !== undefined, `no ${name} header`);
  return value;
}

/** What the first group of `re` matched in `text`, which must match. */
function captured(re: RegExp, text: string): string {
  const value = re.exec(text)?.[1];
  assert.ok(value !== undefined, `no match for ${re}`);
  return value;
}

describe('pages', () => {
  let root: string;
  let cfg: Config;
  const d = () => dataDir(root);
  const logs: string[] = [];

  async function get(handler: PageHandler, query = '', env: Record<string, string> = {}): Promise<Parsed> {
    return parse(
      await respond(handler, { env: { REQUEST_METHOD: 'GET', QUERY_STRING: query, REMOTE_ADDR: '127.0.0.1', ...env }, config: cfg, log: (l) => logs.push(l) }),
    );
  }

  async function post(handler: PageHandler, body: string, env: Record<string, string> = {}): Promise<Parsed> {
    const full = {
      REQUEST_METHOD: 'POST',
      QUERY_STRING: '',
      CONTENT_TYPE: 'application/x-www-form-urlencoded',
      CONTENT_LENGTH: String(Buffer.byteLength(body)),
      REMOTE_ADDR: '127.0.0.1',
      ...env,
    };
    return parse(await respond(handler, { env: full, config: cfg, readBody: () => Buffer.from(body), log: (l) => logs.push(l) }));
  }

  function writeLog(file: string, lines: string[]): void {
    mkdirSync(join(root, 'rooms'), { recursive: true });
    writeFileSync(join(root, 'rooms', file), lines.map((l) => `${l}\n`).join(''));
  }

  function present(room: string, name: string, color: string): void {
    mkdirSync(join(root, 'users', room, name), { recursive: true });
    writeFileSync(join(root, 'users', room, name, 'info'), JSON.stringify({ name, color, pid: process.pid, host: 'x', since: '' }));
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-pages-'));
    cfg = loadConfig({ confPath: join(root, 'none.ini'), overrides: { 'server.data_dir': root }, env: {} });
    cfg.rooms = { lobby: 'Where everyone starts' };
    logs.length = 0;
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  describe('reading logs backwards', () => {
    function lines(content: string, block: number, end?: number): [string, number][] {
      const path = join(root, 'f');
      writeFileSync(path, content);
      const fd = openSync(path, 'r');
      try {
        return [...linesBackward(fd, end ?? Buffer.byteLength(content), block)];
      } finally {
        closeSync(fd);
      }
    }

    it('yields complete lines newest first with their offsets, whatever the block size', () => {
      const content = 'alpha\nbé\n\ngamma-long-line\nunfinished';
      for (const block of [1, 2, 3, 5, 64, 65536]) {
        assert.deepEqual(
          lines(content, block),
          [
            ['gamma-long-line', 11],
            ['bé', 6],
            ['alpha', 0],
          ],
          `block ${block}`,
        );
      }
    });

    it('stops at a cursor: only lines that end before it', () => {
      assert.deepEqual(lines('a\nbb\nccc\n', 4, 5), [
        ['bb', 2],
        ['a', 0],
      ]);
    });
  });

  describe('the archive', () => {
    it('recognises current, rotated and gzipped segments and ignores everything else', () => {
      assert.deepEqual(parseSegmentName('lobby.log'), { room: 'lobby', date: undefined, gz: false });
      assert.deepEqual(parseSegmentName('lobby.log-20261120'), { room: 'lobby', date: '20261120', gz: false });
      assert.deepEqual(parseSegmentName('lobby.log-20261120.gz'), { room: 'lobby', date: '20261120', gz: true });
      assert.deepEqual(parseSegmentName('a.log-b.log'), { room: 'a.log-b', date: undefined, gz: false });
      assert.deepEqual(parseSegmentName('lobby.log.1'), { room: 'lobby', number: 1, gz: false });
      assert.deepEqual(parseSegmentName('lobby.log.12.gz'), { room: 'lobby', number: 12, gz: true });
      for (const bad of ['.hidden.log', 'lobby.log.gz', 'lobby.txt', 'lobby.log-x', '..log', 'lobby.log.1234567'])
        assert.equal(parseSegmentName(bad), undefined, bad);
    });

    it('reads numbered segments (logrotate without dateext) after the dated ones, .1 newest', async () => {
      writeLog('lobby.log', [msg('a', 'now')]);
      writeLog('lobby.log-20261119', [msg('a', 'dated')]);
      writeLog('lobby.log.1', [msg('a', 'one')]);
      writeFileSync(join(root, 'rooms', 'lobby.log.2.gz'), gzipSync(`${msg('a', 'two')}\n`));
      writeLog('lobby.log.10', [msg('a', 'ten')]);
      const segments = listSegments(d(), 'lobby');
      assert.deepEqual(
        segments.map((s) => s.file),
        ['lobby.log', 'lobby.log-20261119', 'lobby.log.1', 'lobby.log.2.gz', 'lobby.log.10'],
      );
      // Paged one event at a time from the newest: every segment, each cursor round-trips.
      const texts: string[] = [];
      let before: ReturnType<typeof parseCursor>;
      for (let i = 0; i < 10; i++) {
        const p = await readPage(segments, { before, pageSize: 1, budget: 1 << 20 });
        texts.push(...p.events.map((e) => (e.type === 'msg' ? (e.text ?? '') : '')));
        if (!p.older) break;
        before = parseCursor(formatCursor(p.older));
        assert.ok(before, `cursor ${formatCursor(p.older)} parses`);
      }
      assert.deepEqual(texts, ['now', 'dated', 'one', 'two', 'ten']);
    });

    it('lists one room newest first and never another room sharing its prefix', () => {
      writeLog('lobby.log', [msg('a', 'now')]);
      writeLog('lobby.log-20261118', [msg('a', 'old')]);
      writeLog('lobby.log-20261119', [msg('a', 'older')]);
      writeFileSync(join(root, 'rooms', 'lobby.log-20261117.gz'), gzipSync(`${msg('a', 'oldest')}\n`));
      writeLog('lobby2.log', [msg('b', 'elsewhere')]);
      assert.deepEqual(
        listSegments(d(), 'lobby').map((s) => s.file),
        ['lobby.log', 'lobby.log-20261119', 'lobby.log-20261118', 'lobby.log-20261117.gz'],
      );
      assert.deepEqual([...listArchive(d()).keys()].sort(), ['lobby', 'lobby2']);
    });

    it('pages from the newest event back to the first, across rotated and gzipped segments, each event once', async () => {
      const all: string[] = [];
      const make = (n: number, tag: string) => Array.from({ length: n }, (_, i) => msg('a', `${tag}-${i}`));
      const gz = make(7, 'gz');
      const rotated = make(5, 'rot');
      const current = make(9, 'cur');
      all.push(...gz, ...rotated, ...current);
      mkdirSync(join(root, 'rooms'));
      writeFileSync(join(root, 'rooms', 'lobby.log-20261118.gz'), gzipSync(`${gz.join('\n')}\n`));
      writeLog('lobby.log-20261119', rotated);
      writeLog('lobby.log-20261120', []); // empty: skipped
      writeLog('lobby.log', current);
      appendFileSync(join(root, 'rooms', 'lobby.log'), '{"id":"half-writ'); // a line being written
      const segments = listSegments(d(), 'lobby');
      const seen: RoomEvent[] = [];
      let before: ReturnType<typeof parseCursor>;
      let pages = 0;
      do {
        const p = await readPage(segments, { before, pageSize: 4, budget: 1 << 20 });
        assert.ok(p.events.length <= 4);
        seen.unshift(...p.events);
        before = p.older && parseCursor(formatCursor(p.older));
        pages++;
      } while (before && pages < 20);
      assert.deepEqual(
        seen.map((e) => (e.type === 'msg' ? e.text : '')),
        all.map((l) => (JSON.parse(l) as { text: string }).text),
      );
      assert.equal(pages, Math.ceil(all.length / 4));
    });

    it('never shows whispers, signaling or lines that are not events', async () => {
      writeLog('lobby.log', [
        msg('a', 'visible'),
        ev('whisper', { from: 'a', to: 'b', text: 'secret whisper' }),
        ev('signal', { from: 'a', data: { sdp: 'x' } }),
        'not json at all',
        '{"id":"x","type":"msg"}',
      ]);
      const p = await readPage(listSegments(d(), 'lobby'), { pageSize: 50, budget: 1 << 20 });
      assert.deepEqual(
        p.events.map((e) => e.type),
        ['msg'],
      );
    });

    it('stops a search at its byte budget and continues from there', async () => {
      const lines = Array.from({ length: 200 }, (_, i) => msg('a', i === 3 ? 'the needle' : `hay ${i}`));
      writeLog('lobby.log', lines);
      const segments = listSegments(d(), 'lobby');
      const s = compileSearch('NEEDLE');
      const first = await readPage(segments, { pageSize: 10, budget: 2000, filter: s.filter });
      assert.equal(first.events.length, 0);
      assert.equal(first.partial, true);
      assert.ok(first.older);
      let found: RoomEvent[] = [];
      let before: Cursor | undefined = first.older;
      for (let i = 0; i < 100 && before && !found.length; i++) {
        const p = await readPage(segments, { before, pageSize: 10, budget: 2000, filter: s.filter });
        found = p.events;
        before = p.older;
      }
      assert.deepEqual(
        found.map((e) => (e.type === 'msg' ? e.text : '')),
        ['the needle'],
      );
    });

    it('holds a search to its budget in a .gz segment too, and offers to go on past it', async () => {
      const hay = Array.from({ length: 20000 }, (_, i) => msg('a', `hay ${i} ${'x'.repeat(100)}`));
      const gz = [msg('a', 'old needle'), ...hay, msg('a', 'new needle')];
      mkdirSync(join(root, 'rooms'));
      writeFileSync(join(root, 'rooms', 'lobby.log-20261118'), `${msg('a', 'oldest needle')}\n`);
      writeFileSync(join(root, 'rooms', 'lobby.log-20261119.gz'), gzipSync(`${gz.join('\n')}\n`));
      writeLog('lobby.log', [msg('a', 'current needle'), msg('a', 'chatter')]);
      const segments = listSegments(d(), 'lobby');
      const budget = 256 * 1024;
      const s = compileSearch('needle');
      const texts = (p: { events: RoomEvent[] }) => p.events.map((e) => (e.type === 'msg' ? e.text : ''));

      // The current log, then the 2.5 MB segment does not fit what is left: it waits its turn.
      const first = await readPage(segments, { pageSize: 10, budget, filter: s.filter });
      assert.deepEqual(texts(first), ['current needle']);
      assert.equal(first.partial, true);
      assert.equal(first.older?.key, '20261119.gz');
      assert.equal(first.cut, undefined);

      // On its own it is unpacked up to the budget only, and the search goes on past it.
      const second = await readPage(segments, { before: first.older, pageSize: 10, budget, filter: s.filter });
      assert.deepEqual(texts(second), ['old needle']);
      assert.equal(second.partial, true);
      assert.ok(second.cut && second.cut.searched > budget - 1024 && second.cut.searched < budget + 128 * 1024, JSON.stringify(second.cut));
      assert.equal(second.cut.file, 'lobby.log-20261119.gz');
      assert.equal(second.older?.key, '20261118');
      const third = await readPage(segments, { before: second.older, pageSize: 10, budget, filter: s.filter });
      assert.deepEqual(texts(third), ['oldest needle']);

      // Browsing (no search) still reads the segment to its end.
      const browse = await readPage(segments, { before: first.older, pageSize: 1, budget });
      assert.deepEqual(texts(browse), ['new needle']);

      // And the page says what happened.
      cfg.chat.history_search_mb = 1;
      writeFileSync(join(root, 'rooms', 'lobby.log-20261119.gz'), gzipSync(`${[...gz, ...gz].join('\n')}\n`));
      const page = await get(historyPage, 'room=lobby&q=needle&before=20261119.gz');
      assert.equal(page.status, 200);
      assert.match(page.body, /Searched only the first 10\d\d KB of lobby\.log-20261119\.gz/);
      assert.match(page.body, />Search older</);
    });
  });

  describe('search', () => {
    it('matches case-insensitively, also text that JSON escapes, and marks every hit', async () => {
      writeLog('lobby.log', [msg('a', 'Say "Hello" \\ World'), msg('a', 'nothing'), ev('me', { from: 'a', text: 'waves HELLO' })]);
      const segs = listSegments(d(), 'lobby');
      const hello = await readPage(segs, { pageSize: 10, budget: 1 << 20, filter: compileSearch('hello').filter });
      assert.equal(hello.events.length, 2);
      const quoted = await readPage(segs, { pageSize: 10, budget: 1 << 20, filter: compileSearch('"hello" \\').filter });
      assert.equal(quoted.events.length, 1);
      // The hits as the history page marks them: through the message renderer.
      const hits = compileSearch('HELLO').re;
      assert.equal(toHtml(renderMarkdown('a Hello hello', { base: 'http://x/', emoticons: 'http://x/e/', hits })), 'a <mark>Hello</mark> <mark>hello</mark>');
      assert.equal(compileSearch('a.b').filter.line?.('axb'), false, 'regex characters are literal');
    });
  });

  describe('http', () => {
    it('refuses a long query before parsing it, and a non-form POST', () => {
      assert.throws(
        () => requestFromCgi({ QUERY_STRING: `q=${'x'.repeat(MAX_QUERY_BYTES)}` }, () => Buffer.alloc(0)),
        (e: HttpError) => e.status === 414,
      );
      assert.throws(
        () => requestFromCgi({ REQUEST_METHOD: 'POST', CONTENT_LENGTH: '5', CONTENT_TYPE: 'application/json' }, () => Buffer.from('{}')),
        (e: HttpError) => e.status === 415,
      );
      assert.throws(
        () => requestFromCgi({ REQUEST_METHOD: 'POST', CONTENT_LENGTH: '999999' }, () => Buffer.alloc(0)),
        (e: HttpError) => e.status === 413,
      );
    });

    it("reads a GET without touching stdin, and a form POST of its declared length whatever its media type's parameters", () => {
      const get = requestFromCgi({ QUERY_STRING: 'room=lobby', HTTP_HOST: 'chat.example', HTTP_X_FORWARDED_PROTO: 'https, http' }, () => {
        throw new Error('a GET read stdin');
      });
      assert.deepEqual([get.method, get.query.get('room'), get.host, get.https], ['GET', 'lobby', 'chat.example', true]);
      const lengths: number[] = [];
      const post = requestFromCgi({ REQUEST_METHOD: 'post', CONTENT_LENGTH: '6', CONTENT_TYPE: 'Application/X-WWW-Form-Urlencoded; charset=UTF-8' }, (n) => {
        lengths.push(n);
        return Buffer.from('name=a');
      });
      assert.deepEqual([post.method, post.form.get('name'), post.https, lengths], ['POST', 'a', false, [6]]);
    });

    it('never emits a header with a line break', () => {
      assert.throws(() => serializeResponse(redirect('x\r\nSet-Cookie: evil=1')));
    });
  });

  describe('the room list', () => {
    it('lists rooms with logs, configured rooms, rooms with people and who is there in their colours', async () => {
      writeLog('dev.log', [msg('a', 'hi')]);
      present('quiet', 'zoe', '#16a085');
      present('quiet', 'amy', 'red; background: url(x)'); // an edited info file
      const r = await get(roomsPage);
      assert.equal(r.status, 200);
      assert.deepEqual(checkHtml(r.body), []);
      const names = [...r.body.matchAll(/<h2><a href="chat\?room&#x3D;[^"]*">([^<]*)<\/a><\/h2>/g)].map((m) => m[1]);
      assert.deepEqual(names, ['lobby', 'quiet', 'dev']);
      assert.match(r.body, /Where everyone starts/);
      assert.match(r.body, /background-color: #16a085"><\/span>zoe/);
      assert.doesNotMatch(r.body, /url\(x\)/);
      assert.match(r.body, /<span class="swatch" style="background-color: #[0-9a-f]{6}"><\/span>amy/);
    });

    it('follows the directory: a touched log appears, a removed one disappears', async () => {
      writeLog('new.log', []);
      assert.match((await get(roomsPage)).body, />new</);
      rmSync(join(root, 'rooms', 'new.log'));
      assert.doesNotMatch((await get(roomsPage)).body, />new</);
    });

    it('pages through many rooms, the most recently active first, and refuses a bad page number', async () => {
      const { utimesSync } = await import('node:fs');
      for (let i = 0; i < 150; i++) {
        writeLog(`r${i}.log`, [msg('a', 'x')]);
        utimesSync(join(root, 'rooms', `r${i}.log`), 1000 + i, 1000 + i);
      }
      const first = await get(roomsPage);
      const count = (body: string) => (body.match(/<li class="room">/g) ?? []).length;
      assert.equal(count(first.body), 100);
      assert.match(first.body, /<h2><a href="chat\?room&#x3D;r149">r149<\/a>/, 'newest first after the configured room');
      assert.match(first.body, /href="rooms\?page&#x3D;2"/);
      const second = await get(roomsPage, 'page=2');
      assert.equal(count(second.body), 51); // lobby (configured) is on page 1
      assert.match(second.body, />r0</);
      assert.deepEqual(checkHtml(second.body), []);
      assert.equal((await get(roomsPage, 'page=3')).status, 404);
      assert.equal((await get(roomsPage, 'page=0')).status, 400);
      assert.equal((await get(roomsPage, 'page=..%2F')).status, 400);
      const index = await get(historyPage, 'page=2');
      assert.equal(index.status, 200);
      assert.equal((index.body.match(/<section class="archive">/g) ?? []).length, 50);
    });

    it('enters a valid room by redirect and explains an invalid name, escaped', async () => {
      const ok = await get(roomsPage, 'enter=caf%C3%A9%20talk');
      assert.equal(ok.status, 303);
      assert.equal(header(ok, 'location'), 'chat?room=caf%C3%A9%20talk');
      const bad = await get(roomsPage, 'enter=%3Cscript%3E..%2F');
      assert.equal(bad.status, 400);
      assert.doesNotMatch(bad.body, /<script>/);
      assert.match(bad.body, /value="&lt;script&gt;..\/"/);
      assert.deepEqual(checkHtml(bad.body), []);
    });
  });

  describe('history', () => {
    it('indexes every room newest first with size and date, hiding empty segments and rooms', async () => {
      writeLog('old.log', [msg('a', 'x', '2026-01-01T00:00:00.000Z')]);
      writeLog('empty.log', []);
      writeLog('lobby.log', [msg('a', 'hello')]);
      writeLog('lobby.log-20261119', []);
      writeFileSync(join(root, 'rooms', 'lobby.log-20261118.gz'), gzipSync(`${msg('a', 'zipped')}\n`));
      writeFileSync(join(root, 'rooms', 'lobby.log-20261117.gz'), gzipSync(''));
      const { utimesSync } = await import('node:fs');
      utimesSync(join(root, 'rooms', 'old.log'), 1000, 1000);
      const r = await get(historyPage);
      assert.equal(r.status, 200);
      assert.deepEqual(checkHtml(r.body), []);
      const files = [...r.body.matchAll(/<td><a href="[^"]*">([^<]*)<\/a><\/td>/g)].map((m) => m[1]);
      assert.deepEqual(files, ['lobby.log', 'lobby.log-20261118.gz', 'old.log']);
      assert.match(r.body, /unpacked/);
      assert.doesNotMatch(r.body, /empty/);
    });

    it('shows each message as it stands now: the latest text with (edited), "message deleted", no edit or delete items', async () => {
      const draft = msg('amy', 'first draft', '2026-11-20T10:00:00.000Z');
      const gone = msg('bob', 'to be removed', '2026-11-20T10:00:01.000Z');
      const blanked = msg('bob', '              ', '2026-11-20T10:00:02.000Z'); // redacted, its delete on another page
      const ref = (line: string) => (JSON.parse(line) as { id: string }).id;
      writeLog('lobby.log', [
        draft,
        gone,
        blanked,
        ev('edit', { from: 'amy', ref: ref(draft), text: 'second draft' }, '2026-11-20T10:05:00.000Z'),
        ev('edit', { from: 'bob', ref: ref(draft), text: "not bob's to edit" }, '2026-11-20T10:05:01.000Z'),
        ev('delete', { from: 'bob', ref: ref(gone) }, '2026-11-20T10:06:00.000Z'),
      ]);
      const r = await get(historyPage, 'room=lobby');
      assert.equal(r.status, 200);
      assert.deepEqual(checkHtml(r.body), []);
      assert.match(
        r.body,
        /<span class="text">second draft<\/span> <span class="edited" title="sent 2026-11-20 10:00, edited 2026-11-20 10:05">\(edited\)<\/span>/,
      );
      assert.doesNotMatch(r.body, /first draft|to be removed|not bob/);
      assert.equal((r.body.match(/message deleted/g) ?? []).length, 2);
      assert.equal((r.body.match(/<li class="event /g) ?? []).length, 3, 'three messages, no edit or delete items');
    });

    it('shows a room with dates, folded joins and leaves, escaped text and highlighted matches', async () => {
      writeLog('lobby.log', [
        ev('join', { from: 'amy', color: '#c0392b' }, '2026-11-19T10:00:00.000Z'),
        ev('join', { from: 'bob', color: '#2e86c1' }, '2026-11-19T10:00:01.000Z'),
        msg('amy', 'hi <script>alert(1)</script> there', '2026-11-19T10:00:02.000Z'),
        ev('me', { from: 'bob', text: 'waves' }, '2026-11-20T10:00:03.000Z'),
        ev('leave', { from: 'bob', color: '#2e86c1', reason: 'closed' }, '2026-11-20T10:00:04.000Z'),
      ]);
      const r = await get(historyPage, 'room=lobby');
      assert.equal(r.status, 200);
      assert.deepEqual(checkHtml(r.body), []);
      assert.doesNotMatch(r.body, /<script>/);
      assert.match(r.body, /hi &lt;script&gt;alert\(1\)&lt;\/script&gt; there/);
      assert.equal((r.body.match(/<section class="day">/g) ?? []).length, 2, 'two days');
      assert.match(r.body, /<details><summary>amy joined · bob joined<\/summary>/);
      const open = await get(historyPage, 'room=lobby&joins=open');
      assert.match(open.body, /<details open>/);
      const found = await get(historyPage, 'room=lobby&q=%3Cscript%3E');
      assert.match(found.body, /<mark>&lt;script&gt;<\/mark>/);
      assert.match(found.body, /value="&lt;script&gt;"/);
      assert.doesNotMatch(found.body, /waves/);
      assert.deepEqual(checkHtml(found.body), []);
    });

    it('links to the older page with a cursor that resolves', async () => {
      cfg.chat.history_page_size = 2;
      writeLog('lobby.log', [msg('a', 'one'), msg('a', 'two'), msg('a', 'three')]);
      const r = await get(historyPage, 'room=lobby');
      assert.doesNotMatch(r.body, /one/);
      const q = captured(/<a rel="prev" href="([^"]+)">Older<\/a>/, r.body)
        .replace(/&amp;/g, '&')
        .replace(/&#x3D;/g, '=')
        .replace(/^history\?/, '');
      const next = await get(historyPage, q);
      assert.equal(next.status, 200);
      assert.match(next.body, /one/);
      assert.doesNotMatch(next.body, /three/);
    });

    it('refuses hostile and malformed parameters with a 400 or 404 page, never a trace', async () => {
      writeLog('lobby.log', [msg('a', 'x')]);
      for (const [query, status] of [
        ['room=..%2F..%2Fetc%2Fpasswd', 400],
        ['room=.hidden', 400],
        ['room=nosuchroom', 404],
        ['room=lobby&before=..%2Fx:1', 400],
        ['room=lobby&before=20200101:5', 404],
        [`room=lobby&q=${'x'.repeat(201)}`, 400],
      ] as const) {
        const r = await get(historyPage, query);
        assert.equal(r.status, status, query);
        assert.deepEqual(checkHtml(r.body), [], query);
        assert.doesNotMatch(r.body, /at .*\.ts:\d+|Error:/, query);
      }
      const post = await parse(await respond(historyPage, { env: { REQUEST_METHOD: 'DELETE' }, config: cfg }));
      assert.equal(post.status, 405);
      assert.deepEqual(post.headers.allow, ['GET']);
    });

    it('runs at most chat.max_concurrent_searches searches at once: one more gets a 503, stale slots are taken back', async () => {
      writeLog('lobby.log', [msg('a', 'the needle')]);
      const slots = join(root, '.searches');
      mkdirSync(slots);
      const slot = (pid: number) => join(slots, `${hostname()}.${pid}`);
      // Two searches of live processes hold the two slots (pid 1 and our parent never end first).
      writeFileSync(slot(1), '');
      writeFileSync(slot(process.ppid), '');
      writeFileSync(join(slots, 'otherhost.1234'), ''); // another host's: not ours to count or remove
      const busy = await get(historyPage, 'room=lobby&q=needle');
      assert.equal(busy.status, 503);
      assert.deepEqual(busy.headers['retry-after'], ['5']);
      assert.match(busy.body, /Too many searches right now, try again in a moment/);
      assert.deepEqual(checkHtml(busy.body), []);
      const browse = await get(historyPage, 'room=lobby');
      assert.equal(browse.status, 200, 'reading without a search takes no slot');

      // A slot of a dead process, and one older than any search runs, are taken back.
      const dead = spawnSync(process.execPath, ['-e', '0']).pid;
      rmSync(slot(process.ppid));
      writeFileSync(slot(dead), '');
      const old = new Date(Date.now() - 10 * 60 * 1000);
      utimesSync(slot(1), old, old);
      const ok = await get(historyPage, 'room=lobby&q=needle');
      assert.equal(ok.status, 200);
      assert.match(ok.body, /<mark>needle<\/mark>/);
      assert.deepEqual(readdirSync(slots), ['otherhost.1234'], 'stale slots removed, ours released');
      cfg.chat.max_concurrent_searches = 1;
      writeFileSync(slot(process.ppid), '');
      assert.equal((await get(historyPage, 'room=lobby&q=needle')).status, 503);
    });

    it('turns an unexpected failure into a 500 page and logs the stack', async () => {
      const r = parse(
        await respond(
          () => {
            throw new Error('kaboom secret');
          },
          { env: {}, config: cfg, log: (l) => logs.push(l) },
        ),
      );
      assert.equal(r.status, 500);
      assert.doesNotMatch(r.body, /kaboom/);
      assert.match(logs.join('\n'), /kaboom secret/);
    });
  });

  describe('settings', () => {
    it('gives a new browser an HttpOnly, SameSite=Lax cookie, Secure only over HTTPS', async () => {
      const plain = await get(settingsPage);
      assert.equal(plain.status, 200);
      assert.deepEqual(checkHtml(plain.body), []);
      const cookie = header(plain, 'set-cookie');
      assert.match(cookie, /^tailroom_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/; HttpOnly; SameSite=Lax$/);
      const secure = await get(settingsPage, '', { HTTP_X_FORWARDED_PROTO: 'https' });
      assert.match(header(secure, 'set-cookie'), /; Secure/);
      assert.match(header(plain, 'cache-control'), /no-store/);
      assert.match(header(plain, 'content-security-policy'), /frame-ancestors 'none'/);
      assert.deepEqual(plain.headers['x-content-type-options'], ['nosniff']);
    });

    /** A GET of settings as a new browser: the cookie it is given and the form's token. */
    async function fresh(env: Record<string, string> = {}): Promise<{ id: string; cookie: string; token: string }> {
      const page = await get(settingsPage, '', env);
      const id = captured(/^tailroom_session=([A-Za-z0-9_-]{43});/, header(page, 'set-cookie'));
      return { id, cookie: `tailroom_session=${id}`, token: captured(/name="csrf" value="([^"]+)"/, page.body) };
    }

    const sessionFiles = () => readdirSync(join(root, 'sessions')).filter((f) => !f.startsWith('.'));

    it('saves name and colour with the right CSRF token and refuses without it', async () => {
      const { id, cookie, token } = await fresh();
      assert.deepEqual(sessionFiles(), [], 'a page view writes no session');
      assert.equal(token, csrfToken(sessionSecret(d()), id));

      const forged = await post(settingsPage, 'name=mallory&color=%23000000&csrf=wrong', { HTTP_COOKIE: cookie });
      assert.equal(forged.status, 403);
      const none = await post(settingsPage, `name=mallory&color=%23000000&csrf=${token}`);
      assert.equal(none.status, 403, 'no cookie, no save');
      assert.equal(readSession(d(), id), undefined);

      const bad = await post(settingsPage, `name=a%20b&color=nope&csrf=${token}`, { HTTP_COOKIE: cookie });
      assert.equal(bad.status, 400);
      assert.deepEqual(checkHtml(bad.body), []);
      assert.equal(readSession(d(), id), undefined);

      const ok = await post(settingsPage, `name=alice&color=teal&csrf=${token}`, { HTTP_COOKIE: cookie });
      assert.equal(ok.status, 303);
      assert.equal(header(ok, 'location'), 'settings?saved=1');
      const s = readSession(d(), id);
      assert.equal(s?.name, 'alice');
      assert.equal(s.color, '#008080');
      assert.equal(s.csrf, undefined, 'the token is derived, never stored');
      const again = await get(settingsPage, 'saved=1', { HTTP_COOKIE: cookie });
      assert.equal(again.headers['set-cookie'], undefined, 'a stored session keeps its cookie');
      assert.match(again.body, /value="alice"/);
      assert.match(again.body, /Saved/);
      assert.equal(captured(/name="csrf" value="([^"]+)"/, again.body), token);
    });

    it('never turns a made-up cookie id into a file: its visitor gets a fresh id', async () => {
      const madeUp = newSessionId();
      const cookie = `tailroom_session=${madeUp}`;
      const page = await get(settingsPage, '', { HTTP_COOKIE: cookie });
      const given = captured(/^tailroom_session=([A-Za-z0-9_-]{43});/, header(page, 'set-cookie'));
      assert.notEqual(given, madeUp);
      assert.notEqual(captured(/name="csrf" value="([^"]+)"/, page.body), csrfToken(sessionSecret(d()), madeUp));
      // The old token, derived from the id alone, and any other guess are refused.
      const old = createHash('sha256').update(`tailroom csrf\0${madeUp}`).digest('base64url');
      for (const token of [old, 'wrong', '']) {
        const r = await post(settingsPage, `name=mallory&color=%23000000&csrf=${token}`, { HTTP_COOKIE: cookie });
        assert.equal(r.status, 403);
        const next = captured(/^tailroom_session=([A-Za-z0-9_-]{43});/, header(r, 'set-cookie'));
        assert.notEqual(next, madeUp, 'the refusal hands out a fresh id');
      }
      assert.deepEqual(sessionFiles(), []);
    });

    it('refuses a POST whose Origin is another site, takes one from ours', async () => {
      const { id, cookie, token } = await fresh();
      const body = `name=alice&color=%23000000&csrf=${token}`;
      for (const origin of ['https://evil.example', 'null']) {
        const r = await post(settingsPage, body, { HTTP_COOKIE: cookie, HTTP_HOST: 'chat.example:8080', HTTP_ORIGIN: origin });
        assert.equal(r.status, 403, origin);
      }
      assert.equal(readSession(d(), id), undefined);
      const ok = await post(settingsPage, body, { HTTP_COOKIE: cookie, HTTP_HOST: 'chat.example:8080', HTTP_ORIGIN: 'http://chat.example:8080' });
      assert.equal(ok.status, 303);
    });

    it('keeps sessions written before: a stored csrf field is not a token, the HMAC is', async () => {
      const id = newSessionId();
      const old = createHash('sha256').update(`tailroom csrf\0${id}`).digest('base64url');
      writeSession(d(), id, { name: 'bob', color: '#000000', created: '', seen: '', csrf: old });
      const cookie = `tailroom_session=${id}`;
      const r = await post(settingsPage, `name=bob2&color=%23000000&csrf=${old}`, { HTTP_COOKIE: cookie });
      assert.equal(r.status, 403);
      assert.equal(r.headers['set-cookie'], undefined, 'a stored session keeps its id');
      const page = await get(settingsPage, '', { HTTP_COOKIE: cookie });
      assert.match(page.body, /value="bob"/);
      const ok = await post(settingsPage, `name=bob2&color=%23000000&csrf=${captured(/name="csrf" value="([^"]+)"/, page.body)}`, { HTTP_COOKIE: cookie });
      assert.equal(ok.status, 303);
      assert.equal(readSession(d(), id)?.name, 'bob2');
    });

    it('takes a session an admin wrote by hand (no csrf field): its name is used and it can save', async () => {
      const id = newSessionId();
      mkdirSync(join(root, 'sessions'));
      writeFileSync(join(root, 'sessions', id), '{"name":"dora","color":"#112233"}\n');
      const cookie = `tailroom_session=${id}`;
      const page = await get(settingsPage, '', { HTTP_COOKIE: cookie });
      assert.equal(page.headers['set-cookie'], undefined);
      assert.match(page.body, /value="dora"/);
      const chat = await get(chatPage, 'room=lobby', { HTTP_COOKIE: cookie });
      assert.match(chat.body, /dora/);
      const token = captured(/name="csrf" value="([^"]+)"/, page.body);
      const ok = await post(settingsPage, `name=dora&color=%23445566&csrf=${token}`, { HTTP_COOKIE: cookie });
      assert.equal(ok.status, 303);
      assert.equal(readSession(d(), id)?.color, '#445566');
    });

    it('makes one secret, mode 0600, whoever gets there first', async function () {
      this.timeout(90_000); // three processes that load tsx, on a busy machine
      const pages = await Promise.all(Array.from({ length: 4 }, () => fresh()));
      const secret = join(root, 'sessions', '.secret');
      assert.equal(statSync(secret).mode & 0o777, 0o600);
      assert.equal(readFileSync(secret).length, 32);
      for (const p of pages) assert.equal(p.token, csrfToken(readFileSync(secret), p.id));
      assert.deepEqual(readdirSync(join(root, 'sessions')), ['.secret'], 'no temp file left');
      // Two processes racing: both end up with the same secret.
      const script = `import { dataDir } from './src/store/datadir.ts'; import { sessionSecret } from './src/store/sessions.ts';
        process.stdout.write(sessionSecret(dataDir(process.argv[1])).toString('hex'));`;
      rmSync(join(root, 'sessions'), { recursive: true });
      const run = () =>
        new Promise<string>((res, rej) =>
          execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, root], { timeout: 80_000 }, (e, out) => (e ? rej(e) : res(out))),
        );
      const [a, b, c] = await Promise.all([run(), run(), run()]);
      assert.equal(a.length, 64);
      assert.ok(a === b && b === c);
      assert.equal(readFileSync(secret).toString('hex'), a);
    });

    it('refreshes the mtime of a session used after a day, so prune keeps it', async () => {
      const id = newSessionId();
      const longAgo = new Date(Date.now() - 40 * 24 * 3600 * 1000);
      writeSession(d(), id, { name: 'erin', color: '#000000', created: longAgo.toISOString(), seen: longAgo.toISOString() });
      const path = join(root, 'sessions', id);
      utimesSync(path, longAgo, longAgo);
      assert.deepEqual(pruneSessions(d(), 30, true), [id], 'unused: would go');
      const r = await get(historyPage, '', { HTTP_COOKIE: `tailroom_session=${id}` });
      assert.equal(r.status, 200);
      assert.ok(Date.now() - statSync(path).mtimeMs < 60_000, 'a page view refreshed it');
      assert.deepEqual(pruneSessions(d(), 30, false), [], 'used today: kept');
      // Within the day nothing is touched again: the room handler's join stays a read.
      const recent = new Date(Date.now() - 3600 * 1000);
      utimesSync(path, recent, recent);
      readSession(d(), id, Date.now());
      assert.equal(Math.round(statSync(path).mtimeMs), recent.getTime());
    });
  });

  describe('trusted-header login', () => {
    beforeEach(() => {
      cfg.server.trusted_user_header = 'X-Remote-User';
    });

    it('takes the name from the header on loopback only, and only a valid one', () => {
      assert.equal(trustedUserName(cfg, readCgi({ HTTP_X_REMOTE_USER: 'carol', REMOTE_ADDR: '127.0.0.1' })), 'carol');
      assert.equal(trustedUserName(cfg, readCgi({ HTTP_X_REMOTE_USER: '../x', REMOTE_ADDR: '127.0.0.1' })), undefined);
      assert.equal(trustedUserName(cfg, readCgi({ HTTP_X_REMOTE_USER: 'carol', REMOTE_ADDR: '192.0.2.7' })), undefined);
      cfg.server.host = '0.0.0.0';
      assert.equal(trustedUserName(cfg, readCgi({ HTTP_X_REMOTE_USER: 'carol', REMOTE_ADDR: '127.0.0.1' })), undefined);
      cfg.server.host = '127.0.0.1';
      cfg.server.trusted_user_header = '';
      assert.equal(trustedUserName(cfg, readCgi({ HTTP_X_REMOTE_USER: 'carol', REMOTE_ADDR: '127.0.0.1' })), undefined);
    });

    it('shows the name read-only in settings and saves it whatever the form says', async () => {
      const page = await get(settingsPage, '', { HTTP_X_REMOTE_USER: 'carol' });
      assert.match(page.body, /id="name" name="name" value="carol" readonly/);
      const id = captured(/^tailroom_session=([A-Za-z0-9_-]{43});/, header(page, 'set-cookie'));
      const env = { HTTP_COOKIE: `tailroom_session=${id}`, HTTP_X_REMOTE_USER: 'carol' };
      const token = captured(/name="csrf" value="([^"]+)"/, page.body);
      const r = await post(settingsPage, `name=mallory&color=%23123456&csrf=${token}`, env);
      assert.equal(r.status, 303);
      assert.equal(readSession(d(), id)?.name, 'carol');
      assert.match(JSON.parse(readFileSync(join(root, 'sessions', id), 'utf8')).color, /#123456/);
    });
  });

  describe('running as CGI', () => {
    it('takes the config path, overrides and TZ from the environment websocketd was started with', async () => {
      const { spawn } = await import('node:child_process');
      const parent = spawn('sleep', ['30'], { env: { TAILROOM_SET: '{"server.port":"9"}', TAILROOM_CONF: '/etc/x.ini', TZ: 'UTC', OTHER: 'no' } });
      try {
        await new Promise((r) => parent.once('spawn', r));
        const env = inheritSettings({ QUERY_STRING: '' }, parent.pid);
        assert.deepEqual(env, { QUERY_STRING: '', TAILROOM_SET: '{"server.port":"9"}', TAILROOM_CONF: '/etc/x.ini', TZ: 'UTC' });
        assert.deepEqual(inheritSettings({ TAILROOM_CONF: '/mine.ini' }, parent.pid), { TAILROOM_CONF: '/mine.ini' }, 'set ones win');
      } finally {
        parent.kill();
      }
    });
  });

  describe('the chat page', () => {
    it('renders the room shell in the shared layout, and refuses a bad room', async () => {
      const r = await get(chatPage, 'room=lobby', { HTTP_HOST: 'chat.example:8089' });
      assert.equal(r.status, 200);
      assert.deepEqual(checkHtml(r.body), []);
      assert.match(r.body, /ws:\/\/chat\.example:8089\/lobby/);
      assert.match(header(r, 'content-security-policy'), /script-src 'self'/);
      assert.equal((await get(chatPage, 'room=a%2Fb')).status, 400);
      assert.equal((await get(chatPage, '')).status, 400);
    });
  });
});
