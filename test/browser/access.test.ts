// Closed rooms and registered names in chromium, against the real server: a password
// room entered through its form, an invite link opened in other browser contexts, a
// private room made from the user list for two chatters, and a topic set by an operator
// who registered their name on the settings page. Each chatter is a context of its own
// (its own cookie, so its own session and grants).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import { dataDir } from '../../src/store/datadir.js';
import { hashPassword } from '../../src/store/passwords.js';
import { updateRoomSettings } from '../../src/store/roomsettings.js';
import { type Server, ROOT, chatter, launchChromium, openRoom, say, startServer, waitForLine, stopAtEnd } from './harness.js';

/** What a WebSocket into `room` gets with the cookies of `ctx` (its session, its grants), until it closes. */
async function socketInto(ctx: BrowserContext, server: Server, room: string): Promise<{ frames: string[]; closed: boolean }> {
  const cookie = (await ctx.cookies(server.base)).map((c) => `${c.name}=${c.value}`).join('; ');
  const ws = new WebSocket(`${server.base.replace('http', 'ws')}/${encodeURIComponent(room)}`, { headers: { Cookie: cookie, Origin: server.base } });
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(String(data)));
  const closed = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), 15000);
    ws.once('close', () => {
      clearTimeout(t);
      resolve(true);
    });
    ws.once('error', () => undefined); // the close follows
  });
  ws.terminate();
  return { frames, closed };
}

/** The names in a page's user list. */
async function usersOn(page: Page): Promise<string[]> {
  return page.$$eval('#users > li', (lis) => lis.map((li) => li.getAttribute('data-name') ?? ''));
}

async function waitForUsers(page: Page, names: string[]): Promise<void> {
  await page.waitForFunction((want) => want.every((n) => document.querySelector(`#users > li[data-name="${n}"]`) !== null), names, { timeout: 20000 });
}

