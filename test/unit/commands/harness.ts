// A real Chatter (the handler's logic) in this process, on a temp data dir, with a session
// of its own: the commands' tests connect several, as separate processes would.

import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { Chatter } from '../../../src/handler/chatter.js';
import { loadConfig } from '../../../src/config.js';
import { dataDir } from '../../../src/store/datadir.js';
import { newSessionId, SESSION_COOKIE, type Session, writeSession } from '../../../src/store/sessions.js';

export type Message = Record<string, unknown> & { type: string };

export class TestChatter {
  readonly got: Message[] = [];
  readonly chatter: Chatter;
  private waiters: (() => void)[] = [];

  constructor(
    root: string,
    room: string,
    readonly name: string,
    /** What else the session holds: a proof, grants. */
    session: Partial<Session> = {},
    overrides: Record<string, string | number | boolean> = {},
  ) {
    const id = newSessionId();
    const now = new Date().toISOString();
    writeSession(dataDir(root), id, { name, color: '#123456', created: now, seen: now, ...session });
    const cfg = loadConfig({
      confPath: join(root, 'no-such-chat.ini'),
      env: {},
      overrides: { 'server.data_dir': root, 'chat.presence_stale_ms': 3000, 'chat.rate_per_sec': 0, ...overrides },
    });
    const out = {
      write: (line: string) => {
        this.got.push(JSON.parse(line) as Message);
        for (const w of this.waiters) w();
      },
    };
    this.chatter = new Chatter(cfg, room, { pathInfo: `/${room}`, query: '', cookie: `${SESSION_COOKIE}=${id}` }, out, () => undefined);
  }

  send(line: string): void {
    this.chatter.reader.push(Buffer.from(`${line}\n`));
  }

  /** The first message from `from` on that satisfies `test`; fails after 3 s. */
  waitFor(test: (m: Message) => boolean, from = 0): Promise<Message> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const m = this.got.slice(from).find(test);
        if (!m) return false;
        this.waiters = this.waiters.filter((w) => w !== check);
        clearTimeout(timer);
        resolve(m);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out; got ${JSON.stringify(this.got.slice(from))}`));
      }, 3000);
      if (!check()) this.waiters.push(check);
    });
  }

  /** Send a line and resolve with the first reply of `type` after it. */
  async ask(line: string, type: string): Promise<Message> {
    const from = this.got.length;
    this.send(line);
    return this.waitFor((m) => m.type === type, from);
  }
}

export const ms = (n: number) => new Promise((r) => setTimeout(r, n));

/** Resolves once `done()` holds, checking every 20 ms; fails after 5 s. */
export async function until(done: () => boolean, what: string): Promise<void> {
  for (const start = Date.now(); !done(); await ms(20)) if (Date.now() - start > 5000) assert.fail(`timed out waiting for ${what}`);
}
