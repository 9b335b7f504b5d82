// The chat page in a real browser: Debian's chromium (playwright-core) against the real
// server (`tailroom start`: websocketd, room handlers, CGI pages, the STUN server).
// Three chatters, each in a browser context of its own, share one room.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  type Server,
  ROOT,
  chatter,
  launchChromium,
  openRoom,
  presencePid,
  say,
  setPreview,
  startServer,
  visibleLines,
  waitForLine,
  stopAtEnd,
} from './harness.js';

const ROOM = 'lobby';
const COLORS = { alice: '#c0392b', bob: '#2e86c1', carol: '#27ae60' } as const;
type Name = keyof typeof COLORS;

/** `make(name)` for each chatter, one after the other: alice, bob, carol (the order they join in). */
async function perChatter<T>(make: (name: Name) => Promise<T>): Promise<Record<Name, T>> {
  const alice = await make('alice');
  const bob = await make('bob');
  const carol = await make('carol');
  return { alice, bob, carol };
}

describe('the chat page in chromium', () => {
  let server: Server;
  let browser: Browser;
  let ctx: Record<Name, BrowserContext>;
  let page: Record<Name, Page>;

  before(async function () {
    this.timeout(90000);
    server = await startServer();
    browser = await launchChromium();
    ctx = await perChatter((name) => chatter(browser, server, name, COLORS[name]));
    page = await perChatter((name) => openRoom(ctx[name], server, ROOM));
  });

  stopAtEnd(() => ({ browser, server }));

  it('two pages chat: a line typed on one shows on the other, name in its colour, date on hover', async () => {
    await say(page.alice, 'hello from alice');
    await waitForLine(page.bob, 'hello from alice');
    const line = page.bob.locator('#log > li.msg', { hasText: 'hello from alice' });
    assert.equal(await line.locator('.from').textContent(), 'alice');
    assert.equal(await line.locator('.from').evaluate((e) => getComputedStyle(e).color), 'rgb(192, 57, 43)');
    assert.match((await line.locator('time').getAttribute('title')) ?? '', /\d{4}/, 'the full date, year included, on hover');
    const users = await page.bob.$$eval('#users > li', (lis) => lis.map((li) => li.getAttribute('data-name')));
    assert.deepEqual(users, ['alice', 'bob', 'carol']);
  });

  it('Up on an empty box edits my last message in place on every page; my delete button removes it for everyone', async () => {
    await say(page.alice, 'a typo herre');
    await waitForLine(page.bob, 'a typo herre');
    assert.equal(await page.bob.locator('#log > li.msg', { hasText: 'a typo herre' }).locator('button.delete').count(), 0, 'not on bob’s page: not his');
    await page.alice.fill('#say', '');
    await page.alice.press('#say', 'ArrowUp');
    assert.equal(await page.alice.inputValue('#say'), 'a typo herre');
    await page.alice.fill('#say', 'a typo here');
    await page.alice.press('#say', 'Enter');
    await waitForLine(page.bob, 'a typo here');
    const line = page.bob.locator('#log > li.msg', { hasText: 'a typo here' });
    assert.equal(await line.locator('.edited').textContent(), '(edited)');
    assert.match((await line.locator('.edited').getAttribute('title')) ?? '', /^sent .*\d{4}.*, edited /);
    assert.equal(await page.bob.locator('#log > li', { hasText: 'a typo herre' }).count(), 0, 'replaced in place, no second line');
    page.alice.once('dialog', (d) => void d.accept());
    const mine = page.alice.locator('#log > li.msg', { hasText: 'a typo here' });
    await mine.hover();
    await mine.locator('button.delete').click();
    await page.bob.waitForFunction(() => [...document.querySelectorAll('#log > li.deleted')].some((li) => li.textContent?.includes('message deleted')));
    assert.equal(await page.bob.locator('#log > li', { hasText: 'a typo here' }).count(), 0);
    const stored = readdirSync(join(server.data, 'rooms'))
      .map((f) => readFileSync(join(server.data, 'rooms', f), 'latin1'))
      .join('');
    assert.doesNotMatch(stored, /a typo herr?e/, 'blanked on disk');
  });

  it('the colour picker changes my colour on everyone’s page', async () => {
    await page.carol.fill('#colour', '#8e44ad');
    await page.alice.waitForFunction(
      () => {
        const b = document.querySelector('#users li[data-name="carol"] .who') as HTMLElement | null;
        return b !== null && getComputedStyle(b).color === 'rgb(142, 68, 173)';
      },
      undefined,
      { timeout: 20000 },
    );
    await waitForLine(page.alice, 'carol is now #8e44ad');
    await say(page.carol, 'in purple now');
    await waitForLine(page.alice, 'in purple now');
    const from = page.alice.locator('#log > li.msg', { hasText: 'in purple now' }).locator('.from');
    assert.equal(await from.evaluate((e) => getComputedStyle(e).color), 'rgb(142, 68, 173)');
  });

  it('a whisper shows only on its addressee’s page (and the sender’s)', async () => {
    // Typed the original's way, completed from the user list: "bo<Tab>" → "bob: ".
    await page.alice.fill('#say', 'bo');
    await page.alice.press('#say', 'Tab');
    assert.equal(await page.alice.inputValue('#say'), 'bob: ');
    await page.alice.locator('#say').pressSequentially('the cake is in the fridge');
    await page.alice.press('#say', 'Enter');
    // Markers after it down both roads to carol, the room and her inbox: once she has
    // both, the whisper would have reached her too.
    await say(page.alice, 'public after the whisper');
    await say(page.alice, '/msg carol whispered after the whisper');
    await waitForLine(page.bob, 'the cake is in the fridge');
    assert.equal(await page.bob.locator('#log > li.whisper', { hasText: 'the cake is in the fridge' }).count(), 1);
    await waitForLine(page.alice, 'the cake is in the fridge');
    await waitForLine(page.carol, 'public after the whisper');
    await waitForLine(page.carol, 'whispered after the whisper');
    assert.ok(!(await visibleLines(page.carol)).some((l) => l.includes('cake')), 'carol never sees it');
  });

  it('an ignored user’s messages are hidden, and stay so after a reload (localStorage)', async () => {
    await page.bob.click('#users li[data-name="carol"] button.ignore');
    await say(page.carol, 'noise from carol');
    await waitForLine(page.alice, 'noise from carol');
    await waitForLine(page.bob, 'noise from carol'); // in the list, but hidden
    assert.equal(await page.bob.locator('#log > li', { hasText: 'noise from carol' }).isVisible(), false);
    assert.ok(!(await visibleLines(page.bob)).some((l) => l.includes('noise from carol')));
    await page.bob.reload();
    await page.bob.waitForSelector('#conn[data-state="online"]');
    await waitForLine(page.bob, 'noise from carol'); // replayed history
    assert.equal(await page.bob.locator('#log > li', { hasText: 'noise from carol' }).isVisible(), false);
    // Un-ignoring shows the lines again.
    await page.bob.click('#users li[data-name="carol"] button.ignore');
    assert.equal(await page.bob.locator('#log > li', { hasText: 'noise from carol' }).isVisible(), true);
  });

  it('<script> in a message stays text; images and links follow the original’s rule; emoticons', async () => {
    const evil = `<script>window.pwned=1</script><img src=x onerror="window.pwned=2"> {image}javascript:window.pwned=3 {link}javascript:window.pwned=4 :-) {image}emoticons/heart.svg {image}https://images.example/cat.png {link}https://example.org/page`;
    await say(page.alice, evil);
    await waitForLine(page.bob, '<script>window.pwned=1</script>');
    const text = page.bob.locator('#log > li.msg', { hasText: '<script>' }).locator('.text');
    const got = await text.evaluate((e) => ({
      scripts: e.querySelectorAll('script').length,
      imgs: [...e.querySelectorAll('img')].map((i) => i.getAttribute('src')),
      links: [...e.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), external: a.classList.contains('external') })),
      pwned: (window as unknown as { pwned?: number }).pwned,
      text: e.textContent,
    }));
    assert.equal(got.scripts, 0);
    assert.equal(got.pwned, undefined);
    assert.ok(got.text?.includes('<img src=x onerror="window.pwned=2">'), 'markup shown as typed');
    assert.ok(got.text?.includes('{image}javascript:window.pwned=3'), 'a javascript: URL stays text');
    assert.deepEqual(got.imgs, [`${server.base}/emoticons/smile.svg`, `${server.base}/emoticons/heart.svg`], 'the smiley and the same-site image, inline');
    assert.deepEqual(got.links, [
      { href: `${server.base}/emoticons/heart.svg`, external: false },
      { href: 'https://images.example/cat.png', external: true },
      { href: 'https://example.org/page', external: true },
    ]);
  });

  it('STUN: chromium gathers a server-reflexive candidate from the embedded server', async () => {
    // A visitor's browser as it comes, without camera permission: host candidates are
    // mDNS names and the srflx one is kept. (Given media permission, as the fake-media
    // flags give it, Chromium shows the real host address and drops a srflx candidate equal
    // to it, as it is here, where the STUN server sees the host's own address; behind a
    // NAT the two differ.)
    const plain = await launchChromium(false);
    const visitor = await plain.newContext();
    const probe = await visitor.newPage();
    await probe.goto(`${server.base}/chat?room=stun-probe`);
    await probe.waitForSelector('#conn[data-state="online"]');
    const candidates = await probe.evaluate(async (port) => {
      const pc = new RTCPeerConnection({ iceServers: [{ urls: `stun:127.0.0.1:${port}` }] });
      pc.createDataChannel('probe');
      const found: string[] = [];
      pc.onicecandidate = (e) => e.candidate && found.push(e.candidate.candidate);
      await pc.setLocalDescription(await pc.createOffer());
      await new Promise<void>((resolve) => {
        pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
        setTimeout(resolve, 20000);
      });
      pc.close();
      return found;
    }, server.stunPort);
    await plain.close();
    assert.ok(
      candidates.some((c) => / typ srflx /.test(c) && c.includes('127.0.0.1')),
      `no srflx candidate among:\n${candidates.join('\n')}`,
    );
  });

  it('a data channel opens between the pages and carries the live typing preview', async () => {
    // Pages connect on demand: here, for the preview both turned on (test/browser/privacy.test.ts).
    await setPreview(page.alice, true);
    await setPreview(page.bob, true);
    for (const [a, b] of [
      ['alice', 'bob'],
      ['bob', 'alice'],
    ] as const) {
      await page[a].waitForSelector(`#users li[data-name="${b}"] .peer[data-state="open"]`, { timeout: 30000 });
    }
    await page.alice.fill('#say', 'half a thought');
    await page.bob.waitForSelector('#typing li[data-name="alice"]', { timeout: 10000 });
    assert.equal(await page.bob.locator('#typing li[data-name="alice"] .draft').textContent(), 'half a thought');
    // A whisper being typed is nobody else's business: the preview goes away.
    await page.alice.fill('#say', 'bob: a secret in the making');
    await page.bob.waitForSelector('#typing li[data-name="alice"]', { state: 'detached', timeout: 10000 });
    await page.alice.fill('#say', '');
  });

  it('a file sent peer to peer arrives byte-identical, and nothing of it is stored on the server', async () => {
    const marker = randomBytes(32);
    const content = Buffer.concat([marker, randomBytes(700001)]); // not a whole number of chunks
    const [chooser] = await Promise.all([page.alice.waitForEvent('filechooser'), page.alice.click('#users li[data-name="bob"] button.file')]);
    await chooser.setFiles({ name: 'notes.bin', mimeType: 'application/octet-stream', buffer: content });
    const offer = page.bob.locator('#transfers li.transfer.in', { hasText: 'notes.bin' });
    await offer.getByRole('button', { name: 'Accept' }).click({ timeout: 20000 });
    const save = offer.locator('a.save');
    await save.waitFor({ timeout: 30000 });
    const [download] = await Promise.all([page.bob.waitForEvent('download'), save.click()]);
    assert.equal(download.suggestedFilename(), 'notes.bin');
    const got = readFileSync(await download.path());
    assert.equal(got.length, content.length);
    assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(content).digest('hex'));
    await page.alice.locator('#transfers li.transfer.out[data-state="done"]', { hasText: 'notes.bin' }).waitFor({ timeout: 10000 });
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
    for (const f of files(server.data)) {
      if (statSync(f).size > 0) assert.ok(!readFileSync(f).includes(marker), `${f} holds part of the file`);
    }
  });

  it('a call: each sees the other’s camera; mute and camera toggles switch the tracks', async () => {
    await page.alice.click('#btn-call');
    await page.bob.click('#btn-call');
    for (const [a, b] of [
      ['alice', 'bob'],
      ['bob', 'alice'],
    ] as const) {
      await page[a].waitForFunction(
        (who) => {
          const v = document.querySelector(`#tiles .tile[data-name="${who}"] video`) as HTMLVideoElement | null;
          return v !== null && v.videoWidth > 0;
        },
        b,
        { timeout: 30000 },
      );
    }
    await page.alice.click('#btn-mute');
    await page.alice.click('#btn-camera');
    const enabled = await page.alice.evaluate(() => {
      const v = document.querySelector('#tiles .tile.me video') as HTMLVideoElement;
      return (v.srcObject as MediaStream)
        .getTracks()
        .map((t) => `${t.kind}:${t.enabled}`)
        .sort();
    });
    assert.deepEqual(enabled, ['audio:false', 'video:false']);
    await page.alice.click('#btn-mute');
    await page.alice.click('#btn-camera');
  });

  it('the chat page, as a screenshot (test-results/chat.png)', async () => {
    // A room of its own, so the picture shows an evening's chat rather than the tests.
    const room = 'tavern';
    const carol = await openRoom(ctx.carol, server, room);
    const bob = await openRoom(ctx.bob, server, room);
    const alice = await openRoom(ctx.alice, server, room);
    await say(bob, 'Evening all :-)');
    await say(carol, 'Hi! Game night? The rules: {link}https://example.org/rules');
    await say(alice, '/me brings snacks');
    await say(alice, 'Only if bob throws first ;-)');
    await bob.click('#btn-dice');
    await bob.fill('#dice-count', '3');
    await bob.fill('#dice-sides', '6');
    await bob.fill('#dice-again', '6');
    await bob.click('#dice-form button[value="roll"]');
    await waitForLine(alice, 'rolls 3d6');
    await say(alice, 'bob: bring the good dice next time <3');
    await waitForLine(alice, 'bring the good dice');
    const [chooser] = await Promise.all([alice.waitForEvent('filechooser'), alice.click('#users li[data-name="bob"] button.file')]);
    await chooser.setFiles({ name: 'dungeon-map.png', mimeType: 'image/png', buffer: randomBytes(180000) });
    await bob.locator('#transfers li.transfer.in', { hasText: 'dungeon-map.png' }).getByRole('button', { name: 'Accept' }).click({ timeout: 20000 });
    await alice.locator('#transfers li.transfer.out[data-state="done"]').waitFor({ timeout: 30000 });
    await alice.click('#btn-call');
    await bob.click('#btn-call');
    await alice.waitForFunction(
      () => ((document.querySelector('#tiles .tile[data-name="bob"] video') as HTMLVideoElement | null)?.videoWidth ?? 0) > 0,
      undefined,
      { timeout: 30000 },
    );
    await setPreview(alice, true);
    await setPreview(carol, true);
    await alice.waitForSelector('#users li[data-name="carol"] .peer[data-state="open"]', { timeout: 30000 });
    await carol.fill('#say', 'I am in, bringing my own dice');
    await alice.waitForSelector('#typing li[data-name="carol"]');
    await alice.fill('#say', 'carol: ');
    mkdirSync(join(ROOT, 'test-results'), { recursive: true });
    await alice.screenshot({ path: join(ROOT, 'test-results', 'chat.png') });
    if (process.env.TAILROOM_SCREENSHOT) copyFileSync(join(ROOT, 'test-results', 'chat.png'), process.env.TAILROOM_SCREENSHOT);
    for (const q of [alice, bob, carol]) await q.close();
  });

  it('while the tab is hidden: an unread count in the title and a desktop notification', async () => {
    // The page's view of the world: tab hidden, notifications allowed (recorded, not
    // shown). A string, so no helper of the test's compiler ends up inside the page.
    await page.alice.evaluate(`
      window.shown = [];
      function FakeNotification(title, opts) { window.shown.push(title + ' | ' + ((opts && opts.body) || '')); }
      FakeNotification.permission = 'granted';
      FakeNotification.requestPermission = async () => 'granted';
      FakeNotification.prototype.close = function () {};
      window.Notification = FakeNotification;
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
    `);
    await say(page.bob, 'anyone there?');
    await say(page.bob, 'hello?');
    await page.alice.waitForFunction(() => document.title.startsWith('(2) '), undefined, { timeout: 20000 });
    assert.deepEqual(await page.alice.evaluate(() => (window as unknown as { shown: string[] }).shown), [
      'bob in lobby | anyone there?',
      'bob in lobby | hello?',
    ]);
    await page.alice.evaluate(`
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
      document.dispatchEvent(new Event('visibilitychange'));
    `);
    assert.equal(await page.alice.title(), 'lobby · tailroom');
  });

  it('the disconnect button leaves the room and stays out until Connect', async () => {
    await page.carol.click('#btn-connect');
    await page.carol.waitForSelector('#conn[data-state="offline"]');
    await page.alice.waitForSelector('#users li[data-name="carol"]', { state: 'detached', timeout: 20000 });
    assert.equal(await page.carol.isDisabled('#composer button[type="submit"]'), true);
    await page.carol.click('#btn-connect');
    await page.carol.waitForSelector('#conn[data-state="online"]', { timeout: 20000 });
    await page.alice.waitForSelector('#users li[data-name="carol"]', { timeout: 20000 });
  });

  it('a kicked chatter’s page says why and does not reconnect by itself', async () => {
    execFileSync(process.execPath, [join(ROOT, 'dist', 'tailroom.mjs'), 'kick', ROOM, 'carol', '--reason', 'too loud', '--data-dir', server.data], {
      stdio: 'pipe',
    });
    await page.carol.waitForSelector('#conn[data-state="stopped"]', { timeout: 20000 });
    assert.match((await page.carol.textContent('#conn')) ?? '', /too loud/);
    await new Promise((r) => setTimeout(r, 1500)); // longer than the first reconnect delay
    assert.equal(await page.carol.getAttribute('#conn', 'data-state'), 'stopped');
  });

  it('after its handler is killed, the page reconnects and resumes: nothing missed, nothing doubled', async () => {
    await say(page.alice, 'before the fall');
    await waitForLine(page.alice, 'before the fall');
    process.kill(presencePid(server, ROOM, 'alice'), 'SIGKILL');
    await page.alice.waitForSelector('#conn:not([data-state="online"])', { timeout: 10000 });
    for (const n of [1, 2, 3]) await say(page.bob, `while you were away ${n}`);
    await page.alice.waitForSelector('#conn[data-state="online"]', { timeout: 30000 });
    for (const n of [1, 2, 3]) await waitForLine(page.alice, `while you were away ${n}`);
    await say(page.bob, 'after the return');
    await waitForLine(page.alice, 'after the return');
    const lines = await visibleLines(page.alice);
    for (const t of ['hello from alice', 'before the fall', 'while you were away 1', 'while you were away 2', 'while you were away 3', 'after the return']) {
      assert.equal(lines.filter((l) => l.endsWith(t)).length, 1, `"${t}" once in:\n${lines.join('\n')}`);
    }
    // And the page chats again.
    await say(page.alice, 'back again');
    await waitForLine(page.bob, 'back again');
    for (const p of Object.values(page)) assert.deepEqual((p as Page & { errors?: string[] }).errors, []);
  });
});
