// Calls and media in a real browser: Chromium's fake camera, microphone and screen (the
// fake devices answer getDisplayMedia too, with a "screen" the size of the window and no
// picker: FAKE_MEDIA_FLAGS are enough). Screen sharing in a call reaches the other page;
// voice and video messages recorded in one page arrive byte-identical in the other and
// play; the server keeps none of it.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import WebSocket from 'ws';
import { dataDir } from '../../src/store/datadir.js';
import { SESSION_COOKIE, writeSession } from '../../src/store/sessions.js';
import { MAX_MEDIA_BYTES } from '../../src/web/files.js';
import { type Server, chatter, launchChromium, openRoom, startServer, stopAtEnd } from './harness.js';

const ROOM = 'studio';

/** Every RTCPeerConnection the page makes is kept in window.__pcs (as in privacy.test.ts). */
const KEEP_PEER_CONNECTIONS = `
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

/** What alice sends as her video, on her open peer connection: the track's surface and size. */
async function sentVideo(p: Page): Promise<{ surface: string | undefined; width: number | undefined } | undefined> {
  return p.evaluate(() => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter((pc) => pc.connectionState !== 'closed');
    const track = pcs
      .at(-1)
      ?.getSenders()
      .find((s) => s.track?.kind === 'video')?.track;
    if (!track) return undefined;
    const s = track.getSettings() as MediaTrackSettings & { displaySurface?: string };
    return { surface: s.displaySurface, width: s.width };
  });
}

/** Waits until the tile of `who` shows video `width` pixels wide, its frames still coming. */
async function tileWidth(p: Page, who: string, width: number): Promise<void> {
  await p.waitForFunction(
    ([name, w]) => (document.querySelector(`#tiles .tile[data-name="${name}"] video`) as HTMLVideoElement | null)?.videoWidth === w,
    [who, width] as const,
    { timeout: 30000 },
  );
  const fresh = await p.evaluate(
    (name) =>
      new Promise<boolean>((resolve) => {
        const v = document.querySelector(`#tiles .tile[data-name="${name}"] video`) as HTMLVideoElement;
        const timer = setTimeout(() => resolve(false), 5000);
        v.requestVideoFrameCallback(() => {
          clearTimeout(timer);
          resolve(true);
        });
      }),
    who,
  );
  assert.ok(fresh, `frames of ${who} keep arriving`);
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

async function saved(p: Page, line: string): Promise<Buffer> {
  const [download] = await Promise.all([p.waitForEvent('download'), p.locator(`${line} a.save`).click()]);
  return readFileSync(await download.path());
}

