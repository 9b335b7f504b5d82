// Formatted messages in the chat page: bold and a fenced code block that names its
// language, sent by a plain WebSocket client (the composer is one line), highlighted by
// htdocs/build/highlight.js, which the page loads only once such a block arrives.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type Server, ROOT, chatter, launchChromium, openRoom, startServer, waitForLine } from './harness.js';

/** One message from a WebSocket client of its own; resolves when the client is done. */
function sendRaw(server: Server, text: string): Promise<void> {
  const args = [join(ROOT, 'test', 'helpers', 'ws.mjs'), `ws://127.0.0.1:${server.port}/lobby`, '--timeout', '15000'];
  args.push('--wait', '"type":"welcome"', '--send', JSON.stringify({ type: 'msg', text }), '--wait', '"type":"msg"');
  const p = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => p.kill('SIGKILL'), 20000);
    p.once('exit', (code) => {
      clearTimeout(t);
      if (code === 0) resolve();
      else reject(new Error(`ws.mjs exited with ${code}`));
    });
  });
}

describe('formatted messages in the chat page', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;

  before(async function () {
    this.timeout(90000);
    server = await startServer();
    browser = await launchChromium(false);
    page = await openRoom(await chatter(browser, server, 'amy', '#c0392b'), server, 'lobby');
  });
  after(async function () {
    this.timeout(30000);
    await browser?.close();
    await server?.stop();
  });

  it('shows bold and a highlighted code block, loading highlight.js on the first one', async function () {
    this.timeout(60000);
    const loaded = () => page.evaluate(() => document.querySelectorAll('script[src$="build/highlight.js"]').length);
    await sendRaw(server, 'a **bold** word, <b>no tag</b>');
    await waitForLine(page, 'bold word');
    assert.equal(await page.locator('#log .text strong').textContent(), 'bold');
    assert.equal(await page.locator('#log .text b').count(), 0);
    assert.equal(await loaded(), 0, 'no code block yet: no highlight.js');

    await sendRaw(server, '```js\nconst answer = "<img src=x onerror=alert(1)>";\n```');
    await page.waitForSelector('#log pre code.hljs .hljs-keyword', { timeout: 20000 });
    assert.equal(await page.locator('#log pre code .hljs-keyword').first().textContent(), 'const');
    assert.equal(await page.locator('#log pre code .hljs-string').textContent(), '"<img src=x onerror=alert(1)>"');
    assert.equal(await page.locator('#log pre img').count(), 0);
    assert.equal(await loaded(), 1);
    assert.deepEqual((page as Page & { errors?: string[] }).errors ?? [], []);
  });
});
