// Closed rooms and registered names, through the pages as a browser sees them: each
// handler runs in-process on a temp data dir, with the real files (names/, rooms/*.ini,
// rooms/*.invites/, sessions/, .attempts/) and real scrypt hashes.

import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../../src/config.js';
import { respond } from '../../../src/pages/cgi.js';
import { chatPage } from '../../../src/pages/chat.js';
import { historyPage } from '../../../src/pages/history.js';
import type { PageHandler } from '../../../src/pages/http.js';
import { joinPage } from '../../../src/pages/join.js';
import { roomsPage } from '../../../src/pages/rooms.js';
import { settingsPage } from '../../../src/pages/settings.js';
import { dataDir } from '../../../src/store/datadir.js';
import { makeInvite } from '../../../src/store/invites.js';
import { hashPassword, sealOf } from '../../../src/store/passwords.js';
import { readRegistration, register } from '../../../src/store/registry.js';
import { newSessionId, readSession, writeSession } from '../../../src/store/sessions.js';
import { checkHtml } from '../../helpers/html.js';

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

function captured(re: RegExp, text: string): string {
  const value = re.exec(text)?.[1];
  assert.ok(value !== undefined, `no match for ${re} in ${text.slice(0, 2000)}`);
  return value;
}

const tokenOf = (r: Parsed) => captured(/name="csrf" value="([^"]+)"/, r.body);
/** Handlebars escapes = as &#x3D; and ' as &#x27;. */
const text = (r: Parsed) =>
  r.body
    .replace(/&#x3D;/g, '=')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"');

describe('pages: closed rooms and registered names', function () {
  this.timeout(60_000); // scrypt hashes on a busy machine
  let root: string;
  let cfg: Config;
  const d = () => dataDir(root);

  function env(method: string, query: string, extra: Record<string, string>, body = ''): Record<string, string> {
    return {
      REQUEST_METHOD: method,
      QUERY_STRING: query,
      REMOTE_ADDR: '127.0.0.1',
      ...(method === 'POST' ? { CONTENT_TYPE: 'application/x-www-form-urlencoded', CONTENT_LENGTH: String(Buffer.byteLength(body)) } : {}),
      ...extra,
    };
  }

  async function get(handler: PageHandler, query = '', extra: Record<string, string> = {}): Promise<Parsed> {
    return parse(await respond(handler, { env: env('GET', query, extra), config: cfg, log: () => undefined }));
  }

  async function post(handler: PageHandler, query: string, form: Record<string, string>, extra: Record<string, string> = {}): Promise<Parsed> {
    const body = new URLSearchParams(form).toString();
    return parse(await respond(handler, { env: env('POST', query, extra, body), config: cfg, readBody: () => Buffer.from(body), log: () => undefined }));
  }

  /** A browser with a stored session (as the settings page makes one): its cookie and token. */
  async function browser(name = 'visitor', extra: Record<string, string> = {}) {
    const id = newSessionId();
    writeSession(d(), id, { name, color: '#123456', created: '', seen: '' });
    const cookie = { HTTP_COOKIE: `tailroom_session=${id}`, ...extra };
    const token = tokenOf(await get(settingsPage, '', cookie));
    return {
      id,
      cookie,
      token,
      session: () => readSession(d(), id),
      settings: (form: Record<string, string>, more: Record<string, string> = {}) => post(settingsPage, '', { csrf: token, ...form }, { ...cookie, ...more }),
    };
  }

  function ini(room: string, content: string): void {
    mkdirSync(join(root, 'rooms'), { recursive: true });
    writeFileSync(join(root, 'rooms', `${room}.ini`), content);
  }

  function log(room: string, line = 'hello'): void {
    mkdirSync(join(root, 'rooms'), { recursive: true });
    writeFileSync(
      join(root, 'rooms', `${room}.log`),
      `${JSON.stringify({ id: '000000001-t-0', t: '2026-11-20T10:00:00.000Z', type: 'msg', from: 'x', color: '#000000', text: line })}\n`,
    );
  }

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-access-pages-'));
    cfg = loadConfig({ confPath: join(root, 'none.ini'), overrides: { 'server.data_dir': root }, env: {} });
    cfg.rooms = {};
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  describe('registered names on the settings page', () => {
    it('registers the name with a password: the session proves it, another browser cannot save it', async () => {
      const alice = await browser('alice');
      const short = await alice.settings({ action: 'register', name: 'alice', password: 'short', confirm: 'short' });
      assert.equal(short.status, 400);
      assert.match(text(short), /at least 8 characters/);
      const differ = await alice.settings({ action: 'register', name: 'alice', password: 'correct horse', confirm: 'correct hors' });
      assert.match(text(differ), /two passwords differ/);
      assert.equal(readRegistration(d(), 'alice'), undefined);

      const ok = await alice.settings({ action: 'register', name: 'alice', password: 'correct horse', confirm: 'correct horse' });
      assert.equal(ok.status, 303);
      const reg = readRegistration(d(), 'alice');
      assert.ok(reg?.hash.startsWith('scrypt$'));
      assert.deepEqual(alice.session()?.proved, { name: 'alice', seal: sealOf(reg?.hash ?? '') });
      const page = await get(settingsPage, 'done=registered', alice.cookie);
      assert.match(page.body, /Signed in as alice/);
      assert.deepEqual(checkHtml(page.body), []);

      const mallory = await browser('mallory');
      const taken = await mallory.settings({ name: 'alice', color: '#000000' });
      assert.equal(taken.status, 400);
      assert.match(text(taken), /That name is registered: enter its password to use it/);
      assert.equal(mallory.session()?.name, 'mallory', 'not saved');
      const lookalike = await mallory.settings({ name: 'аlice', color: '#000000' }); // Cyrillic a
      assert.equal(lookalike.status, 400);
      assert.match(text(lookalike), /looks too much like the registered name alice/);
      const again = await mallory.settings({ action: 'register', name: 'alice', password: 'another one', confirm: 'another one' });
      assert.match(text(again), /alice is registered already/);
      // The owner saves a colour under the name and keeps the proof.
      assert.equal((await alice.settings({ name: 'alice', color: '#abcdef' })).status, 303);
      assert.equal(alice.session()?.color, '#abcdef');
      assert.equal(alice.session()?.proved?.name, 'alice');
    });

    it('gives one of two racing registrations the name, the other a form error', async () => {
      const [a, b] = [await browser('a1'), await browser('b1')];
      const form = { action: 'register', name: 'bob', password: 'password one', confirm: 'password one' };
      const [ra, rb] = await Promise.all([a.settings(form), b.settings(form)]);
      assert.deepEqual([ra.status, rb.status].sort(), [303, 400]);
      const loser = ra.status === 400 ? ra : rb;
      assert.match(text(loser), /registered (by someone else a moment ago|already)/);
      const proofs = [a.session()?.proved, b.session()?.proved].filter(Boolean);
      assert.equal(proofs.length, 1);
    });

    it('signs in with the right password only; a new password signs out every other browser; sign out drops the proof', async () => {
      register(d(), 'carol', await hashPassword('carol password'));
      const laptop = await browser('someone');
      const wrong = await laptop.settings({ action: 'signin', name: 'carol', password: 'not it at all' });
      assert.equal(wrong.status, 403);
      assert.match(text(wrong), /Wrong password for carol/);
      assert.equal(laptop.session()?.proved, undefined);
      assert.equal(laptop.session()?.name, 'someone');
      const unknown = await laptop.settings({ action: 'signin', name: 'nobody', password: 'whatever it is' });
      assert.match(text(unknown), /nobody is not registered/);

      assert.equal((await laptop.settings({ action: 'signin', name: 'carol', password: 'carol password' })).status, 303);
      assert.equal(laptop.session()?.name, 'carol');
      const phone = await browser('x');
      assert.equal((await phone.settings({ action: 'signin', name: 'carol', password: 'carol password' })).status, 303);
      assert.match((await get(settingsPage, '', phone.cookie)).body, /Signed in as carol/);

      const badCurrent = await laptop.settings({ action: 'password', current: 'wrong guess', password: 'new password', confirm: 'new password' });
      assert.equal(badCurrent.status, 403);
      const changed = await laptop.settings({ action: 'password', current: 'carol password', password: 'new password', confirm: 'new password' });
      assert.equal(changed.status, 303);
      assert.match((await get(settingsPage, '', laptop.cookie)).body, /Signed in as carol/, 'this browser keeps its proof');
      const phonePage = await get(settingsPage, '', phone.cookie);
      assert.doesNotMatch(phonePage.body, /Signed in as carol/, 'the other browser is signed out');
      assert.match(phonePage.body, /This name is registered and this browser is not signed in to it/);
      assert.equal((await phone.settings({ name: 'carol', color: '#000000' })).status, 400, 'and may not save the name again');

      assert.equal((await laptop.settings({ action: 'signout' })).status, 303);
      assert.equal(laptop.session()?.proved, undefined);
      assert.doesNotMatch((await get(settingsPage, '', laptop.cookie)).body, /Signed in as/);
    });

    it('forgets a deleted registration: its proof no longer counts and the name is free again', async () => {
      const dora = await browser('dora');
      await dora.settings({ action: 'register', name: 'dora', password: 'dora password', confirm: 'dora password' });
      assert.match((await get(settingsPage, '', dora.cookie)).body, /Signed in as dora/);
      ini('club', 'visibility = private\nmembers = dora\n');
      assert.equal((await get(chatPage, 'room=club', dora.cookie)).status, 200);
      rmSync(join(root, 'names', 'dora'));
      assert.doesNotMatch((await get(settingsPage, '', dora.cookie)).body, /Signed in as dora/);
      assert.equal((await get(chatPage, 'room=club', dora.cookie)).status, 403, 'membership needs the proof');
      const other = await browser('other');
      assert.equal((await other.settings({ name: 'dora', color: '#000000' })).status, 303);
      assert.equal(other.session()?.name, 'dora');
    });

    it('stops guessing a name past chat.login_failures_per_name, from any address, without hashing; right then too', async () => {
      cfg.chat.login_failures_per_name = 3;
      register(d(), 'erin', await hashPassword('erin password'));
      const guesser = await browser('g');
      for (let i = 0; i < 3; i++) {
        const r = await guesser.settings({ action: 'signin', name: 'erin', password: `guess number ${i}` });
        assert.equal(r.status, 403, `guess ${i}`);
      }
      const attempts = () => readdirSync(join(root, '.attempts')).map((f) => readFileSync(join(root, '.attempts', f), 'utf8').split('\n').length - 1);
      assert.deepEqual(attempts(), [3, 3], 'one file for the name, one for the address');
      const blocked = await guesser.settings({ action: 'signin', name: 'erin', password: 'guess number 4' });
      assert.equal(blocked.status, 429);
      assert.match(text(blocked), /Too many wrong passwords\. Try again in 15 minutes \(after \d{4}-\d\d-\d\d \d\d:\d\d\)/);
      assert.ok(Number(blocked.headers['retry-after']?.[0]) > 14 * 60);
      assert.deepEqual(attempts(), [3, 3], 'a blocked guess is not counted');
      // The owner, from elsewhere, with the right password: the name is closed for the window.
      const owner = await browser('erin-laptop', { REMOTE_ADDR: '127.0.0.9' });
      assert.equal((await owner.settings({ action: 'signin', name: 'erin', password: 'erin password' })).status, 429);
      assert.equal(owner.session()?.proved, undefined);
      // Once the window has passed, the right password works.
      cfg.chat.login_window_min = 1;
      const later = Date.now() + 61_000;
      const r = parse(
        await respond(settingsPage, {
          env: env('POST', '', owner.cookie, `csrf=${owner.token}&action=signin&name=erin&password=erin+password`),
          config: cfg,
          readBody: () => Buffer.from(`csrf=${owner.token}&action=signin&name=erin&password=erin+password`),
          now: new Date(later),
        }),
      );
      assert.equal(r.status, 303);
    });

    it('stops one address guessing many names past chat.login_failures_per_addr; X-Forwarded-For counts only from trusted proxies', async () => {
      cfg.chat.login_failures_per_addr = 2;
      for (const n of ['n1', 'n2', 'n3']) register(d(), n, await hashPassword(`${n} password`));
      const proxied = { REMOTE_ADDR: '127.0.0.1', HTTP_X_FORWARDED_FOR: '198.51.100.7' };
      const g = await browser('g', proxied);
      assert.equal((await g.settings({ action: 'signin', name: 'n1', password: 'wrong wrong' })).status, 403);
      assert.equal((await g.settings({ action: 'signin', name: 'n2', password: 'wrong wrong' })).status, 403);
      assert.equal((await g.settings({ action: 'signin', name: 'n3', password: 'n3 password' })).status, 429);
      // Another client behind the same proxy is another address.
      const h = await browser('h', { REMOTE_ADDR: '127.0.0.1', HTTP_X_FORWARDED_FOR: '198.51.100.8' });
      assert.equal((await h.settings({ action: 'signin', name: 'n3', password: 'n3 password' })).status, 303);
      // A client that is not a trusted proxy cannot pick its address by sending the header.
      const direct = await browser('i', { REMOTE_ADDR: '192.0.2.1', HTTP_X_FORWARDED_FOR: '203.0.113.1' });
      await direct.settings({ action: 'signin', name: 'n1', password: 'wrong wrong' });
      await direct.settings({ action: 'signin', name: 'n1', password: 'wrong wrong' });
      const spoofed = await browser('j', { REMOTE_ADDR: '192.0.2.1', HTTP_X_FORWARDED_FOR: '203.0.113.2' });
      assert.equal((await spoofed.settings({ action: 'signin', name: 'n2', password: 'n2 password' })).status, 429);
    });

    it('behind the SSO header, says the name is proved and offers no password forms', async () => {
      cfg.server.trusted_user_header = 'X-Remote-User';
      const page = await get(settingsPage, '', { HTTP_X_REMOTE_USER: 'frank' });
      assert.equal(page.status, 200);
      assert.match(page.body, /proves it: no password is needed/);
      assert.doesNotMatch(page.body, /type="password"/);
      const id = captured(/tailroom_session=([A-Za-z0-9_-]{43})/, page.headers['set-cookie']?.[0] ?? '');
      const r = await post(
        settingsPage,
        '',
        { csrf: tokenOf(page), action: 'signin', name: 'x', password: 'yyyyyyyy' },
        {
          HTTP_COOKIE: `tailroom_session=${id}`,
          HTTP_X_REMOTE_USER: 'frank',
        },
      );
      assert.equal(r.status, 400);
      ini('club', 'visibility = private\nmembers = frank\n');
      assert.equal((await get(chatPage, 'room=club', { HTTP_X_REMOTE_USER: 'frank' })).status, 200, 'the header proves membership');
    });
  });

  describe('closed rooms on the chat page', () => {
    let key: string;
    before(async () => {
      key = await hashPassword('room password');
    });

    it('asks a password room for its password once: wrong shows the form again, right grants and redirects', async () => {
      ini('vault', `key = ${key}\ntopic = Keys and locks\n`);
      const v = await browser('v');
      const form = await get(chatPage, 'room=vault', v.cookie);
      assert.equal(form.status, 403);
      assert.deepEqual(checkHtml(form.body), []);
      assert.match(form.body, /type="password"/);
      assert.doesNotMatch(form.body, /Keys and locks/, 'no topic for outsiders');
      const token = tokenOf(form);
      const forged = await post(chatPage, 'room=vault', { csrf: 'forged', password: 'room password' }, v.cookie);
      assert.equal(forged.status, 403);
      assert.equal(v.session()?.grants, undefined);
      const wrong = await post(chatPage, 'room=vault', { csrf: token, password: 'not the password' }, v.cookie);
      assert.equal(wrong.status, 403);
      assert.match(wrong.body, /Wrong password/);
      const right = await post(chatPage, 'room=vault', { csrf: token, password: 'room password' }, v.cookie);
      assert.equal(right.status, 303);
      assert.equal(right.headers.location?.[0], 'chat?room=vault');
      assert.deepEqual(v.session()?.grants, { vault: sealOf(key) });
      const inside = await get(chatPage, 'room=vault', v.cookie);
      assert.equal(inside.status, 200);
      assert.match(inside.body, /<p class="topic" id="topic">Keys and locks<\/p>/);
      // A new key voids the grant.
      ini('vault', `key = ${await hashPassword('another password')}\n`);
      assert.equal((await get(chatPage, 'room=vault', v.cookie)).status, 403);
    });

    it('makes a session for a visitor without one, from an id it handed out only', async () => {
      ini('vault', `key = ${key}\n`);
      const first = await get(chatPage, 'room=vault');
      const id = captured(/^tailroom_session=([A-Za-z0-9_-]{43});/, first.headers['set-cookie']?.[0] ?? '');
      const r = await post(chatPage, 'room=vault', { csrf: tokenOf(first), password: 'room password' }, { HTTP_COOKIE: `tailroom_session=${id}` });
      assert.equal(r.status, 303);
      assert.deepEqual(readSession(d(), id)?.grants, { vault: sealOf(key) });
      const madeUp = newSessionId();
      const planted = await post(chatPage, 'room=vault', { csrf: tokenOf(first), password: 'room password' }, { HTTP_COOKIE: `tailroom_session=${madeUp}` });
      assert.equal(planted.status, 403);
      assert.equal(readSession(d(), madeUp), undefined);
    });

    it('refuses a forged grant and a grant from another room', async () => {
      ini('vault', `key = ${key}\n`);
      ini('safe', `key = ${key}\n`); // the same key: a grant is still for its room only
      const id = newSessionId();
      writeSession(d(), id, { name: 'f', color: '#000000', created: '', seen: '', grants: { vault: 'AAAAAAAAAAAAAAAAAAAAAA', safe: sealOf(key) } });
      const cookie = { HTTP_COOKIE: `tailroom_session=${id}` };
      assert.equal((await get(chatPage, 'room=vault', cookie)).status, 403);
      assert.equal((await get(chatPage, 'room=safe', cookie)).status, 200);
      const id2 = newSessionId();
      writeSession(d(), id2, { name: 'g', color: '#000000', created: '', seen: '', grants: { safe: sealOf(key) } });
      assert.equal((await get(chatPage, 'room=vault', { HTTP_COOKIE: `tailroom_session=${id2}` })).status, 403);
      // Prototype names are rooms like any other, never inherited grants.
      ini('constructor', `key = ${key}\n`);
      assert.equal((await get(chatPage, 'room=constructor', cookie)).status, 403);
    });

    it('limits wrong room passwords per room and address', async () => {
      cfg.chat.login_failures_per_name = 2;
      ini('vault', `key = ${key}\n`);
      ini('other', `key = ${key}\n`);
      const v = await browser('v');
      const token = tokenOf(await get(chatPage, 'room=vault', v.cookie));
      for (let i = 0; i < 2; i++) assert.equal((await post(chatPage, 'room=vault', { csrf: token, password: `wrong ${i} guess` }, v.cookie)).status, 403);
      const blocked = await post(chatPage, 'room=vault', { csrf: token, password: 'room password' }, v.cookie);
      assert.equal(blocked.status, 429);
      assert.match(text(blocked), /Too many wrong passwords\. Try again in 15 minutes/);
      assert.equal(v.session()?.grants, undefined);
      assert.equal((await post(chatPage, 'room=other', { csrf: token, password: 'room password' }, v.cookie)).status, 303, 'another room is counted apart');
      const elsewhere = await browser('w', { REMOTE_ADDR: '127.0.0.5' });
      assert.equal((await post(chatPage, 'room=vault', { csrf: elsewhere.token, password: 'room password' }, elsewhere.cookie)).status, 303);
    });

    it('refuses a private room with 403 (and a hint to sign in), admits its members and operators', async () => {
      ini('club', 'visibility = private\nmembers = gina\noperators = hal\n');
      const out = await get(chatPage, 'room=club');
      assert.equal(out.status, 403);
      assert.match(text(out), /This room is private: ask one of its operators for an invite\./);
      assert.match(out.body, /you may need to sign in to a registered name on the settings page/);
      assert.deepEqual(checkHtml(out.body), []);
      for (const name of ['gina', 'hal']) {
        register(d(), name, await hashPassword(`${name} password`));
        const b = await browser(name);
        assert.equal((await get(chatPage, 'room=club', b.cookie)).status, 403, 'a name alone is not a proof');
        await b.settings({ action: 'signin', name, password: `${name} password` });
        assert.equal((await get(chatPage, 'room=club', b.cookie)).status, 200, name);
      }
      const ivy = await browser('ivy');
      register(d(), 'ivy', await hashPassword('ivy password'));
      await ivy.settings({ action: 'signin', name: 'ivy', password: 'ivy password' });
      const signedIn = await get(chatPage, 'room=club', ivy.cookie);
      assert.equal(signedIn.status, 403);
      assert.doesNotMatch(signedIn.body, /you may need to sign in/, 'signed in already: no hint');
    });

    it('closes a room whose .ini is garbage: 403 on the chat and history pages, absent from the list and the index', async () => {
      ini('broken', 'visibility = secret\n[oops]\nx = 1\n');
      log('broken');
      log('fine');
      const chat = await get(chatPage, 'room=broken');
      assert.equal(chat.status, 403);
      assert.match(text(chat), /This room is closed: its settings file has errors an admin must fix/);
      assert.equal((await get(historyPage, 'room=broken')).status, 403);
      const list = await get(roomsPage);
      assert.match(list.body, /fine/);
      assert.doesNotMatch(list.body, /broken/);
      const index = await get(historyPage);
      assert.match(index.body, /fine/);
      assert.doesNotMatch(index.body, /broken/);
    });
  });

  describe('the room list and the history', () => {
    it('lists public and password rooms with their topic, never unlisted or private ones to outsiders; a member sees hers', async () => {
      const key = await hashPassword('room password');
      ini('open', 'topic = Anything goes\n');
      ini('vault', `key = ${key}\n`);
      ini('hidden', 'visibility = unlisted\n');
      ini('club', 'visibility = private\nmembers = jo\n');
      for (const r of ['open', 'vault', 'hidden', 'club', 'plain']) log(r, `secret of ${r}`);
      mkdirSync(join(root, 'users', 'club', 'jo'), { recursive: true });
      writeFileSync(join(root, 'users', 'club', 'jo', 'info'), JSON.stringify({ name: 'jo', color: '#112233', pid: process.pid, host: 'x', since: '' }));

      const list = await get(roomsPage);
      assert.deepEqual(checkHtml(list.body), []);
      const names = [...text(list).matchAll(/<h2><a href="chat\?room=([^"]+)">/g)].map((m) => m[1]).sort();
      assert.deepEqual(names, ['open', 'plain', 'vault']);
      assert.match(list.body, /Topic: Anything goes/);
      assert.match(list.body, /password needed/);
      assert.match(list.body, /3 rooms, 0 people chatting/, 'nobody counted from a hidden room');
      assert.doesNotMatch(text(list), /history\?room=vault/, 'no history link for a locked room');

      const index = await get(historyPage);
      const indexed = [...text(index).matchAll(/href="history\?room=([a-z]+)"/g)].map((m) => m[1]);
      assert.deepEqual([...new Set(indexed)].sort(), ['open', 'plain', 'vault']);
      assert.equal((await get(historyPage, 'room=open')).status, 200);
      for (const r of ['vault', 'club']) {
        const h = await get(historyPage, `room=${r}`);
        assert.equal(h.status, 403, r);
        assert.doesNotMatch(h.body, /secret of/);
      }
      assert.equal((await get(historyPage, 'room=hidden')).status, 200, 'unlisted is not private');

      register(d(), 'jo', await hashPassword('jo password'));
      const jo = await browser('jo');
      await jo.settings({ action: 'signin', name: 'jo', password: 'jo password' });
      const hers = await get(roomsPage, '', jo.cookie);
      assert.match(text(hers), /chat\?room=club/);
      assert.doesNotMatch(text(hers), /chat\?room=hidden/);
      assert.match(hers.body, /jo/);
      assert.match((await get(historyPage, 'room=club', jo.cookie)).body, /secret of club/);
      assert.match(text(await get(historyPage, '', jo.cookie)), /history\?room=club/);
    });
  });

  describe('invite links', () => {
    async function invite(room: string, opts: { uses?: number; ttlMs?: number } = {}): Promise<string> {
      return makeInvite(d(), room, { by: 'admin', ...opts }).token;
    }

    it('shows the invite on GET without spending it; the button spends one use and grants the room', async () => {
      ini('club', 'visibility = private\n');
      const token = await invite('club');
      const visitor = await get(joinPage, `room=club&invite=${token}`);
      assert.equal(visitor.status, 200);
      assert.deepEqual(checkHtml(visitor.body), []);
      assert.match(visitor.body, /You are invited to club/);
      for (let i = 0; i < 3; i++) assert.equal((await get(joinPage, `room=club&invite=${token}`)).status, 200, 'a preview spends nothing');
      const id = captured(/^tailroom_session=([A-Za-z0-9_-]{43});/, visitor.headers['set-cookie']?.[0] ?? '');
      const cookie = { HTTP_COOKIE: `tailroom_session=${id}` };
      const noToken = await post(joinPage, '', { room: 'club', invite: token }, cookie);
      assert.equal(noToken.status, 403, 'no CSRF token, no use');
      const r = await post(joinPage, '', { csrf: tokenOf(visitor), room: 'club', invite: token }, cookie);
      assert.equal(r.status, 303);
      assert.equal(r.headers.location?.[0], 'chat?room=club');
      assert.deepEqual(readSession(d(), id)?.grants, { club: '' });
      assert.equal((await get(chatPage, 'room=club', cookie)).status, 200);

      const spent = await get(joinPage, `room=club&invite=${token}`);
      assert.equal(spent.status, 410);
      assert.match(spent.body, /This invite was used up/);
      const other = await browser('late');
      const late = await post(joinPage, '', { csrf: other.token, room: 'club', invite: token }, other.cookie);
      assert.equal(late.status, 410);
      assert.equal(other.session()?.grants, undefined);
    });

    it('lets a password room in past its key, and says so when the browser is in already', async () => {
      const key = await hashPassword('room password');
      ini('vault', `key = ${key}\n`);
      const token = await invite('vault', { uses: 2 });
      const b = await browser('b');
      assert.equal((await post(joinPage, '', { csrf: b.token, room: 'vault', invite: token }, b.cookie)).status, 303);
      assert.deepEqual(b.session()?.grants, { vault: sealOf(key) });
      const again = await get(joinPage, `room=vault&invite=${token}`, b.cookie);
      assert.match(again.body, /can enter vault already/);
      assert.doesNotMatch(again.body, /<button/);
    });

    it('refuses tampered, expired, foreign and hostile links with a page that says which', async () => {
      ini('club', 'visibility = private\n');
      ini('other', 'visibility = private\n');
      const token = await invite('club');
      const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
      for (const bad of [flipped, `${token}x`, '', '../../sessions/.secret', token.slice(1)]) {
        const r = await get(joinPage, `room=club&invite=${encodeURIComponent(bad)}`);
        assert.equal(r.status, 404, bad);
        assert.match(r.body, /This invite link is not valid/);
      }
      assert.equal((await get(joinPage, `room=other&invite=${token}`)).status, 404, 'an invite is for its room only');
      const old = makeInvite(d(), 'club', { by: 'admin', now: new Date(Date.now() - 8 * 24 * 3600 * 1000) }).token;
      const expired = await get(joinPage, `room=club&invite=${old}`);
      assert.equal(expired.status, 410);
      assert.match(expired.body, /This invite expired/);
      const b = await browser('b');
      assert.equal((await post(joinPage, '', { csrf: b.token, room: 'club', invite: old }, b.cookie)).status, 410);
      assert.equal(b.session()?.grants, undefined);
      for (const room of ['..%2Fsessions', 'a%2Fb', '.hidden', '%00', 'x'.repeat(300), '%3Cscript%3E']) {
        const r = await get(joinPage, `room=${room}&invite=${token}`);
        assert.equal(r.status, 400, room);
        assert.doesNotMatch(r.body, /<script>/);
        assert.deepEqual(checkHtml(r.body), []);
      }
      assert.equal((await get(joinPage, `invite=${token}`)).status, 400);
      ini('club', 'garbage = yes\n');
      assert.equal((await get(joinPage, `room=club&invite=${token}`)).status, 403, 'a damaged room stays closed');
    });
  });
});
