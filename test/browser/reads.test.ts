// Read markers between two chat pages in chromium: bob's page says it has seen alice's
// message, and alice's page shows "seen by bob" under it; alice leaves, bob says more,
// and alice's page after a reload draws the "new since you left" line before it.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Server, chatter, launchChromium, openRoom, say, startServer, waitForLine, stopAtEnd } from './harness.js';

const ROOM = 'lobby';

async function until(what: string, check: () => boolean, timeoutMs = 20000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('read markers in chromium', () => {
  let server: Server;
  let browser: Browser;
  let aliceCtx: BrowserContext;
  let alice: Page;
  let bob: Page;

  const logged = () => readFileSync(join(server.data, 'rooms', `${ROOM}.log`), 'utf8');
  const idOf = (text: string) =>
    logged()
      .split('\n')
      .find((l) => l.includes(`"text":"${text}"`))
      ?.slice(7, -1)
      .split('"')[0];
  /** alice's session's markers (sessions/<id>.read), as stored. */
  const aliceMarks = (): string => {
    const dir = join(server.data, 'sessions');
    const id = readdirSync(dir).find((f) => !f.includes('.') && !f.startsWith('.') && readFileSync(join(dir, f), 'utf8').includes('"name":"alice"'));
    try {
      return id ? readFileSync(join(dir, `${id}.read`), 'utf8') : '';
    } catch {
      return '';
    }
  };

  before(async function () {
    this.timeout(90000);
    server = await startServer(['--set', 'chat.read_coalesce_ms=300']);
    browser = await launchChromium(false);
    aliceCtx = await chatter(browser, server, 'alice', '#c0392b');
    const bobCtx = await chatter(browser, server, 'bob', '#2e86c1');
    alice = await openRoom(aliceCtx, server, ROOM);
    bob = await openRoom(bobCtx, server, ROOM);
  });

  stopAtEnd(() => ({ browser, server }));

  it("shows 'seen by bob' on alice's page once bob's page has seen her message", async function () {
    this.timeout(40000);
    await say(alice, 'hello from alice');
    await waitForLine(bob, 'hello from alice');
    await alice.waitForFunction(
      () => {
        const seen = [...document.querySelectorAll('#log > li.seen-by')].find((li) => li.textContent === 'seen by bob');
        return seen?.previousElementSibling?.textContent?.includes('hello from alice') === true;
      },
      undefined,
      { timeout: 20000 },
    );
    // Nobody is shown as a reader on their own page.
    assert.equal(await bob.locator('#log > li.seen-by', { hasText: 'bob' }).count(), 0);
  });

  it("draws the 'new since you left' line after a reload, before what came meanwhile", async function () {
    this.timeout(60000);
    const hello = idOf('hello from alice');
    assert.ok(hello);
    await until('alice marker stored', () => aliceMarks().includes(`"lobby":"${hello}"`));
    await alice.close();
    await say(bob, 'while you were away one');
    await say(bob, 'while you were away two');
    await until('both logged', () => logged().includes('away two'));
    alice = await openRoom(aliceCtx, server, ROOM);
    await waitForLine(alice, 'while you were away two');
    const around = await alice.evaluate(() => {
      const line = document.querySelector('#log > li.unread-line');
      return { text: line?.textContent, next: line?.nextElementSibling?.textContent ?? '', lines: document.querySelectorAll('#log > li.unread-line').length };
    });
    assert.equal(around.text, 'new since you left');
    assert.match(around.next, /while you were away one/);
    assert.equal(around.lines, 1);
    // Once seen, the marker moves on: the next welcome would draw no line.
    const two = idOf('while you were away two');
    await until('alice marker moved on', () => aliceMarks().includes(`"lobby":"${two}"`));
  });
});
