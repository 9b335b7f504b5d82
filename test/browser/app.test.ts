// The installable app: the manifest chromium reads from every page, the service worker
// (src/web/sw.ts, built to htdocs/sw.js) that keeps the app shell, notifications shown
// through it, and what a reload shows once the server is gone: the chat page from the
// worker's copy, reconnecting, not the browser's error page.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { dataDir } from '../../src/store/datadir.js';
import { SESSION_COOKIE, writeSession } from '../../src/store/sessions.js';
import { type Server, CHROMIUM, CHROMIUM_FLAGS, chatter, launchChromium, openRoom, say, startServer, showServerOutputOnFailure } from './harness.js';

const ROOM = 'lobby';

interface ManifestAnswer {
  url: string;
  errors: { message: string; critical: number }[];
  data?: string;
}

/** The keys of every cache the worker filled, and the cache names. */
async function cached(page: Page): Promise<{ names: string[]; urls: string[] }> {
  return page.evaluate(async () => {
    const names = await caches.keys();
    const urls: string[] = [];
    for (const n of names) for (const r of await (await caches.open(n)).keys()) urls.push(r.url);
    return { names, urls };
  });
}

describe('the installable app in chromium', () => {
  let server: Server;
  let browser: Browser;
  let profile: string;
  let alice: BrowserContext;
  let bob: BrowserContext;
  let page: Page;

  before(async function () {
    this.timeout(90000);
    server = await startServer();
    // Alice in a profile on disk, as an installed app runs: chromium does not install from
    // an incognito context, which is what browser.newContext() makes.
    profile = mkdtempSync(join(tmpdir(), 'tailroom-profile-'));
    alice = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    const id = randomBytes(32).toString('base64url');
    const now = new Date().toISOString();
    writeSession(dataDir(server.data), id, { name: 'alice', color: '#c0392b', created: now, seen: now });
    await alice.addCookies([{ name: SESSION_COOKIE, value: id, domain: '127.0.0.1', path: '/', httpOnly: true, sameSite: 'Lax' }]);
    browser = await launchChromium(false);
    bob = await chatter(browser, server, 'bob', '#2e86c1');
    page = await openRoom(alice, server, ROOM);
  });

  after(async function () {
    this.timeout(30000);
    await alice?.close();
    await browser?.close();
    await server?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  showServerOutputOnFailure(() => server);

  it('every page links a manifest chromium reads without errors: name, relative start_url and scope, icons', async () => {
    for (const path of [`chat?room=${ROOM}`, 'rooms']) {
      const p = path === 'rooms' ? await alice.newPage() : page;
      if (p !== page) await p.goto(`${server.base}/${path}`);
      const cdp = await alice.newCDPSession(p);
      const m = (await cdp.send('Page.getAppManifest')) as ManifestAnswer;
      assert.equal(m.url, `${server.base}/manifest.json`, path);
      assert.deepEqual(m.errors, [], `${path}: ${JSON.stringify(m.errors)}`);
      const data = JSON.parse(m.data ?? '{}') as { name: string; start_url: string; scope: string; display: string; icons: { src: string; sizes: string }[] };
      assert.equal(data.name, 'tailroom');
      assert.equal(data.display, 'standalone');
      // Relative, so a proxy prefix (https://example.org/chat/) stays in both.
      assert.equal(data.start_url, 'rooms');
      assert.equal(data.scope, './');
      assert.deepEqual(data.icons.map((i) => i.sizes).sort(), ['192x192', '512x512', '512x512', 'any']);
      await cdp.detach();
      if (p !== page) await p.close();
    }
    for (const icon of ['icons/icon.svg', 'icons/icon-192.png', 'icons/icon-512.png']) {
      const res = await page.request.get(`${server.base}/${icon}`);
      assert.equal(res.status(), 200, icon);
    }
  });

  it('the worker registers, controls the page after a reload, and keeps the shell, not the chat data', async () => {
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, `${server.base}/`);
    await page.reload();
    await page.waitForSelector('#conn[data-state="online"]', { timeout: 20000 });
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL), `${server.base}/sw.js`);
    const cdp = await alice.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: { errorId: string }[] };
    assert.deepEqual(installabilityErrors, [], JSON.stringify(installabilityErrors));
    await cdp.detach();
    // A history page and the room list are looked at, but never kept.
    for (const path of [`history?room=${ROOM}`, 'rooms']) {
      const p = await alice.newPage();
      await p.goto(`${server.base}/${path}`);
      await p.close();
    }
    const { names, urls } = await cached(page);
    assert.equal(names.length, 1, `one cache, named after the shell's digest: ${names}`);
    assert.match(names[0] ?? '', /^tailroom-shell-[0-9a-f]{16}$/);
    for (const f of ['build/app.js', 'style.css', 'chat.css', 'emoticons/smile.svg', 'icons/icon-192.png', 'offline.html', `chat?room=${ROOM}`])
      assert.ok(urls.includes(`${server.base}/${f}`), `${f} is kept: ${urls.join(' ')}`);
    assert.deepEqual(
      urls.filter((u) => /history|rooms|\/lobby\b/.test(u)),
      [],
      'no history, no room list, no WebSocket',
    );
  });

  it('a message that arrives while the page is hidden is shown through the worker registration', async () => {
    await alice.grantPermissions(['notifications'], { origin: server.base });
    // Strings: tsx would wrap functions written here in a helper (__name) the page lacks.
    // What the page asks the registration to show is recorded (headless chromium lists
    // shown notifications in getNotifications() only late and not always).
    await page.evaluate(`
      Object.defineProperty(document, 'hidden', { configurable: true, get() { return true; } });
      window.__shown = [];
      const real = ServiceWorkerRegistration.prototype.showNotification;
      ServiceWorkerRegistration.prototype.showNotification = function (title, options) {
        window.__shown.push({ title, body: options.body, url: options.data && options.data.url });
        return real.call(this, title, options);
      };
    `);
    const other = await openRoom(bob, server, ROOM);
    await say(other, 'ping for the hidden tab');
    await page.waitForFunction(() => (window as unknown as { __shown: unknown[] }).__shown.length > 0, undefined, { timeout: 20000, polling: 100 });
    assert.deepEqual(await page.evaluate('window.__shown'), [
      { title: 'bob in lobby', body: 'ping for the hidden tab', url: `${server.base}/chat?room=${ROOM}` },
    ]);
    await other.close();
    await page.evaluate('delete document.hidden');
  });

  it('with the server stopped, a reload shows the chat shell reconnecting, and other pages a reconnecting page', async function () {
    this.timeout(60000);
    await server.stop();
    await page.reload();
    await page.waitForSelector('#conn[data-state="waiting"]', { timeout: 20000 });
    assert.equal(await page.locator('#chat h1').textContent(), ROOM);
    assert.equal(await page.locator('#say').count(), 1, 'the composer is there');
    assert.equal(await page.locator('#send').isDisabled(), true, 'and cannot send');
    // A refused attempt lasts milliseconds: every text the state line shows is recorded, not polled.
    await page.evaluate(() => {
      const conn = document.getElementById('conn') as HTMLElement;
      const seen: string[] = [];
      (window as unknown as { connTexts: string[] }).connTexts = seen;
      new MutationObserver(() => seen.push(conn.textContent ?? '')).observe(conn, { childList: true, characterData: true, subtree: true });
    });
    await page.waitForFunction(() => (window as unknown as { connTexts: string[] }).connTexts.includes('Reconnecting…'), undefined, { timeout: 20000 });
    await page.waitForFunction(() => /^Connection lost\. Retrying in \d+ s/.test(document.getElementById('conn')?.textContent ?? ''), undefined, {
      timeout: 20000,
      polling: 50,
    });
    // A room never opened in this browser, and a page the worker does not keep.
    for (const path of ['chat?room=elsewhere', 'rooms']) {
      const p = await alice.newPage();
      await p.goto(`${server.base}/${path}`);
      assert.equal(await p.locator('h1').textContent(), 'Reconnecting…', path);
      assert.equal(p.url(), `${server.base}/${path}`, 'at the address asked for');
      await p.close();
    }
  });
});
