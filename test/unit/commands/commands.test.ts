// Slash commands and whispers through a real Chatter (the handler's logic) on a temp
// data dir: real presence directories, real room log, real inbox followers. Several
// chatters share this process, as they would share the data dir as separate processes.

import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../../src/commands/index.js';
import { dataDir } from '../../../src/store/datadir.js';
import { Presence } from '../../../src/store/presence.js';
import { type Message, TestChatter, until } from './harness.js';

describe('slash commands and whispers (through a Chatter)', function () {
  this.timeout(10000);
  let root: string;
  let open: TestChatter[];

  async function connect(name: string, room = 'lobby'): Promise<TestChatter> {
    const c = new TestChatter(root, room, name);
    open.push(c);
    await c.chatter.start();
    return c;
  }
  const logText = (room = 'lobby') => readFileSync(join(root, 'rooms', `${room}.log`), 'utf8');
  const logEvents = (room = 'lobby') =>
    logText(room)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Message);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-commands-'));
    open = [];
  });
  afterEach(async () => {
    await Promise.all(open.map((c) => c.chatter.leave('closed')));
    rmSync(root, { recursive: true, force: true });
  });

  let markers = 0;

  /**
   * `sender` says a fresh marker to the room and whispers it to `listener`: the two roads
   * any line of `sender`'s reaches another chatter by. Resolves once `listener` has both,
   * so whatever `sender` sent before has arrived by then: a check that something did
   * not arrive cannot pass merely because delivery was slow.
   */
  async function marked(sender: TestChatter, listener: TestChatter): Promise<void> {
    const text = `marker ${++markers}`;
    const from = listener.got.length;
    sender.send(`/msg ${listener.name} ${text}`);
    sender.send(text);
    await listener.waitFor((m) => m.type === 'whisper' && m.text === text, from);
    await listener.waitFor((m) => m.type === 'msg' && m.text === text, from);
  }

  /** An error reply, and nothing logged for the line that caused it. */
  async function refused(c: TestChatter, line: string, code: string, mentions?: RegExp): Promise<void> {
    const before = logText();
    const e = await c.ask(line, 'error');
    assert.equal(e.code, code, JSON.stringify(e));
    if (mentions) assert.match(String(e.message), mentions);
    // Lines are handled in order: anything the refused line logged is in before this one.
    const text = `marker ${++markers}`;
    const marker = await c.ask(text, 'msg');
    assert.equal(marker.text, text);
    const after = logText();
    assert.ok(after.startsWith(before));
    assert.deepEqual(
      after
        .slice(before.length)
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as Message).id),
      [marker.id],
      'nothing logged but the marker',
    );
  }

  describe('/dice and /roll', () => {
    it('logs a roll computed by the server, seen by everyone', async () => {
      const alice = await connect('alice');
      const bob = await connect('bob');
      const from = bob.got.length;
      alice.send('/dice 3 6');
      const r = await bob.waitFor((m) => m.type === 'roll', from);
      assert.equal(r.from, 'alice');
      assert.equal(r.spec, '3d6');
      const rolls = r.rolls as number[];
      assert.equal(rolls.length, 3);
      assert.ok(rolls.every((x) => x >= 1 && x <= 6));
      assert.equal(
        r.total,
        rolls.reduce((a, b) => a + b, 0),
      );
      assert.deepEqual(
        logEvents()
          .filter((e) => e.type === 'roll')
          .map((e) => e.id),
        [r.id],
      );
    });
    it('logs an exploding roll with every throw', async () => {
      const alice = await connect('alice');
      const r = await alice.ask('/dice 20 2 2', 'roll');
      assert.equal(r.spec, '20d2, again on 2+');
      const rolls = r.rolls as number[];
      assert.ok(rolls.length >= 20);
      // Every 2 was thrown again, so 1s end the chains: exactly 20 of them (unless capped).
      assert.equal(rolls.filter((x) => x === 1).length, 20);
    });
    it('logs /roll 2d6+3 with the modifier in the total', async () => {
      const alice = await connect('alice');
      const r = await alice.ask('/roll 2d6+3', 'roll');
      assert.equal(r.spec, '2d6+3');
      const rolls = r.rolls as number[];
      assert.equal(rolls.length, 2);
      const [a = 0, b = 0] = rolls;
      assert.equal(r.total, a + b + 3);
    });
    it('answers bad dice with a usage error and logs nothing', async () => {
      const alice = await connect('alice');
      await refused(alice, '/dice 101 6', 'bad_request', /Usage: \/dice COUNT SIDES \[AGAIN\]/);
      await refused(alice, '/dice 3 6 1', 'bad_request', /AGAIN/);
      await refused(alice, '/dice', 'bad_request');
      await refused(alice, '/roll 2d6*3', 'bad_request', /Usage: \/roll/);
    });
    it('will not take a roll from a client', async () => {
      const alice = await connect('alice');
      await refused(alice, '{"type":"roll","spec":"1d6","rolls":[6],"total":6}', 'bad_request');
    });
  });

  describe('/me, /color, /who, /help', () => {
    it('/me logs an action', async () => {
      const alice = await connect('alice');
      const e = await alice.ask('/me waves to all', 'me');
      assert.deepEqual([e.from, e.text], ['alice', 'waves to all']);
      await refused(alice, '/me', 'bad_request', /Usage: \/me ACTION/);
    });
    it('/color updates the presence and logs color; a non-colour is refused', async () => {
      const alice = await connect('alice');
      const bob = await connect('bob');
      const from = bob.got.length;
      alice.send('/color Red');
      const e = await bob.waitFor((m) => m.type === 'color', from);
      assert.deepEqual([e.from, e.color], ['alice', '#ff0000']);
      assert.equal(JSON.parse(readFileSync(join(root, 'users/lobby/alice/info'), 'utf8')).color, '#ff0000');
      await bob.waitFor((m) => m.type === 'users' && (m.users as { color: string }[]).some((u) => u.color === '#ff0000'), from);
      await refused(alice, '/color notacolour', 'bad_request', /not a colour/);
      await refused(alice, '/color', 'bad_request');
    });
    it('/who answers the sender only', async () => {
      const alice = await connect('alice');
      const bob = await connect('bob');
      const before = bob.got.length;
      const i = await alice.ask('/who', 'info');
      assert.equal(i.text, 'in lobby (2): alice, bob');
      await marked(alice, bob);
      assert.ok(!bob.got.slice(before).some((m) => m.type === 'info'), 'bob saw nothing');
      assert.ok(!/who/.test(logText()));
    });
    it('/help lists every command from the registry, or one', async () => {
      const alice = await connect('alice');
      const all = String((await alice.ask('/help', 'info')).text);
      for (const c of COMMANDS) assert.ok(all.includes(c.usage), `${c.usage} listed`);
      const one = String((await alice.ask('/help dice', 'info')).text);
      assert.match(one, /^\/dice COUNT SIDES \[AGAIN\] — /);
      assert.equal(one.split('\n').length, 1);
      await refused(alice, '/help frobnicate', 'unknown_command');
    });
    it('an unknown command is an error to the sender and is not logged', async () => {
      const alice = await connect('alice');
      await refused(alice, '/frobnicate now', 'unknown_command', /\/frobnicate/);
    });
  });

  describe('whispers', () => {
    it('/msg reaches the addressee only, with an echo to the sender, and is never logged', async () => {
      const alice = await connect('alice');
      const bob = await connect('bob');
      const carol = await connect('carol');
      const seen = carol.got.length;
      const echo = await alice.ask('/msg bob the cake is a lie', 'whisper');
      assert.deepEqual([echo.from, echo.to, echo.text], ['alice', 'bob', 'the cake is a lie']);
      const w = await bob.waitFor((m) => m.type === 'whisper');
      assert.deepEqual([w.from, w.to, w.text], ['alice', 'bob', 'the cake is a lie']);
      await marked(alice, carol);
      assert.ok(!JSON.stringify(carol.got.slice(seen)).includes('cake'), 'carol saw nothing');
      assert.ok(!logText().includes('cake'), 'not in the room log');
      assert.ok(readFileSync(join(root, 'users/lobby/bob/inbox'), 'utf8').includes('cake'), "in bob's inbox");
      assert.ok(!readFileSync(join(root, 'users/lobby/carol/inbox'), 'utf8').includes('cake'));
    });
    it('"bob: hi" whispers to a present bob, and is a public message when bob is absent', async () => {
      const alice = await connect('alice');
      const bob = await connect('bob');
      await alice.ask('bob: psst', 'whisper');
      assert.equal((await bob.waitFor((m) => m.type === 'whisper')).text, 'psst');
      const m = await alice.ask('dave: anyone?', 'msg');
      assert.equal(m.text, 'dave: anyone?');
      assert.ok(logText().includes('dave: anyone?'));
      assert.ok(!logText().includes('psst'));
    });
    it('answers a whisper to nobody with no_such_user', async () => {
      const alice = await connect('alice');
      await refused(alice, '/msg dave hello', 'no_such_user', /dave/);
      await refused(alice, '{"type":"whisper","to":"../../etc","text":"x"}', 'no_such_user');
      await refused(alice, '/msg bob', 'bad_request', /Usage: \/msg NAME TEXT/);
    });
  });

  describe('/nick', () => {
    it('renames atomically: new directory, old one gone, nick logged, lists updated', async () => {
      const alice = await connect('alice');
      const bob = await connect('bob');
      const from = bob.got.length;
      const e = await alice.ask('/nick alicia', 'nick');
      assert.deepEqual([e.from, e.name], ['alice', 'alicia']);
      assert.deepEqual(
        readdirSync(join(root, 'users/lobby'))
          .filter((n) => !n.startsWith('.'))
          .sort(),
        ['alicia', 'bob'],
      );
      const info = JSON.parse(readFileSync(join(root, 'users/lobby/alicia/info'), 'utf8'));
      assert.deepEqual([info.name, info.color], ['alicia', '#123456']);
      assert.ok(existsSync(join(root, 'users/lobby/alicia/info.lock')), 'the new info is locked');
      const users = await bob.waitFor((m) => m.type === 'users', from);
      assert.deepEqual(
        (users.users as { name: string }[]).map((u) => u.name),
        ['alicia', 'bob'],
      );
      assert.equal(String((await alice.ask('/who', 'info')).text), 'in lobby (2): alicia, bob');
    });
    it('a renamed chatter gets whispers under the new name; the old name is nobody', async () => {
      const alice = await connect('alice');
      const bob = await connect('bob');
      await alice.ask('/nick alicia', 'nick');
      await bob.ask('/msg alicia after', 'whisper');
      assert.equal((await alice.waitFor((m) => m.type === 'whisper' && m.text === 'after')).to, 'alicia');
      await refused(bob, '/msg alice lost', 'no_such_user');
    });
    it('numbers a taken name, and refuses a bad one', async () => {
      const alice = await connect('alice');
      await connect('bob');
      const e = await alice.ask('/nick bob', 'nick');
      assert.equal(e.name, 'bob1');
      const said = await alice.waitFor((m) => m.type === 'info' && /taken/.test(String(m.text)));
      assert.equal(said.text, 'bob is taken: you are now bob1');
      await refused(alice, '/nick ../etc', 'bad_request', /Usage: \/nick/);
      await refused(alice, '/nick two words', 'bad_request');
      const same = await alice.ask('/nick bob1', 'info');
      assert.match(String(same.text), /already called bob1/);
    });
    it('leaves as the new name, with no trace of either directory', async () => {
      const alice = await connect('alice');
      await alice.ask('/nick alicia', 'nick');
      await alice.chatter.leave('closed');
      const leave = logEvents().filter((e) => e.type === 'leave');
      assert.deepEqual(
        leave.map((e) => e.from),
        ['alicia'],
      );
      assert.deepEqual(
        readdirSync(join(root, 'users/lobby')).filter((n) => !n.startsWith('.reaped')),
        [],
      );
    });
  });
});

