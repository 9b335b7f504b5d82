// An end-to-end room (e2e = true in rooms/<room>.ini) through a real Chatter on a temp
// data dir: ciphertext is logged as it is, plain text is refused (e2e_required) but for
// the commands whose output is no secret, and an ordinary room takes no ciphertext.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Message, TestChatter, until } from '../commands/harness.js';

const box = () => ({ v: 1, iv: randomBytes(12).toString('base64'), ct: randomBytes(48).toString('base64') });

describe('end-to-end rooms (through a Chatter)', function () {
  this.timeout(20000);
  let root: string;
  let open: TestChatter[];
  const connect = async (room: string, name: string) => {
    const c = new TestChatter(root, room, name);
    open.push(c);
    await c.chatter.start();
    return c;
  };
  const log = (room: string) => readFileSync(join(root, 'rooms', `${room}.log`), 'utf8');
  const errorOf = (c: TestChatter, line: string) => c.ask(line, 'error') as Promise<Message & { code: string; message: string }>;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-e2eroom-'));
    open = [];
    mkdirSync(join(root, 'rooms'), { recursive: true });
    writeFileSync(join(root, 'rooms', 'vault.ini'), 'e2e = true\n');
  });
  afterEach(async () => {
    await Promise.all(open.map((c) => c.chatter.leave('closed')));
    rmSync(root, { recursive: true, force: true });
  });

  it('says so in the welcome, and only there', async () => {
    const a = await connect('vault', 'alice');
    assert.equal(a.got.find((m) => m.type === 'welcome')?.e2e, true);
    const b = await connect('lobby', 'bob');
    assert.equal(b.got.find((m) => m.type === 'welcome')?.e2e, undefined);
  });

  it('logs a box as it is, with no mentions, and refuses plain text, /me and plain edits', async () => {
    const a = await connect('vault', 'alice');
    const e2e = box();
    a.send(JSON.stringify({ type: 'msg', e2e }));
    await until(() => log('vault').includes(e2e.ct), 'the box in the log');
    const stored = log('vault')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((e) => e.type === 'msg');
    assert.deepEqual(stored.e2e, e2e);
    assert.equal(stored.text, undefined);
    assert.equal(stored.mentions, undefined);
    for (const line of ['plain SECRET words', JSON.stringify({ type: 'msg', text: 'SECRET @alice' }), '/me SECRET waves', 'bob: SECRET']) {
      const err = await errorOf(a, line);
      assert.equal(err.code, 'e2e_required', line);
      assert.match(err.message, /end-to-end encrypted: use the chat page/);
    }
    const err = await errorOf(a, JSON.stringify({ type: 'edit', ref: stored.id, text: 'SECRET edit' }));
    assert.equal(err.code, 'e2e_required');
    assert.doesNotMatch(log('vault'), /SECRET/);
  });

  it('still runs the commands the server computes: /dice, /who, /nick', async () => {
    const a = await connect('vault', 'alice');
    a.send('/dice 2 6');
    a.send('/roll 1d20+1');
    await until(() => log('vault').split('"type":"roll"').length === 3, 'both rolls');
    assert.match(String((await a.ask('/who', 'info')).text), /alice/);
    a.send('/nick alicia');
    await until(() => log('vault').includes('"type":"nick"'), 'the nick');
  });

  it('edits and deletes a box: the new box is logged, the delete blanks both', async () => {
    const a = await connect('vault', 'alice');
    const first = box();
    a.send(JSON.stringify({ type: 'msg', e2e: first }));
    await until(() => log('vault').includes(first.ct), 'the msg');
    const id = JSON.parse(
      log('vault')
        .split('\n')
        .find((l) => l.includes(first.ct)) ?? '{}',
    ).id as string;
    const second = box();
    a.send(JSON.stringify({ type: 'edit', ref: id, e2e: second }));
    await until(() => log('vault').includes(second.ct), 'the edit');
    const size = log('vault').length;
    a.send(JSON.stringify({ type: 'delete', ref: id }));
    await until(() => log('vault').includes('"type":"delete"'), 'the delete');
    await until(() => !log('vault').includes(first.ct) && !log('vault').includes(second.ct), 'both boxes blanked');
    assert.ok(log('vault').length > size, 'only the delete line added');
  });

  it('refuses ciphertext in an ordinary room, and a box over the size limit', async () => {
    const b = await connect('lobby', 'bob');
    assert.equal((await errorOf(b, JSON.stringify({ type: 'msg', e2e: box() }))).code, 'bad_request');
    const a = new TestChatter(root, 'vault', 'alice', {}, { 'chat.max_message_bytes': 100 });
    open.push(a);
    await a.chatter.start();
    const big = { v: 1, iv: randomBytes(12).toString('base64'), ct: randomBytes(60).toString('base64') };
    assert.equal((await errorOf(a, JSON.stringify({ type: 'msg', e2e: big }))).code, 'too_long');
  });
});
