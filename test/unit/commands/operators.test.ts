// The operators' commands and /private, through real Chatters on a temp data dir: who
// may run them (a proved, registered name among the room's operators, read at command
// time), what they write (rooms/<room>.ini, invites, the log), and what they never write.

import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keySeal, roomAccess } from '../../../src/access.js';
import { dataDir } from '../../../src/store/datadir.js';
import { peekInvite } from '../../../src/store/invites.js';
import { hashPassword, sealOf } from '../../../src/store/passwords.js';
import { register } from '../../../src/store/registry.js';
import { readRoomSettings } from '../../../src/store/roomsettings.js';
import type { Session } from '../../../src/store/sessions.js';
import { type Message, TestChatter, until } from './harness.js';

describe("operators' commands (through a Chatter)", function () {
  this.timeout(20000);
  let root: string;
  let open: TestChatter[];
  /** Proofs of the registered names alice and dave (their hashes are made once). */
  const proofs: Record<string, Session['proved']> = {};
  const hashes: Record<string, string> = {};

  before(async () => {
    for (const n of ['alice', 'dave']) hashes[n] = await hashPassword(`${n}-password`);
    for (const n of ['alice', 'dave']) proofs[n] = { name: n, seal: sealOf(hashes[n] as string) };
  });

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-operators-'));
    open = [];
    const d = dataDir(root);
    for (const n of ['alice', 'dave']) register(d, n, hashes[n] as string);
    mkdirSync(join(root, 'rooms'), { recursive: true });
    writeFileSync(join(root, 'rooms', 'den.ini'), 'operators = alice, carol\n');
  });
  afterEach(async () => {
    await Promise.all(open.map((c) => c.chatter.leave('closed')));
    rmSync(root, { recursive: true, force: true });
  });

  async function connect(name: string, room = 'den', session: Partial<Session> = {}, overrides = {}): Promise<TestChatter> {
    const c = new TestChatter(root, room, name, session, overrides);
    open.push(c);
    await c.chatter.start();
    return c;
  }
  /** The registered name with its proof. */
  const proved = (name: 'alice' | 'dave', room = 'den', overrides = {}) => connect(name, room, { proved: proofs[name] }, overrides);
  const ini = (room = 'den') => readFileSync(join(root, 'rooms', `${room}.ini`), 'utf8');
  const logText = (room = 'den') => readFileSync(join(root, 'rooms', `${room}.log`), 'utf8');
  const logged = (room = 'den') =>
    logText(room)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Message);

  it("refuses every operators' command to a non-operator and to an operator name without its proof, changing nothing", async () => {
    const bob = await connect('bob');
    // carol is listed, but not registered: nobody can prove it, so nobody is her.
    const carol = await connect('carol');
    const before = ini();
    for (const c of [bob, carol]) {
      for (const line of ['/topic hijacked', '/key hunter2hunter2', '/key off', '/kick alice', '/invite alice', '/op dave', '/deop alice']) {
        const e = await c.ask(line, 'error');
        assert.equal(e.code, 'forbidden', `${c.name} ${line}: ${JSON.stringify(e)}`);
        assert.match(String(e.message), /operators of den/);
      }
    }
    assert.equal(ini(), before);
    assert.ok(!logText().includes('hijacked'));
    assert.ok(!existsSync(join(root, 'rooms', 'den.invites')));
    // /topic alone is for anyone
    assert.match(String((await bob.ask('/topic', 'info')).text), /den has no topic/);
  });

  it('/topic: written to the .ini, logged as a topic event everyone gets; a bad topic is refused', async () => {
    const alice = await proved('alice');
    const bob = await connect('bob');
    alice.send('/topic Plans for the weekend');
    const seen = await bob.waitFor((m) => m.type === 'topic');
    assert.deepEqual([seen.from, seen.text], ['alice', 'Plans for the weekend']);
    assert.equal(readRoomSettings(dataDir(root), 'den').settings.topic, 'Plans for the weekend');
    assert.equal(logged().filter((e) => e.type === 'topic').length, 1);
    assert.match(String((await bob.ask('/topic', 'info')).text), /Plans for the weekend/);
    assert.equal((await alice.ask(`/topic ${'x'.repeat(301)}`, 'error')).code, 'bad_request');
    assert.equal((await alice.ask('/topic a\u202eb', 'error')).code, 'bad_request');
    alice.send('/topic --clear');
    await bob.waitFor((m) => m.type === 'topic' && m.text === '');
    assert.equal(readRoomSettings(dataDir(root), 'den').settings.topic, undefined);
    // a newcomer's welcome carries the topic
    alice.send('/topic again');
    await bob.waitFor((m) => m.type === 'topic' && m.text === 'again');
    const dave = await connect('erin');
    assert.equal(dave.got.find((m) => m.type === 'welcome')?.topic, 'again');
  });

  it('/key: only a hash is stored, the password is never said or logged, and every grant under the old key is void', async () => {
    const d = dataDir(root);
    const alice = await proved('alice');
    const secret = 'correct-horse-battery';
    const reply = await alice.ask(`/key ${secret}`, 'info');
    assert.match(String(reply.text), /password of den is changed/);
    const s = readRoomSettings(d, 'den').settings;
    assert.ok(s.key?.startsWith('scrypt$'));
    // a grant made under the first key
    const session = { name: 'bob', color: '#000000', created: '', seen: '', grants: { den: keySeal(s) } };
    const id = { name: 'bob', color: '#000000', source: 'session' as const, session };
    assert.equal(roomAccess(d, 'den', id).ok, true);
    await alice.ask('/key another-password', 'info');
    assert.deepEqual([roomAccess(d, 'den', id).ok, roomAccess(d, 'den', id).refusal], [false, 'password']);
    assert.equal((await alice.ask('/key short', 'error')).code, 'bad_request');
    const everything = [ini(), logText(), JSON.stringify(alice.got)].join('\n');
    for (const p of [secret, 'another-password', 'short']) assert.ok(!everything.includes(p), `${p} leaked`);
    await alice.ask('/key off', 'info');
    assert.equal(readRoomSettings(d, 'den').settings.key, undefined);
    assert.equal(roomAccess(d, 'den', id).ok, true);
  });

  it('/kick: the kicked chatter is told by whom and why, its leave (kicked) is logged once', async () => {
    const alice = await proved('alice');
    const bob = await connect('bob');
    const r = await alice.ask('/kick bob too loud', 'info');
    assert.equal(r.text, 'kicked bob');
    const e = await bob.waitFor((m) => m.type === 'error');
    assert.deepEqual([e.code, e.message], ['forbidden', 'kicked by alice: too loud']);
    await until(() => logged().some((l) => l.type === 'leave' && l.from === 'bob'), "bob's leave");
    await alice.ask('marker', 'msg');
    assert.deepEqual(
      logged()
        .filter((l) => l.type === 'leave')
        .map((l) => [l.from, l.reason]),
      [['bob', 'kicked']],
    );
    assert.equal((await alice.ask('/kick nobody', 'error')).code, 'no_such_user');
    assert.equal((await alice.ask('/kick alice', 'error')).code, 'bad_request');
  });

  it("/invite: a one-use link into this room (or another the sender operates) in the invitee's inbox", async () => {
    const d = dataDir(root);
    const alice = await proved('alice');
    const bob = await connect('bob');
    await alice.ask('/invite bob', 'info');
    const inv = await bob.waitFor((m) => m.type === 'invite');
    assert.equal(inv.from, 'alice');
    assert.equal(inv.room, 'den');
    const [, token] = /^join\?room=den&invite=([A-Za-z0-9_-]{32})$/.exec(String(inv.href)) ?? [];
    assert.equal(peekInvite(d, 'den', String(token)), 'ok');
    // into another room: only where alice is an operator
    assert.equal((await alice.ask('/invite bob attic', 'error')).code, 'forbidden');
    writeFileSync(join(root, 'rooms', 'attic.ini'), 'visibility = private\noperators = alice\n');
    await alice.ask('/invite bob attic', 'info');
    await bob.waitFor((m) => m.type === 'invite' && m.room === 'attic' && String(m.href).startsWith('join?room=attic&invite='));
    assert.equal((await alice.ask('/invite nobody', 'error')).code, 'no_such_user');
    assert.equal(readdirSync(join(root, 'rooms', 'den.invites')).length, 1, 'no invite left behind for nobody');
    assert.ok(!logText().includes('invite='), 'an invite is never in the room log');
  });

  it('/op only a registered name; /deop never the last operator; a deopped operator is refused at once', async () => {
    writeFileSync(join(root, 'rooms', 'den.ini'), 'operators = alice\n');
    const alice = await proved('alice');
    const dave = await proved('dave');
    assert.match(String((await alice.ask('/op bob', 'error')).message), /only registered names/);
    assert.match(String((await alice.ask('/deop alice', 'error')).message), /last operator/);
    await alice.ask('/op dave', 'info');
    assert.deepEqual(readRoomSettings(dataDir(root), 'den').settings.operators, ['alice', 'dave']);
    await dave.ask('/deop alice', 'info');
    assert.deepEqual(readRoomSettings(dataDir(root), 'den').settings.operators, ['dave']);
    assert.equal((await alice.ask('/topic mine', 'error')).code, 'forbidden');
    assert.equal((await dave.ask('/deop bob', 'error')).code, 'bad_request');
  });

  it('a damaged .ini: the command says so and the file is left as the admin wrote it', async () => {
    const alice = await proved('alice');
    writeFileSync(join(root, 'rooms', 'den.ini'), 'operators = alice\nvisibility = secret\n');
    // the file no longer parses as settings: nobody is an operator of a closed room
    assert.equal((await alice.ask('/topic x', 'error')).code, 'forbidden');
    assert.equal(ini(), 'operators = alice\nvisibility = secret\n');
  });

  it('/private: an unlisted private room for the two, an invite for each; capped per connection', async () => {
    const d = dataDir(root);
    const alice = await proved('alice', 'lobby', { 'chat.max_private_rooms': 2 });
    const bob = await connect('bob', 'lobby');
    alice.send('/private bob');
    const mine = await alice.waitFor((m) => m.type === 'invite');
    const theirs = await bob.waitFor((m) => m.type === 'invite');
    const room = String(mine.room);
    assert.match(room, /^alice-bob-[0-9a-f]{4}$/);
    assert.equal(theirs.room, room);
    assert.deepEqual([mine.private, theirs.private, theirs.from], [true, true, 'alice']);
    assert.notEqual(mine.href, theirs.href);
    const s = readRoomSettings(d, room).settings;
    assert.deepEqual([s.visibility, s.operators, s.members], ['private', ['alice'], []]);
    for (const m of [mine, theirs]) assert.equal(peekInvite(d, room, String(m.href).split('invite=')[1] ?? ''), 'ok');
    // an outsider (no grant, no membership) is refused
    assert.equal(roomAccess(d, room, { name: 'eve', color: '#000000', source: 'default' }).refusal, 'private');
    assert.equal((await alice.ask('/private nobody', 'error')).code, 'no_such_user');
    assert.equal((await alice.ask('/private alice', 'error')).code, 'bad_request');
    alice.send('/private bob');
    await alice.waitFor((m) => m.type === 'invite' && m.room !== room);
    const before = readdirSync(join(root, 'rooms')).length;
    assert.equal((await alice.ask('/private bob', 'error')).code, 'rate_limited');
    assert.equal(readdirSync(join(root, 'rooms')).length, before, 'nothing made past the cap');
  });
});
