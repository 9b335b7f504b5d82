// An end-to-end room (e2e = true in rooms/<room>.ini) in chromium: two pages with the
// passphrase talk and read each other; the log and their frames hold only ciphertext; a
// page with another passphrase shows "cannot decrypt" items, never what came out; a
// reload asks again and opens the replayed history.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Server, chatter, launchChromium, openRoom, say, startServer, waitForLine, stopAtEnd } from './harness.js';

const ROOM = 'vault';
const PASS = 'correct horse battery staple';

async function unlock(page: Page, passphrase: string): Promise<void> {
  await page.waitForSelector('#roomkey-pass', { timeout: 20000 });
  await page.fill('#roomkey-pass', passphrase);
  await page.press('#roomkey-pass', 'Enter');
  await page.waitForSelector('#roomkey.unlocked', { timeout: 20000 });
}

function sentFrames(ctx: BrowserContext): string[] {
  const sent: string[] = [];
  ctx.on('page', (p) => p.on('websocket', (ws) => ws.on('framesent', ({ payload }) => sent.push(String(payload)))));
  return sent;
}

describe('end-to-end rooms in chromium', () => {
  let server: Server;
  let browser: Browser;
  let alice: Page;
  let bob: Page;
  let aliceSent: string[];

  before(async function () {
    this.timeout(90000);
    server = await startServer();
    mkdirSync(join(server.data, 'rooms'), { recursive: true });
    writeFileSync(join(server.data, 'rooms', `${ROOM}.ini`), 'e2e = true\n');
    browser = await launchChromium(false);
    const aliceCtx = await chatter(browser, server, 'alice', '#c0392b');
    aliceSent = sentFrames(aliceCtx);
    const bobCtx = await chatter(browser, server, 'bob', '#2e86c1');
    alice = await openRoom(aliceCtx, server, ROOM);
    bob = await openRoom(bobCtx, server, ROOM);
    await unlock(alice, PASS);
    await unlock(bob, PASS);
  });

  stopAtEnd(() => ({ browser, server }));

  const log = () => readFileSync(join(server.data, 'rooms', `${ROOM}.log`), 'utf8');

  it('two pages with the passphrase read each other; the log and the frames hold only ciphertext', async function () {
    this.timeout(40000);
    const secret = `meet at the old mill ${randomBytes(6).toString('hex')}`;
    await say(alice, secret);
    await waitForLine(bob, secret);
    await waitForLine(alice, secret);
    const reply = `bring the map ${randomBytes(6).toString('hex')}`;
    await say(bob, reply);
    await waitForLine(alice, reply);
    assert.ok(!log().includes(secret) && !log().includes(reply) && !log().includes('old mill'), 'the log holds plaintext');
    assert.match(log(), /"type":"msg","from":"alice","color":"#c0392b","e2e":\{"v":1,"iv":"/);
    assert.ok(!aliceSent.some((f) => f.includes('old mill')), 'a frame alice sent holds plaintext');
    // The server computes dice in the clear: no secret in them.
    await say(alice, '/roll 2d6');
    await waitForLine(bob, 'rolls 2d6');
    // /me would log its text: the page refuses it.
    await say(alice, '/me whispers SECRET-ME');
    await waitForLine(alice, '/me is not available in an end-to-end encrypted room');
    assert.ok(!log().includes('SECRET-ME'));
  });

  it('a page with another passphrase shows "cannot decrypt" items, not garbage', async function () {
    this.timeout(40000);
    const ctx = await chatter(browser, server, 'carol', '#117a65');
    const carol = await openRoom(ctx, server, ROOM);
    await unlock(carol, 'not the passphrase');
    await waitForLine(carol, 'cannot decrypt (wrong passphrase?)');
    const items = await carol.$$eval('#log > li.msg', (lis) => lis.map((li) => li.textContent ?? ''));
    assert.ok(items.length >= 2, items.join('\n'));
    for (const t of items) assert.match(t, /cannot decrypt \(wrong passphrase\?\)/);
    const all = (await carol.textContent('#log')) ?? '';
    assert.ok(!all.includes('old mill') && !/[A-Za-z0-9+/]{24,}={0,2}/.test(all), all);
    await waitForLine(carol, 'was the passphrase wrong?');
    await ctx.close();
  });

  it('a reload asks for the passphrase again and opens the replayed history; an edit is sealed too', async function () {
    this.timeout(60000);
    await bob.reload();
    await unlock(bob, PASS);
    await waitForLine(bob, 'meet at the old mill');
    await waitForLine(bob, 'bring the map');
    // Up edits the last own message: the edit goes sealed and is opened on the other side.
    await alice.fill('#say', '');
    const before = log().length;
    await say(alice, 'second thought');
    await waitForLine(bob, 'second thought');
    await alice.press('#say', 'ArrowUp');
    await alice.fill('#say', 'third thought, edited');
    await alice.press('#say', 'Enter');
    await waitForLine(bob, 'third thought, edited');
    const added = log().slice(before);
    assert.match(added, /"type":"edit","from":"alice","ref":"[^"]+","e2e":\{"v":1/);
    assert.ok(!added.includes('thought'), added);
  });
});