describe('calls and media in chromium', () => {
  let server: Server;
  let browser: Browser;
  const ctx = {} as Record<'alice' | 'bob', BrowserContext>;
  const page = {} as Record<'alice' | 'bob', Page>;
  const recordings: Buffer[] = [];

  before(async function () {
    this.timeout(90000);
    server = await startServer();
    browser = await launchChromium();
    for (const [name, color] of [
      ['alice', '#c0392b'],
      ['bob', '#2e86c1'],
    ] as const) {
      ctx[name] = await chatter(browser, server, name, color);
      await ctx[name].addInitScript(KEEP_PEER_CONNECTIONS);
      page[name] = await openRoom(ctx[name], server, ROOM);
    }
    await page.alice.waitForSelector('#users li[data-name="bob"]', { timeout: 20000 });
  });

  stopAtEnd(() => ({ browser, server }));

  it('screen sharing in a call: the screen takes the camera’s place at the other end, and the camera comes back', async () => {
    const { alice, bob } = page;
    await alice.click('#btn-call');
    await bob.click('#btn-call');
    await tileWidth(bob, 'alice', 640);
    assert.equal((await sentVideo(alice))?.surface, undefined, 'the camera first');
    const pcsBefore = await alice.evaluate(() => (window as unknown as { __pcs: unknown[] }).__pcs.length);

    await alice.click('#btn-share');
    await alice.locator('#btn-share', { hasText: 'Stop sharing' }).waitFor({ timeout: 10000 });
    const screen = await sentVideo(alice);
    assert.equal(screen?.surface, 'monitor', 'the screen');
    assert.ok(screen?.width && screen.width !== 640, `the screen's own size: ${screen?.width}`);
    await tileWidth(bob, 'alice', screen.width);
    assert.equal(await alice.locator('#btn-camera').isDisabled(), true);
    assert.equal(await alice.evaluate(() => (window as unknown as { __pcs: unknown[] }).__pcs.length), pcsBefore, 'the same connection carries it');

    await alice.click('#btn-share');
    await alice.locator('#btn-share', { hasText: 'Share screen' }).waitFor({ timeout: 10000 });
    assert.equal((await sentVideo(alice))?.surface, undefined, 'the camera again');
    await tileWidth(bob, 'alice', 640);

    // The browser's own "Stop sharing" ends the track: the page goes back to the camera.
    await alice.click('#btn-share');
    await tileWidth(bob, 'alice', screen.width);
    await alice.evaluate(() => {
      const v = document.querySelector('#tiles .tile.me video') as HTMLVideoElement;
      const screen = (v.srcObject as MediaStream).getVideoTracks()[0];
      screen?.stop();
      screen?.dispatchEvent(new Event('ended'));
    });
    await alice.locator('#btn-share', { hasText: 'Share screen' }).waitFor({ timeout: 10000 });
    await tileWidth(bob, 'alice', 640);
    assert.equal(await alice.locator('#btn-camera').isDisabled(), false);

    await alice.click('#btn-hangup');
    await bob.click('#btn-hangup');
    for (const p of [alice, bob]) {
      await p.waitForFunction(() => (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.every((pc) => pc.connectionState === 'closed'), undefined, {
        timeout: 20000,
      });
    }
  });

  it('a voice message recorded in one page arrives byte-identical in the other and plays', async () => {
    const { alice, bob } = page;
    await alice.click('#btn-voice');
    await alice.locator('#btn-voice', { hasText: 'Stop' }).waitFor({ timeout: 10000 });
    await new Promise((r) => setTimeout(r, 1800));
    await alice.click('#btn-voice');
    await alice.locator('#recording[data-kind="voice"] audio').waitFor({ timeout: 10000 });
    await alice.click('#recording .send-recording');
    const line = '#log li.media.voice[data-from="alice"]';
    await bob.locator(line).waitFor({ timeout: 30000 });
    await alice.locator(`${line}[data-state="sent"]`).waitFor({ timeout: 30000 });
    const mine = await saved(alice, line);
    const got = await saved(bob, line);
    assert.ok(mine.length > 2000, `a recording of some size: ${mine.length} bytes`);
    assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(mine).digest('hex'));
    assert.equal(got.subarray(0, 4).toString('hex'), '1a45dfa3', 'a WebM (EBML) file');
    recordings.push(mine);
    const played = await bob.evaluate(async (sel) => {
      const a = document.querySelector(`${sel} audio`) as HTMLAudioElement;
      a.muted = true; // a headless browser has nowhere to play to; the clock runs all the same
      await a.play();
      const until = Date.now() + 10000;
      while (a.currentTime < 0.5 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      return a.currentTime;
    }, line);
    assert.ok(played >= 0.5, `it played: ${played} s`);
  });

  it('holding the Voice button records while it is held; Discard drops the recording', async () => {
    const { alice } = page;
    const box = await alice.locator('#btn-voice').boundingBox();
    assert.ok(box);
    await alice.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await alice.mouse.down();
    await alice.locator('#btn-voice', { hasText: 'Stop' }).waitFor({ timeout: 10000 });
    await new Promise((r) => setTimeout(r, 1200));
    await alice.mouse.up();
    await alice.locator('#recording[data-kind="voice"] audio').waitFor({ timeout: 10000 });
    assert.equal(await alice.locator('#btn-voice').textContent(), 'Voice', 'not recording any more');
    await alice.click('#recording .discard-recording');
    assert.equal(await alice.locator('#recording').count(), 0);
  });

  it('a video message arrives byte-identical and shows its pictures', async () => {
    const { alice, bob } = page;
    await alice.click('#btn-video-msg');
    await alice.locator('#btn-video-msg', { hasText: 'Stop' }).waitFor({ timeout: 10000 });
    await new Promise((r) => setTimeout(r, 1500));
    await alice.click('#btn-video-msg');
    await alice.locator('#recording[data-kind="video"] video').waitFor({ timeout: 10000 });
    await alice.click('#recording .send-recording');
    const line = '#log li.media.video[data-from="alice"]';
    await bob.locator(line).waitFor({ timeout: 30000 });
    const mine = await saved(alice, line);
    const got = await saved(bob, line);
    assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(mine).digest('hex'));
    recordings.push(mine);
    const width = await bob.evaluate(async (sel) => {
      const v = document.querySelector(`${sel} video`) as HTMLVideoElement;
      v.muted = true;
      await v.play();
      const until = Date.now() + 10000;
      while (!(v.videoWidth > 0 && v.currentTime > 0.3) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      return v.videoWidth;
    }, line);
    assert.ok(width > 0, 'pictures');
  });

  it('the server keeps none of it: its files hold no part of a recording, its inboxes only signaling', async () => {
    assert.equal(recordings.length, 2, 'the recordings of the tests before');
    const pieces = recordings.flatMap((r) => [0.25, 0.5, 0.75].map((at) => r.subarray(Math.floor(r.length * at), Math.floor(r.length * at) + 48)));
    for (const f of files(server.data)) {
      const where = relative(server.data, f);
      if (!statSync(f).size) continue;
      const bytes = readFileSync(f);
      for (const p of pieces) assert.ok(!bytes.includes(p), `${where} holds part of a recording`);
      if (/^users\/.*\/inbox$/.test(where)) {
        for (const line of bytes.toString('utf8').split('\n').filter(Boolean)) {
          const entry = JSON.parse(line) as { type: string };
          // A `presence` line tells a handler to re-read someone's info (a public key, a read marker).
          assert.ok(['signal', 'status', 'presence'].includes(entry.type), `${where}: a ${entry.type} line`);
        }
      }
    }
  });

  it('a recording is taken unasked only up to MAX_MEDIA_BYTES: a bigger one is an ordinary offer', async () => {
    // mallory is a plain WebSocket client: offers travel in signals before any connection.
    const id = randomBytes(32).toString('base64url');
    const now = new Date().toISOString();
    writeSession(dataDir(server.data), id, { name: 'mallory', color: '#777777', created: now, seen: now });
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/${ROOM}`, { headers: { cookie: `${SESSION_COOKIE}=${id}`, origin: server.base } });
    const heard: Record<string, unknown>[] = [];
    ws.on('message', (b) => heard.push(JSON.parse(String(b)) as Record<string, unknown>));
    try {
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const sid = randomBytes(12).toString('hex');
      const offer = (fileId: string, size: number) =>
        ws.send(
          JSON.stringify({
            type: 'signal',
            to: 'bob',
            data: { sid, msg: { t: 'file-offer', id: fileId, name: `${fileId.slice(0, 4)}.webm`, size, kind: 'voice' } },
          }),
        );
      const big = 'b1'.repeat(12);
      const small = 'a1'.repeat(12);
      offer(big, MAX_MEDIA_BYTES + 1);
      offer(small, 5000);
      const answers = async () => {
        const until = Date.now() + 15000;
        for (;;) {
          const got = heard.filter((m) => m.type === 'signal').map((m) => (m.data as { msg?: { t: string; id: string; accept: boolean } }).msg);
          if (got.some((m) => m?.id === small) || Date.now() > until) return got;
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      const got = await answers();
      assert.deepEqual(
        got.filter((m) => m?.t === 'file-answer'),
        [{ t: 'file-answer', id: small, accept: true }],
        'the small one accepted at once, the big one not answered',
      );
      const row = page.bob.locator(`#transfers li.transfer.in[data-id="${big}"]`);
      await row.getByRole('button', { name: 'Accept' }).waitFor({ timeout: 10000 });
      assert.equal(await page.bob.locator(`#transfers li[data-id="${small}"]`).count(), 0, 'a recording has no row in Files');
      ws.send(JSON.stringify({ type: 'signal', to: 'bob', data: { sid, msg: { t: 'file-cancel', id: small } } }));
      ws.send(JSON.stringify({ type: 'signal', to: 'bob', data: { sid, msg: { t: 'file-cancel', id: big } } }));
    } finally {
      ws.close();
    }
  });
});
