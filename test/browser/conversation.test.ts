// Conversations in the chat page: replies (the quote, the jump to the message answered,
// the history page for one further back, the thread panel), @mentions (the highlight and
// the notification that comes even with notifications off), and the multi-line box.

import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Server, chatter, launchChromium, openRoom, say, startServer, waitForLine } from './harness.js';

const ROOM = 'lobby';

/** The line of the message that says `text` (the first such line). */
const lineOf = (page: Page, text: string) => page.locator('#log > li.msg', { has: page.locator('.text', { hasText: text }) }).first();

describe('conversations in the chat page: replies, mentions, the multi-line box', () => {
  let server: Server;
  let browser: Browser;
  let alice: BrowserContext;
  let bob: BrowserContext;
  let a: Page;
  let b: Page;

  before(async function () {
    this.timeout(90000);
    // A short replay, so a page opened later lacks the older messages.
    server = await startServer(['--set', 'chat.history_on_join=4']);
    browser = await launchChromium(false);
    alice = await chatter(browser, server, 'alice', '#c0392b');
    bob = await chatter(browser, server, 'bob', '#2e86c1');
    a = await openRoom(alice, server, ROOM);
    b = await openRoom(bob, server, ROOM);
    await a.waitForSelector('#users li[data-name="bob"]', { timeout: 20000 });
  });
  after(async function () {
    this.timeout(30000);
    await browser?.close();
    await server?.stop();
  });

  it('a reply quotes its message; clicking the quote scrolls to that message and flashes it', async function () {
    this.timeout(60000);
    await say(a, 'the cake is in the fridge');
    await waitForLine(b, 'the cake is in the fridge');
    await lineOf(b, 'the cake is in the fridge').hover();
    await lineOf(b, 'the cake is in the fridge').locator('button.reply').click();
    assert.equal(
      await b
        .locator('#replying')
        .textContent()
        .then((t) => t?.replace(/\s+/g, ' ').trim()),
      'Replying to alice: the cake is in the fridge ×',
    );
    // Escape gives the reply up; Reply again starts it anew.
    await b.press('#say', 'Escape');
    assert.equal(await b.locator('#replying').isHidden(), true);
    await lineOf(b, 'the cake is in the fridge').locator('button.reply').click({ force: true });
    // Enough lines between them that the message answered scrolls out of sight.
    for (let i = 0; i < 8; i++) await say(a, `filler ${i}\n${'more\n'.repeat(4)}end`);
    await waitForLine(b, 'filler 7');
    await b.fill('#say', 'thanks, I will have some');
    await b.press('#say', 'Enter');
    assert.equal(await b.locator('#replying').isHidden(), true, 'sent: the reply line goes');
    await waitForLine(a, 'thanks, I will have some');
    const reply = lineOf(a, 'thanks, I will have some');
    assert.equal(await reply.locator('button.quote').textContent(), 'alice: the cake is in the fridge');
    const parent = lineOf(a, 'the cake is in the fridge');
    assert.equal(await parent.locator('button.thread-open').textContent(), '1 reply');
    const inView = () =>
      parent.evaluate((li) => {
        const log = li.closest('#log') as HTMLElement;
        const r = li.getBoundingClientRect();
        const l = log.getBoundingClientRect();
        return r.bottom > l.top && r.top < l.bottom;
      });
    await a.evaluate(() => {
      const log = document.getElementById('log') as HTMLElement;
      log.scrollTop = log.scrollHeight;
    });
    assert.equal(await inView(), false, 'the message answered is out of sight');
    await reply.locator('button.quote').click();
    await a.waitForFunction(() => document.querySelector('#log li.flash') !== null, undefined, { timeout: 5000 });
    assert.match((await parent.getAttribute('class')) ?? '', /\bflash\b/);
    assert.equal(await inView(), true, 'scrolled to it');
  });

  it('the thread panel lists a message with its replies', async function () {
    this.timeout(60000);
    await lineOf(a, 'the cake is in the fridge').locator('button.reply').click({ force: true });
    await a.fill('#say', 'only the left half is mine');
    await a.press('#say', 'Enter');
    await b.waitForFunction(() => document.querySelector('#log button.thread-open')?.textContent === '2 replies', undefined, { timeout: 20000 });
    await lineOf(b, 'the cake is in the fridge').locator('button.thread-open').click();
    await b.waitForSelector('#thread:not([hidden])', { timeout: 5000 });
    const texts = await b.$$eval('#thread li .text', (els) => els.map((e) => e.textContent));
    assert.deepEqual(texts, ['the cake is in the fridge', 'thanks, I will have some', 'only the left half is mine']);
    // A third reply, arriving while the panel is open, joins it.
    await lineOf(a, 'the cake is in the fridge').locator('button.reply').click({ force: true });
    await a.fill('#say', 'the right half is for carol');
    await a.press('#say', 'Enter');
    await b.waitForFunction(() => document.querySelectorAll('#thread li').length === 4, undefined, { timeout: 20000 });
    await b.click('#thread .thread-close');
    assert.equal(await b.locator('#thread').isHidden(), true);
  });

  it('a reply to a message no longer on the page links to the history page at that message', async function () {
    this.timeout(60000);
    const carol = await chatter(browser, server, 'carol', '#27ae60');
    const c = await openRoom(carol, server, ROOM);
    await waitForLine(c, 'the right half is for carol');
    assert.equal(await lineOf(c, 'the cake is in the fridge').count(), 0, 'the message answered was not replayed');
    const quote = lineOf(c, 'the right half is for carol').locator('a.quote');
    assert.equal(await quote.textContent(), 'a message further back');
    const [tab] = await Promise.all([carol.waitForEvent('page', { timeout: 20000 }), quote.click()]);
    await tab.waitForLoadState();
    const url = new URL(tab.url());
    const id = url.hash.slice(1);
    assert.equal(url.searchParams.get('at'), id);
    assert.equal(await tab.locator(`li[id="${id}"] .text`).textContent(), 'the cake is in the fridge');
    // On that page, the replies link to it by its anchor.
    assert.equal(await tab.locator(`a.reply-to[href="#${id}"]`).count(), 3);
    await carol.close();
  });

  it('a mention highlights the line and notifies while hidden, even with notifications off here', async function () {
    this.timeout(60000);
    await alice.grantPermissions(['notifications'], { origin: server.base });
    await a.click('#btn-settings');
    await a.setChecked('#pref-notify', false);
    await a.keyboard.press('Escape');
    // Strings: tsx would wrap functions written here in a helper (__name) the page lacks.
    // What the page shows, through the worker registration or the page's own Notification, is recorded.
    await a.evaluate(`
      Object.defineProperty(document, 'hidden', { configurable: true, get() { return true; } });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get() { return 'hidden'; } });
      document.dispatchEvent(new Event('visibilitychange'));
      window.__shown = [];
      const real = ServiceWorkerRegistration.prototype.showNotification;
      ServiceWorkerRegistration.prototype.showNotification = function (title, options) {
        window.__shown.push({ title, body: options.body });
        return real.call(this, title, options);
      };
      const Real = window.Notification;
      window.Notification = class extends Real {
        constructor(title, options) { super(title, options); window.__shown.push({ title, body: options.body }); }
      };
    `);
    await say(b, 'nothing for alice here');
    await say(b, 'look at this, @alice!');
    await a.waitForFunction(() => (window as unknown as { __shown: unknown[] }).__shown.length > 0, undefined, { timeout: 20000, polling: 100 });
    await waitForLine(a, 'look at this');
    assert.deepEqual(await a.evaluate('window.__shown'), [{ title: 'bob mentions you in lobby', body: 'look at this, @alice!' }]);
    assert.match((await lineOf(a, 'look at this').getAttribute('class')) ?? '', /\bmention\b/);
    assert.doesNotMatch((await lineOf(a, 'nothing for alice here').getAttribute('class')) ?? '', /\bmention\b/);
    await a.evaluate('delete document.hidden; delete document.visibilityState');
  });

  it('Tab after @ completes a name anywhere in the box, and cycles', async function () {
    this.timeout(30000);
    const carol = await chatter(browser, server, 'bobby', '#8e44ad');
    const c = await openRoom(carol, server, ROOM);
    await a.waitForSelector('#users li[data-name="bobby"]', { timeout: 20000 });
    await a.fill('#say', 'ask @bo about it');
    await a.focus('#say');
    await a.evaluate(() => {
      const t = document.getElementById('say') as HTMLTextAreaElement;
      t.setSelectionRange(7, 7);
    });
    await a.keyboard.press('Tab');
    assert.equal(await a.inputValue('#say'), 'ask @bob about it');
    await a.keyboard.press('Tab');
    assert.equal(await a.inputValue('#say'), 'ask @bobby about it');
    await a.fill('#say', '');
    await c.close();
    await carol.close();
  });

  it('Shift+Enter starts a new line, so a fenced code block goes as one message, highlighted', async function () {
    this.timeout(60000);
    await a.fill('#say', '');
    await a.focus('#say');
    await a.keyboard.type('```js');
    await a.keyboard.press('Shift+Enter');
    await a.keyboard.type('const answer = 42;');
    await a.keyboard.press('Shift+Enter');
    await a.keyboard.type('```');
    assert.equal(await a.inputValue('#say'), '```js\nconst answer = 42;\n```');
    // Up on the last line of a longer text moves the caret, not to what was sent before.
    await a.keyboard.press('ArrowUp');
    assert.equal(await a.inputValue('#say'), '```js\nconst answer = 42;\n```');
    const height = await a.locator('#say').evaluate((t) => t.getBoundingClientRect().height);
    assert.ok(height > 40, `the box grew to show the lines (${height}px)`);
    await a.keyboard.press('Enter');
    await b.waitForSelector('#log pre code.hljs .hljs-keyword', { timeout: 20000 });
    assert.equal(await b.locator('#log pre code .hljs-keyword').first().textContent(), 'const');
    assert.equal(await a.inputValue('#say'), '');
    // Up on an empty box still edits my last message.
    await a.press('#say', 'ArrowUp');
    assert.equal(await a.inputValue('#say'), '```js\nconst answer = 42;\n```');
    await a.press('#say', 'Escape');
    assert.deepEqual((a as Page & { errors?: string[] }).errors ?? [], []);
    assert.deepEqual((b as Page & { errors?: string[] }).errors ?? [], []);
  });
});