describe('closed rooms and registered names in chromium', () => {
  let server: Server;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const person = async (name: string, color = '#2e86c1') => {
    const ctx = await chatter(browser, server, name, color);
    contexts.push(ctx);
    return ctx;
  };
  const tailroom = (...args: string[]) =>
    execFileSync(process.execPath, [join(ROOT, 'dist', 'tailroom.mjs'), ...args, '--data-dir', server.data], { encoding: 'utf8' });

  before(async function () {
    this.timeout(90000);
    server = await startServer();
    browser = await launchChromium(false);
  });

  stopAtEnd(() => ({ browser, server }));

  afterEach(async () => {
    // Each test's chatters leave: the next test's rooms hold only its own.
    for (const ctx of contexts.splice(0)) await ctx.close();
  });

  it('a password room: its form first, a wrong password refused, the right one lets in; a socket without the grant is refused', async function () {
    this.timeout(60000);
    const key = await hashPassword('open sesame');
    await updateRoomSettings(dataDir(server.data), 'vault', (s) => {
      s.key = key;
    });
    const dave = await (await person('dave')).newPage();
    await dave.goto(`${server.base}/chat?room=vault`);
    assert.equal(await dave.locator('#chat').count(), 0, 'no chat page before the password');
    await dave.fill('#room-password', 'open says me');
    await dave.click('button[type="submit"]');
    assert.equal(await dave.locator('#password-error').textContent(), 'Wrong password.');
    assert.equal(await dave.locator('#chat').count(), 0);
    await dave.fill('#room-password', 'open sesame');
    await dave.click('button[type="submit"]');
    await dave.waitForSelector('#conn[data-state="online"]', { timeout: 20000 });
    assert.equal(new URL(dave.url()).search, '?room=vault');
    await say(dave, 'the gold is under the floor');
    await waitForLine(dave, 'the gold is under the floor');

    // Eve has a session of her own and no grant: the page asks her for the password, and
    // a WebSocket she opens by hand is turned away before it hears anything of the room.
    const eveCtx = await person('eve', '#8e44ad');
    const eve = await eveCtx.newPage();
    await eve.goto(`${server.base}/chat?room=vault`);
    await eve.waitForSelector('#room-password');
    const got = await socketInto(eveCtx, server, 'vault');
    assert.ok(got.closed, 'the server closes the socket');
    const types = got.frames.map((f) => (JSON.parse(f) as { type: string }).type);
    assert.deepEqual(types, ['error']);
    assert.equal((JSON.parse(got.frames[0] ?? '{}') as { code?: string }).code, 'forbidden');
    assert.ok(!got.frames.some((f) => f.includes('gold')), 'no history for her');
    assert.deepEqual(await usersOn(dave), ['dave'], 'and no presence: dave never saw her');
  });

  it('an invite link into a private room: a second context joins by its button and chats; a third finds it used up', async function () {
    this.timeout(60000);
    writeFileSync(join(server.data, 'rooms', 'hideout.log'), '');
    tailroom('room', 'set', 'hideout', '--visibility', 'private');
    const { token } = JSON.parse(tailroom('invite', 'hideout', '--uses', '1', '--json')) as { token: string };
    const link = `${server.base}/join?room=hideout&invite=${token}`;

    const frank = await (await person('frank')).newPage();
    await frank.goto(`${server.base}/chat?room=hideout`);
    assert.match((await frank.locator('.error .message').textContent()) ?? '', /private/);
    await frank.goto(link);
    await frank.click('button:has-text("Join hideout")');
    await frank.waitForSelector('#conn[data-state="online"]', { timeout: 20000 });
    assert.equal(new URL(frank.url()).search, '?room=hideout');
    await say(frank, 'frank made it in');
    await waitForLine(frank, 'frank made it in');

    const gina = await (await person('gina', '#27ae60')).newPage();
    const res = await gina.goto(link);
    assert.equal(res?.status(), 410);
    assert.match((await gina.locator('.error .message').textContent()) ?? '', /used up/);
    await gina.goto(`${server.base}/chat?room=hideout`);
    assert.equal(await gina.locator('#chat').count(), 0, 'nor does the room let her in');
  });

  it('"Private chat" beside a name: both follow their link into one private room; a third chatter neither enters nor sees it', async function () {
    this.timeout(90000);
    const alice = await openRoom(await person('alice', '#c0392b'), server, 'lobby');
    const bob = await openRoom(await person('bob'), server, 'lobby');
    const carolCtx = await person('carol', '#27ae60');
    const carol = await openRoom(carolCtx, server, 'lobby');
    await waitForUsers(alice, ['alice', 'bob', 'carol']);
    await alice.click('#users li[data-name="bob"] button.private');

    const switchLink = (page: Page) => page.locator('#log a.invite', { hasText: 'Switch to ' });
    await switchLink(alice).waitFor({ timeout: 20000 });
    await switchLink(bob).waitFor({ timeout: 20000 });
    const room = ((await switchLink(alice).textContent()) ?? '').replace('Switch to ', '');
    assert.equal((await switchLink(bob).textContent()) ?? '', `Switch to ${room}`, 'the same room on both pages');
    assert.match(room, /^alice-bob-[0-9a-f]{4}$/);
    assert.equal(await switchLink(carol).count(), 0, 'carol got no link');

    for (const page of [alice, bob]) {
      await switchLink(page).click();
      await page.click(`button:has-text("Join ${room}")`);
      await page.waitForSelector('#conn[data-state="online"]', { timeout: 20000 });
      assert.equal(new URL(page.url()).searchParams.get('room'), room);
    }
    await waitForUsers(alice, ['alice', 'bob']);
    await waitForUsers(bob, ['alice', 'bob']);
    await say(alice, 'just the two of us');
    await waitForLine(bob, 'just the two of us');
    await say(bob, '/msg alice and a whisper');
    await waitForLine(alice, 'and a whisper');

    const outside = await carolCtx.newPage();
    await outside.goto(`${server.base}/chat?room=${encodeURIComponent(room)}`);
    assert.equal(await outside.locator('#chat').count(), 0);
    assert.match((await outside.locator('.error .message').textContent()) ?? '', /private/);
    const got = await socketInto(carolCtx, server, room);
    assert.equal((JSON.parse(got.frames[0] ?? '{}') as { code?: string }).code, 'forbidden');
    await outside.goto(`${server.base}/rooms`);
    const listed = await outside.$$eval('main h2 a', (as) => as.map((a) => a.textContent ?? ''));
    assert.ok(listed.includes('lobby'), `the list shows the lobby: ${listed.join(', ')}`);
    assert.ok(!listed.includes(room), 'but not the private room');
    await outside.goto(`${server.base}/history`);
    assert.equal(await outside.locator(`a:has-text("${room}")`).count(), 0, 'nor does the history index');
    assert.deepEqual((await usersOn(alice)).sort(), ['alice', 'bob']);
  });

  it('a name registered on the settings page, made operator, sets the topic: live in the header, in the room list and the history', async function () {
    this.timeout(60000);
    const olgaCtx = await person('olga', '#d35400');
    const settings = await olgaCtx.newPage();
    await settings.goto(`${server.base}/settings`);
    await settings.fill('#reg-name', 'olga');
    await settings.fill('#reg-password', 'short');
    await settings.fill('#reg-confirm', 'short');
    // The browser's own minlength check would stop the form: the server's is the one tested.
    await settings.$eval('#reg-password', (e) => e.removeAttribute('minlength'));
    await settings.$eval('#reg-confirm', (e) => e.removeAttribute('minlength'));
    await settings.click('button:has-text("Register")');
    assert.match((await settings.locator('.form-error').first().textContent()) ?? '', /password cannot be used/);
    await settings.fill('#reg-password', 'a long enough password');
    await settings.fill('#reg-confirm', 'a long enough password');
    await settings.click('button:has-text("Register")');
    assert.match((await settings.locator('.saved').textContent()) ?? '', /Registered: olga is yours now/);
    assert.equal(await settings.locator('#account-title').textContent(), 'Signed in as olga');

    await updateRoomSettings(dataDir(server.data), 'lounge', (s) => {
      s.operators = ['olga'];
    });
    const olga = await openRoom(olgaCtx, server, 'lounge');
    const bob = await openRoom(await person('bob'), server, 'lounge');
    await waitForUsers(bob, ['olga', 'bob']);
    assert.equal(await bob.locator('#topic').isHidden(), true, 'no topic yet');
    await say(bob, '/topic bob was here');
    await waitForLine(bob, 'setting the topic is for the operators of lounge');
    await say(olga, '/topic Fresh coffee at ten');
    await bob.waitForFunction(() => document.getElementById('topic')?.textContent === 'Fresh coffee at ten', undefined, { timeout: 20000 });
    assert.equal(await bob.locator('#topic').isVisible(), true);
    await waitForLine(bob, 'olga set the topic');
    const list = await olgaCtx.newPage();
    await list.goto(`${server.base}/rooms`);
    const lounge = list.locator('li', { has: list.locator('h2 a', { hasText: 'lounge' }) });
    assert.equal(await lounge.locator('.topic').textContent(), 'Topic: Fresh coffee at ten');
    await list.goto(`${server.base}/history?room=lounge`);
    assert.match((await list.locator('li.event.topic').textContent()) ?? '', /olga set the topic: Fresh coffee at ten/);
  });
});
