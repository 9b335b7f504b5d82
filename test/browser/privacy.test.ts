// What a chat page gives away just by being open: its address (WebRTC connects only on
// demand, so a chatter who does nothing gets no `signal` and opens no RTCPeerConnection)
// and its requests (an {image} pointing at the chat's own pages is never fetched).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type Server, chatter, launchChromium, openRoom, say, setPreview, startServer, waitForLine, stopAtEnd } from './harness.js';

const ROOM = 'lobby';

/** Counts the page's RTCPeerConnections: every one it makes is kept in window.__pcs. */
const COUNT_PEER_CONNECTIONS = `
  (() => {
    const Real = window.RTCPeerConnection;
    window.__pcs = [];
    window.RTCPeerConnection = function (...args) {
      const pc = new Real(...args);
      window.__pcs.push(pc);
      return pc;
    };
    window.RTCPeerConnection.prototype = Real.prototype;
  })();
`;

interface Watched {
  page: Page;
  /** The `signal` frames this page's WebSocket received. */
  signals: string[];
  /** Every URL the page asked for. */
  requests: string[];
}

async function peerConnections(p: Page): Promise<{ made: number; open: number }> {
  return p.evaluate(() => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs;
    return { made: pcs.length, open: pcs.filter((pc) => pc.connectionState !== 'closed').length };
  });
}

describe('privacy of a chat page in chromium', () => {
  let server: Server;
  let browser: Browser;
  type Name = 'alice' | 'bob' | 'carol';
  const NAMES: Name[] = ['alice', 'bob', 'carol'];
  const ctx = {} as Record<Name, BrowserContext>;
  const w = {} as Record<Name, Watched>;

  before(async function () {
    this.timeout(90000);
    server = await startServer();
    browser = await launchChromium();
    for (const [name, color] of [
      ['alice', '#c0392b'],
      ['bob', '#2e86c1'],
      ['carol', '#27ae60'],
    ] as const) {
      ctx[name] = await chatter(browser, server, name, color);
      await ctx[name].addInitScript(COUNT_PEER_CONNECTIONS);
      const watched: Watched = { signals: [], requests: [] } as unknown as Watched;
      ctx[name].on('page', (p) => {
        p.on('websocket', (ws) =>
          ws.on('framereceived', ({ payload }) => {
            const s = String(payload);
            if (s.includes('"type":"signal"')) watched.signals.push(s);
          }),
        );
        p.on('request', (r) => watched.requests.push(r.url()));
      });
      watched.page = await openRoom(ctx[name], server, ROOM);
      w[name] = watched;
    }
    for (const name of ['alice', 'bob'] as const) await w[name].page.waitForSelector('#users li[data-name="carol"]', { timeout: 20000 });
  });

  stopAtEnd(() => ({ browser, server }));

  it('nobody connects to anybody just for being in the room', async () => {
    await new Promise((r) => setTimeout(r, 3000)); // time enough for a mesh to form
    for (const name of NAMES) {
      assert.deepEqual(await peerConnections(w[name].page), { made: 0, open: 0 }, `${name} made a peer connection`);
      assert.deepEqual(w[name].signals, [], `${name} received signals`);
    }
  });

  it('the typing preview connects only two chatters who both turned it on', async () => {
    const { page: alice } = w.alice;
    const { page: bob } = w.bob;
    await setPreview(alice, true);
    await setPreview(bob, true);
    await alice.fill('#say', 'half a thought');
    await bob.waitForSelector('#typing li[data-name="alice"]', { timeout: 20000 });
    assert.equal(await bob.locator('#typing li[data-name="alice"] .draft').textContent(), 'half a thought');
    await alice.fill('#say', '');
    // Turned off on one side: the connection goes.
    await setPreview(bob, false);
    await alice.waitForFunction(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.every((pc) => pc.connectionState === 'closed'), undefined, {
      timeout: 20000,
    });
    await setPreview(alice, false);
  });

  it('a file transfer connects its two ends only, and the connection closes when it is done', async () => {
    const { page: alice } = w.alice;
    const { page: bob } = w.bob;
    const content = randomBytes(100000);
    const [chooser] = await Promise.all([alice.waitForEvent('filechooser'), alice.click('#users li[data-name="bob"] button.file')]);
    await chooser.setFiles({ name: 'notes.bin', mimeType: 'application/octet-stream', buffer: content });
    const offer = bob.locator('#transfers li.transfer.in', { hasText: 'notes.bin' });
    await offer.getByRole('button', { name: 'Accept' }).click({ timeout: 20000 });
    await offer.locator('a.save').waitFor({ timeout: 30000 });
    await alice.locator('#transfers li.transfer.out[data-state="done"]', { hasText: 'notes.bin' }).waitFor({ timeout: 20000 });
    for (const p of [alice, bob]) {
      await p.waitForFunction(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.every((pc) => pc.connectionState === 'closed'), undefined, {
        timeout: 20000,
      });
    }
  });

  it('a call connects those in it; the chatter who does nothing gets no signal and no peer connection', async () => {
    const { page: alice } = w.alice;
    const { page: bob } = w.bob;
    await alice.click('#btn-call');
    await bob.click('#btn-call');
    for (const [p, other] of [
      [alice, 'bob'],
      [bob, 'alice'],
    ] as const) {
      await p.waitForFunction(
        (who: string) => ((document.querySelector(`#tiles .tile[data-name="${who}"] video`) as HTMLVideoElement | null)?.videoWidth ?? 0) > 0,
        other,
        { timeout: 30000 },
      );
    }
    assert.ok(w.alice.signals.length > 0 && w.bob.signals.length > 0, 'the two in the call did signal');
    await alice.click('#btn-hangup');
    await bob.waitForFunction(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.every((pc) => pc.connectionState === 'closed'), undefined, {
      timeout: 20000,
    });
    await bob.click('#btn-hangup');
    assert.deepEqual(w.carol.signals, [], 'carol received signals');
    assert.deepEqual(await peerConnections(w.carol.page), { made: 0, open: 0 }, 'carol made a peer connection');
  });

  it('an {image} pointing at one of the chat’s own pages is not fetched; a static image is', async () => {
    const carol = w.carol;
    const before = carol.requests.length;
    await say(
      w.alice.page,
      'amplify {image}history?room=lobby&q=x {image}rooms {image}./settings {image}chat?room=a {image}history/x.png {image}/HISTORY?q=y {image}emoticons/heart.svg',
    );
    await waitForLine(carol.page, 'amplify');
    const imgs = await carol.page
      .locator('#log > li.msg', { hasText: 'amplify' })
      .locator('.text img:not(.emoticon)')
      .evaluateAll((is) => is.map((i) => i.getAttribute('src')));
    assert.deepEqual(imgs, [`${server.base}/emoticons/heart.svg`]);
    await new Promise((r) => setTimeout(r, 500));
    const asked = carol.requests.slice(before).map((u) => new URL(u).pathname);
    for (const path of asked) assert.ok(!/^\/(history|rooms|settings|chat)\b/i.test(path), `the page asked for ${path}`);
    const text = (await carol.page.locator('#log > li.msg', { hasText: 'amplify' }).textContent()) ?? '';
    assert.ok(text.includes('history?room=lobby&q=x'), `the insert stays visible as a link or text: ${text}`);
  });
});
