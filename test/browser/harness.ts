// What the browser tests stand on: the real server (`tailroom start`: websocketd, the
// room handler, the pages, the STUN server) on free loopback ports over a temp data dir,
// and Debian's chromium driven by playwright-core. Everything started here is stopped by
// pid. Chromium flags: the only set that runs here (no sandbox, no GPU, no background
// network), fake camera and microphone for calls.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { dataDir } from '../../src/store/datadir.js';
import { SESSION_COOKIE, writeSession } from '../../src/store/sessions.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
/** A fake camera and microphone, and "allow" answered for the page. */
export const FAKE_MEDIA_FLAGS = ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'];

export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function udpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(false);
    });
    s.bind(port, host, () => s.close(() => resolve(true)));
  });
}

/** A UDP port P with P and P + 1 free on 127.0.0.1 and 127.0.0.2 (node-stun binds all four). */
export async function freeStunPort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const p = 20000 + 2 * Math.floor(Math.random() * 20000);
    const all = await Promise.all(['127.0.0.1', '127.0.0.2'].flatMap((h) => [udpFree(h, p), udpFree(h, p + 1)]));
    if (all.every(Boolean)) return p;
  }
  throw new Error('no free UDP port pair for STUN');
}

export interface Server {
  base: string;
  port: number;
  stunPort: number;
  data: string;
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** `stunPort`: the [stun] port to give (default: a free one); `waitForStun`: wait for its banner. */
export async function startServer(extra: string[] = [], opts: { stunPort?: number; waitForStun?: boolean } = {}): Promise<Server> {
  for (const f of ['dist/tailroom.mjs', 'dist/room.cjs', 'dist/cgi/chat', 'htdocs/build/app.js']) {
    if (!existsSync(join(ROOT, f))) throw new Error(`${f} is missing: run node bin/build.mjs first`);
  }
  const data = mkdtempSync(join(tmpdir(), 'tailroom-browser-'));
  const port = await freeTcpPort();
  const stunPort = opts.stunPort ?? (await freeStunPort());
  const proc = spawn(
    process.execPath,
    [
      join(ROOT, 'dist', 'tailroom.mjs'),
      'start',
      '--port',
      String(port),
      '--data-dir',
      data,
      '--set',
      `stun.port=${stunPort}`,
      '--set',
      'chat.presence_stale_ms=3000',
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const gone = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 8000);
      await gone;
      clearTimeout(t);
    }
    // Handlers may still be logging their leave after the CLI exited (a leave can even
    // recreate rooms/): retry for a few seconds, until they are gone.
    for (let attempt = 0; ; attempt++) {
      try {
        rmSync(data, { recursive: true, force: true });
        break;
      } catch (e) {
        if (attempt >= 50) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  };
  const until = Date.now() + 30000;
  while (!(out.includes('chat at') && (opts.waitForStun === false || out.includes('STUN on udp')))) {
    if (proc.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(`tailroom start did not come up:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { base: `http://127.0.0.1:${port}`, port, stunPort, data, proc, output: () => out, stop };
}

/** Playwright gives each launch a fresh profile (--user-data-dir in a new temp dir). */
export async function launchChromium(fakeMedia = true): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS, ...(fakeMedia ? FAKE_MEDIA_FLAGS : [])] });
}

/** A browser of its own for one chatter, signed in by a session file in the data dir. */
export async function chatter(browser: Browser, server: Server, name: string, color: string): Promise<BrowserContext> {
  const id = randomBytes(32).toString('base64url');
  const now = new Date().toISOString();
  writeSession(dataDir(server.data), id, { name, color, created: now, seen: now });
  const ctx = await browser.newContext({ viewport: { width: 1180, height: 760 }, acceptDownloads: true });
  await ctx.grantPermissions(['camera', 'microphone'], { origin: server.base });
  await ctx.addCookies([{ name: SESSION_COOKIE, value: id, domain: '127.0.0.1', path: '/', httpOnly: true, sameSite: 'Lax' }]);
  return ctx;
}

export async function openRoom(ctx: BrowserContext, server: Server, room: string): Promise<Page> {
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  (page as Page & { errors?: string[] }).errors = errors;
  await page.goto(`${server.base}/chat?room=${encodeURIComponent(room)}`);
  await page.waitForSelector('#conn[data-state="online"]', { timeout: 20000 });
  return page;
}

export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#say', text);
  await page.press('#say', 'Enter');
}

/** The typing preview setting (off unless chosen), through the settings dialog. */
export async function setPreview(page: Page, on: boolean): Promise<void> {
  await page.click('#btn-settings');
  await page.setChecked('#pref-preview', on);
  await page.keyboard.press('Escape');
}

/** The text of the visible lines of the message list. */
export async function visibleLines(page: Page): Promise<string[]> {
  return page.$$eval('#log > li:not([hidden])', (lis) => lis.map((li) => (li.textContent ?? '').replace(/\s+/g, ' ').trim()));
}

export async function waitForLine(page: Page, text: string, timeout = 20000): Promise<void> {
  await page.waitForFunction((t) => [...document.querySelectorAll('#log > li')].some((li) => li.textContent?.includes(t)), text, { timeout });
}

export function presencePid(server: Server, room: string, name: string): number {
  return (JSON.parse(readFileSync(join(server.data, 'users', room, name, 'info'), 'utf8')) as { pid: number }).pid;
}

/** After a failed test, the server's last lines on stderr: what it said is often why. */
export function showServerOutputOnFailure(server: () => Server | undefined): void {
  afterEach(function () {
    const s = server();
    if (this.currentTest?.state === 'failed' && s) process.stderr.write(`--- server output ---\n${s.output().split('\n').slice(-40).join('\n')}\n`);
  });
}

/** How a suite ends: the server's output after a failure, and at the end chromium and the server stopped. */
export function stopAtEnd(running: () => { browser?: Browser; server?: Server }): void {
  showServerOutputOnFailure(() => running().server);
  after(async function () {
    this.timeout(30000);
    const { browser, server } = running();
    await browser?.close();
    await server?.stop();
  });
}
