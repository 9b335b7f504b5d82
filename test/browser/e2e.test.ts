// End-to-end whispers between two chat pages in chromium: what the server holds and sends
// is ciphertext only; the receiving page shows the text with a lock; a tampered box is
// refused with a warning; both pages show the same fingerprint; a reload keeps the key.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import { dataDir } from '../../src/store/datadir.js';
import { SESSION_COOKIE, writeSession } from '../../src/store/sessions.js';
import { type Server, chatter, launchChromium, openRoom, say, startServer, waitForLine, stopAtEnd } from './harness.js';

const ROOM = 'lobby';

/** Keeps the page's WebSocket in window.__ws, so a test can send a frame of its own on it. */
const KEEP_SOCKET = `
  (() => {
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      window.__ws = this;
      return send.call(this, data);
    };
  })();
`;

interface Frames {
  sent: string[];
  received: string[];
}

function watchFrames(ctx: BrowserContext): Frames {
  const f: Frames = { sent: [], received: [] };
  ctx.on('page', (p) =>
    p.on('websocket', (ws) => {
      ws.on('framesent', ({ payload }) => f.sent.push(String(payload)));
      ws.on('framereceived', ({ payload }) => f.received.push(String(payload)));
    }),
  );
  return f;
}

function info(server: Server, name: string): { pub?: string } {
  return JSON.parse(readFileSync(join(server.data, 'users', ROOM, name, 'info'), 'utf8')) as { pub?: string };
}

async function fingerprint(page: Page, of: string): Promise<string> {
  const lock = page.locator(`#users li[data-name="${of}"] .lock`);
  await lock.waitFor({ timeout: 20000 });
  return (await lock.getAttribute('data-fingerprint')) ?? '';
}

/** Every file under the data dir but sessions, and what the server printed. */
function everythingStored(server: Server): string {
  const out: string[] = [server.output()];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(readFileSync(p, 'latin1'));
    }
  };
  walk(server.data);
  return out.join('\n');
}

