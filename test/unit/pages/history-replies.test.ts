import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Config, loadConfig } from '../../../src/config.js';
import { respond } from '../../../src/pages/cgi.js';
import { historyPage } from '../../../src/pages/history.js';
import { checkHtml } from '../../helpers/html.js';

/** An id stamped `ms` after a fixed start, as src/store/eventid.ts makes them. */
const idAt = (ms: number, n = 0) => `${(1_800_000_000_000 + ms).toString(36).padStart(9, '0')}-test-${n.toString(36)}`;

function msg(i: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: idAt(i * 1000, i),
    t: new Date(1_800_000_000_000 + i * 1000).toISOString(),
    type: 'msg',
    from: 'amy',
    color: '#2e86c1',
    text: `line ${i}`,
    ...extra,
  });
}

describe('history pages: replies link to their message, ?at= opens the page holding one', () => {
  let root: string;
  let cfg: Config;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-history-replies-'));
    cfg = loadConfig({ confPath: join(root, 'none.ini'), overrides: { 'server.data_dir': root, 'chat.history_page_size': '10' }, env: {} });
    mkdirSync(join(root, 'rooms'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  async function get(query: string, status = 200): Promise<string> {
    const out = await respond(historyPage, {
      env: { REQUEST_METHOD: 'GET', QUERY_STRING: query, REMOTE_ADDR: '127.0.0.1', HTTP_HOST: 'chat.test', REQUEST_URI: `/history?${query}` },
      config: cfg,
      log: () => {},
    });
    assert.match(out, new RegExp(`^Status: ${status}`, 'm'), out.slice(0, 400));
    const body = out.slice(out.indexOf('\r\n\r\n') + 4);
    if (status === 200) assert.deepEqual(checkHtml(body), []);
    return body;
  }

  it('gives each item its id as anchor, and a reply on the same page a quote linking to it', async () => {
    writeFileSync(join(root, 'rooms', 'lobby.log'), `${msg(1, { text: '```js\nlet cake = "<b>";\n```' })}\n${msg(2, { reply_to: idAt(1000, 1) })}\n`);
    const body = await get('room=lobby');
    assert.match(body, new RegExp(`<li class="event msg" id="${idAt(1000, 1)}">`));
    assert.match(body, new RegExp(`<a class="reply-to" href="#${idAt(1000, 1)}">re: let cake &#x3D; &quot;&lt;b&gt;&quot;;</a>`));
  });

  it('links a reply whose message is on an older page to the page at that message', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => msg(i + 1, i === 29 ? { reply_to: idAt(1000, 1) } : {}));
    writeFileSync(join(root, 'rooms', 'lobby.log'), lines.map((l) => `${l}\n`).join(''));
    const newest = await get('room=lobby');
    const parent = idAt(1000, 1);
    assert.match(newest, new RegExp(`<a class="reply-to" href="history\\?room&#x3D;lobby&amp;at&#x3D;${parent}#${parent}">in reply to an earlier message</a>`));
    const at = await get(`room=lobby&at=${parent}`);
    assert.match(at, new RegExp(`id="${parent}"`), 'the message is on the page ?at= opens');
    // Half a page of what was said next, and nothing from the newest page.
    assert.match(at, new RegExp(`id="${idAt(6000, 6)}"`));
    assert.doesNotMatch(at, new RegExp(`id="${idAt(30000, 30)}"`));
    const middle = idAt(15000, 15);
    const m = await get(`room=lobby&at=${middle}`);
    for (const i of [11, 15, 20]) assert.match(m, new RegExp(`id="${idAt(i * 1000, i)}"`), `line ${i} around the one asked for`);
    assert.doesNotMatch(m, new RegExp(`id="${idAt(10000, 10)}"`));
    assert.doesNotMatch(m, new RegExp(`id="${idAt(21000, 21)}"`));
  });

  it('finds a message in a rotated .gz segment (the newest line of its page: gzip is read forwards)', async () => {
    writeFileSync(join(root, 'rooms', 'lobby.log-20270115.gz'), gzipSync(`${msg(1)}\n${msg(2)}\n`));
    writeFileSync(join(root, 'rooms', 'lobby.log'), Array.from({ length: 20 }, (_, i) => `${msg(i + 3)}\n`).join(''));
    const at = await get(`room=lobby&at=${idAt(1000, 1)}`);
    assert.match(at, new RegExp(`id="${idAt(1000, 1)}"`));
    assert.doesNotMatch(at, new RegExp(`id="${idAt(3000, 3)}"`));
  });

  it('refuses a malformed id, a mix with ?before= or ?q=, and says when the message is not there', async () => {
    writeFileSync(join(root, 'rooms', 'lobby.log'), `${msg(1)}\n${msg(2)}\n`);
    assert.match(await get('room=lobby&at=..%2Fetc', 400), /malformed/);
    assert.match(await get(`room=lobby&at=${idAt(1000, 1)}&q=line`, 400), /neither/);
    // Later than anything stored, and earlier: both simply not there.
    assert.match(await get(`room=lobby&at=${idAt(9_000_000, 1)}`, 404), /not in this room/);
    assert.match(await get(`room=lobby&at=${idAt(-900_000, 1)}`, 404), /not in this room/);
  });

  it('reads no further back than chat.history_search_mb for a message it cannot find', async () => {
    cfg = loadConfig({ confPath: join(root, 'none.ini'), overrides: { 'server.data_dir': root, 'chat.history_search_mb': '1' }, env: {} });
    // Stamps out of order (a hand-merged log), so the time bound cannot stop early: the byte bound must.
    const filler = Array.from({ length: 12_000 }, (_, i) => `${msg(100 + (i % 50), { text: 'x'.repeat(100) })}\n`).join('');
    writeFileSync(join(root, 'rooms', 'lobby.log'), `${msg(1)}\n${filler}`);
    assert.match(await get(`room=lobby&at=${idAt(1000, 1)}`, 404), /further back than one look reads \(1(\.0)? MB/);
  });
});