describe('Presence.rename', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tailroom-rename-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const opts = { staleMs: 3000, onLost: () => assert.fail('lock reported lost'), onReaped: async () => undefined };

  it('claims the new name before letting the old one go, and keeps the old lock quiet', async () => {
    const d = dataDir(root);
    const p = await Presence.join(d, 'lobby', 'alice', '#000000', opts);
    const oldInbox = p.inbox;
    assert.equal(await p.rename('zed', opts.onReaped), 'zed');
    assert.equal(p.name, 'zed');
    assert.ok(!existsSync(oldInbox));
    assert.ok(statSync(join(root, 'users/lobby/zed/inbox')).isFile());
    assert.ok(p.stillHeld());
    // The released old lock must not report itself compromised at its refresh, which was
    // due before the new lock's first: once the new one has been refreshed, it is past.
    const lock = join(root, 'users/lobby/zed/info.lock');
    const claimed = statSync(lock).mtimeMs;
    await until(() => statSync(lock).mtimeMs > claimed, "the new lock's first refresh");
    assert.ok(await p.vacate());
  });
  it('takes back a name whose holder died, and numbers a live one', async () => {
    const d = dataDir(root);
    const live = await Presence.join(d, 'lobby', 'bob', '#000000', opts);
    const p = await Presence.join(d, 'lobby', 'alice', '#000000', opts);
    assert.equal(await p.rename('bob', opts.onReaped), 'bob1');
    assert.equal(await p.rename('bob', opts.onReaped), 'bob1', 'bob is still live: bob1 is the first free, and ours');
    await live.vacate();
    await p.vacate();
  });
});