describe('end-to-end whispers in chromium', () => {
  let server: Server;
  let browser: Browser;
  let aliceCtx: BrowserContext;
  let bobCtx: BrowserContext;
  let alice: Page;
  let bob: Page;
  let aliceFrames: Frames;
  let bobFrames: Frames;

  before(async function () {
    this.timeout(90000);
    server = await startServer();
    browser = await launchChromium(false);
    aliceCtx = await chatter(browser, server, 'alice', '#c0392b');
    bobCtx = await chatter(browser, server, 'bob', '#2e86c1');
    await aliceCtx.addInitScript(KEEP_SOCKET);
    aliceFrames = watchFrames(aliceCtx);
    bobFrames = watchFrames(bobCtx);
    alice = await openRoom(aliceCtx, server, ROOM);
    bob = await openRoom(bobCtx, server, ROOM);
  });

  stopAtEnd(() => ({ browser, server }));

  it('shows both pages the same fingerprint of the pair', async function () {
    this.timeout(30000);
    const a = await fingerprint(alice, 'bob');
    const b = await fingerprint(bob, 'alice');
    assert.match(a, /^[0-9a-f]{4}( [0-9a-f]{4}){4}$/);
    assert.equal(a, b);
    // The keys the server holds are the pages' (65-byte raw points), kept in presence info.
    for (const name of ['alice', 'bob']) assert.equal(Buffer.from(info(server, name).pub ?? '', 'base64').length, 65);
  });

  it('a whisper reaches the other page with a lock, and the server, its files and its frames hold only ciphertext', async function () {
    this.timeout(30000);
    const secret = `the key is under the mat ${randomBytes(6).toString('hex')}`;
    await say(alice, `bob: ${secret}`);
    await waitForLine(bob, secret);
    const line = bob.locator('#log > li.whisper', { hasText: secret });
    assert.equal(await line.locator('.lock').count(), 1, 'a lock on the whisper');
    assert.equal(await line.locator('.plain').count(), 0);
    await waitForLine(alice, secret); // the sender's echo, opened too
    const whispers = bobFrames.received.filter((f) => f.includes('"type":"whisper"'));
    assert.ok(whispers.length > 0 && whispers.every((f) => f.includes('"e2e":{"v":1,')), whispers.join('\n'));
    for (const [what, frames] of [
      ["bob's received frames (what the handler wrote)", bobFrames.received],
      ["alice's sent and received frames", [...aliceFrames.sent, ...aliceFrames.received]],
    ] as const) {
      assert.ok(!frames.some((f) => f.includes(secret) || f.includes('under the mat')), `${what} hold the plaintext`);
    }
    const inbox = readFileSync(join(server.data, 'users', ROOM, 'bob', 'inbox'), 'utf8');
    assert.ok(inbox.includes('"e2e"'), 'the inbox holds the box');
    const stored = everythingStored(server);
    assert.ok(!stored.includes('under the mat'), 'a file in the data dir, or the server output, holds the plaintext');
  });

  it('a tampered ciphertext is refused by the receiving page with a visible warning, never shown', async function () {
    this.timeout(30000);
    const sent = aliceFrames.sent.filter((f) => f.includes('"e2e"')).at(-1);
    assert.ok(sent, 'alice sent a box');
    const m = JSON.parse(sent) as { e2e: { ct: string } };
    const ct = Buffer.from(m.e2e.ct, 'base64');
    ct[0] = (ct[0] ?? 0) ^ 1;
    m.e2e.ct = ct.toString('base64');
    const tampered = JSON.stringify(m);
    await alice.evaluate((frame) => (window as unknown as { __ws: WebSocket }).__ws.send(frame), tampered);
    await waitForLine(bob, 'a whisper from alice could not be decrypted: it was altered or the key changed');
    const warning = bob.locator('#log > li.warning', { hasText: 'could not be decrypted' });
    assert.equal(await warning.count(), 1);
    assert.ok(await warning.isVisible());
    assert.equal(await bob.locator('#log > li.whisper').count(), 1, 'only the genuine whisper is shown');
  });

  it('a whisper from a terminal client stays plain text, and is marked so', async function () {
    this.timeout(30000);
    const id = randomBytes(32).toString('base64url');
    const now = new Date().toISOString();
    writeSession(dataDir(server.data), id, { name: 'carol', color: '#27ae60', created: now, seen: now });
    const url = `${server.base.replace('http', 'ws')}/${ROOM}`;
    const ws = new WebSocket(url, { headers: { Cookie: `${SESSION_COOKIE}=${id}`, Origin: server.base } });
    try {
      await new Promise<void>((resolve, reject) => {
        ws.once('error', reject);
        ws.on('message', (data) => {
          if (String(data).includes('"type":"welcome"')) resolve();
        });
      });
      ws.send(JSON.stringify({ type: 'whisper', to: 'bob', text: 'hello from a terminal' }));
      await waitForLine(bob, 'hello from a terminal');
      const line = bob.locator('#log > li.whisper', { hasText: 'hello from a terminal' });
      assert.equal(await line.locator('.plain').count(), 1, 'marked plain text');
      assert.equal(await line.locator('.lock').count(), 0);
      // carol has no key: bob's list shows no lock for her, and bob's whisper to her goes plain.
      await bob.locator('#users li[data-name="carol"]').waitFor({ timeout: 20000 });
      assert.equal(await bob.locator('#users li[data-name="carol"] .lock').count(), 0);
      await say(bob, 'carol: plain back');
      await waitForLine(bob, 'plain back');
      assert.equal(await bob.locator('#log > li.whisper', { hasText: 'plain back' }).locator('.plain').count(), 1);
    } finally {
      ws.close();
    }
  });

  it('a reload keeps the key; a new browser under the same name is announced as a changed key', async function () {
    this.timeout(60000);
    const before = info(server, 'alice').pub;
    const fp = await fingerprint(bob, 'alice');
    await alice.reload();
    await alice.waitForSelector('#conn[data-state="online"]', { timeout: 20000 });
    await alice.locator('#users li.me[data-name="alice"]').waitFor({ timeout: 20000 }); // the name back, not alice1
    await alice.locator('#users li[data-name="bob"] .lock').waitFor({ timeout: 20000 });
    assert.equal(info(server, 'alice').pub, before, 'the same public key after a reload');
    assert.equal(await fingerprint(alice, 'bob'), fp);
    await aliceCtx.close();
    // Another profile, another key pair: bob's page remembers alice's key and says so.
    const other = await chatter(browser, server, 'alice', '#c0392b');
    await openRoom(other, server, ROOM);
    await waitForLine(bob, "alice's key changed");
    assert.notEqual(await fingerprint(bob, 'alice'), fp);
  });
});
