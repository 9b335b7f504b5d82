import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { dataDir } from '../../../src/store/datadir.js';
import { listPresent, Presence, presentNames, readInfo, reapRoom } from '../../../src/store/presence.js';
import { loadSkeleton } from '../../../src/store/confusables.js';
import type { UserSummary } from '../../../src/shared/protocol.js';

const WORKER = join(import.meta.dirname, '../../helpers/workers.ts');
let joined = 0;
let expected = 0;

function join1(root: string, name: string, release: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', WORKER, 'join', root, 'lobby', name, release], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      joined++;
      if (joined === expected) writeFileSync(release, '');
    });
    p.on('exit', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}`))));
  });
}

/** A pid that certainly belongs to no process: one that just exited. */
function deadPid(): number {
  return spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim() as unknown as number;
}

describe('presence', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'tailroom-presence-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('gives 20 processes racing for one name 20 distinct names', async function () {
    this.timeout(60000);
    // Each holds its name until all 20 have one, however slowly they start.
    expected = 20;
    const names = await Promise.all(Array.from({ length: 20 }, () => join1(root, 'bob', join(root, 'release'))));
    assert.equal(new Set(names).size, 20);
    assert.deepEqual([...names].sort(), ['bob', ...Array.from({ length: 19 }, (_, i) => `bob${i + 1}`)].sort());
    assert.deepEqual(
      readdirSync(join(root, 'users', 'lobby')).filter((n) => !n.startsWith('.')),
      [],
      'all vacated',
    );
  });

  it('a chatter who left and then exits does not remove the lock of the next one with that name', async function () {
    this.timeout(30000);
    const release = join(root, 'release');
    const p = spawn(process.execPath, ['--import', 'tsx', WORKER, 'leave-then-linger', root, 'lobby', 'bob', release], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) => p.stdout.on('data', (d) => String(d).includes('left') && resolve()));
    const next = await Presence.join(dataDir(root), 'lobby', 'bob', '#000000', { staleMs: 5000, onLost: () => undefined, onReaped: async () => undefined });
    assert.equal(next.name, 'bob');
    writeFileSync(release, '');
    await new Promise((r) => p.on('exit', r));
    assert.ok(existsSync(join(root, 'users', 'lobby', 'bob', 'info.lock')), 'the newcomer still holds its lock');
    await next.vacate();
  });

  it('numbers within the length limit', async () => {
    const d = dataDir(root);
    const opts = { staleMs: 5000, onLost: () => undefined, onReaped: async () => undefined };
    const long = 'x'.repeat(32);
    const a = await Presence.join(d, 'lobby', long, '#000000', opts);
    const b = await Presence.join(d, 'lobby', long, '#000000', opts);
    assert.equal(a.name, long);
    assert.equal(b.name, `${'x'.repeat(31)}1`);
    await a.vacate();
    await b.vacate();
  });

  describe('look-alike names', () => {
    const opts = { staleMs: 5000, onLost: () => undefined, onReaped: async () => undefined };
    const CYRILLIC_ALICE = '\u0430lice';

    it('a name that only looks like a present one is taken: its joiner gets the next variant', async () => {
      const d = dataDir(root);
      const alice = await Presence.join(d, 'lobby', 'alice', '#000000', opts);
      const fake = await Presence.join(d, 'lobby', CYRILLIC_ALICE, '#000000', opts);
      const capitalI = await Presence.join(d, 'lobby', 'aIice', '#000000', opts);
      assert.equal(fake.name, `${CYRILLIC_ALICE}1`);
      // aIice1 would look like аlice1: the next free look is aIice2.
      assert.equal(capitalI.name, 'aIice2');
      assert.deepEqual(
        listPresent(d, 'lobby').map((u) => u.name),
        ['aIice2', 'alice', `${CYRILLIC_ALICE}1`],
      );
      // Case is a real difference, as before.
      const upper = await Presence.join(d, 'lobby', 'Alice', '#000000', opts);
      assert.equal(upper.name, 'Alice');
      for (const p of [alice, fake, capitalI, upper]) await p.vacate();
      // Once alice has gone, the look-alike is nobody's disguise.
      const later = await Presence.join(d, 'lobby', CYRILLIC_ALICE, '#000000', opts);
      assert.equal(later.name, CYRILLIC_ALICE);
      await later.vacate();
    });

    it('/nick to a look-alike of someone present gets the next variant; of oneself, the name itself', async () => {
      const d = dataDir(root);
      const alice = await Presence.join(d, 'lobby', 'alice', '#000000', opts);
      const bob = await Presence.join(d, 'lobby', 'bob', '#000000', opts);
      assert.equal(await bob.rename(CYRILLIC_ALICE, opts.onReaped), `${CYRILLIC_ALICE}1`);
      assert.equal(await alice.rename(CYRILLIC_ALICE, opts.onReaped), CYRILLIC_ALICE);
      await alice.vacate();
      await bob.vacate();
    });

    it('keeps a public key in info, listed with the name, and carried across a /nick', async () => {
      const d = dataDir(root);
      const bob = await Presence.join(d, 'lobby', 'bob', '#000000', opts);
      const carol = await Presence.join(d, 'lobby', 'carol', '#000000', opts);
      assert.deepEqual(listPresent(d, 'lobby'), [
        { name: 'bob', color: '#000000' },
        { name: 'carol', color: '#000000' },
      ]);
      bob.setKey('PUB');
      assert.equal(readInfo(d, 'lobby', 'bob')?.pub, 'PUB');
      assert.equal(await bob.rename('rob', opts.onReaped), 'rob');
      bob.setColor('#111111');
      assert.deepEqual(listPresent(d, 'lobby'), [
        { name: 'carol', color: '#000000' },
        { name: 'rob', color: '#111111', pub: 'PUB' },
      ]);
      assert.deepEqual(presentNames(d, 'lobby').sort(), ['carol', 'rob']);
      await bob.vacate();
      await carol.vacate();
    });

    it('of look-alikes joining at once, no two are present together', async function () {
      this.timeout(60000);
      joined = 0;
      expected = 6;
      const wanted = ['alice', CYRILLIC_ALICE, 'aIice', 'alice', CYRILLIC_ALICE, 'aIice'];
      const names = await Promise.all(wanted.map((n) => join1(root, n, join(root, 'release'))));
      const skeleton = loadSkeleton();
      assert.equal(new Set(names.map(skeleton)).size, 6, names.join(' '));
    });
  });

  it('reaps the presence of a dead process exactly once, and gives its name to the next joiner', async () => {
    const d = dataDir(root);
    const dir = join(root, 'users', 'lobby', 'ghost');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'info'), JSON.stringify({ name: 'ghost', color: '#123456', pid: Number(deadPid()), host: hostname(), since: '' }));
    mkdirSync(join(dir, 'info.lock'));
    const reaped: UserSummary[] = [];
    const onReaped = async (u: UserSummary) => void reaped.push(u);
    const [r1, r2] = await Promise.all([reapRoom(d, 'lobby', 5000, onReaped, true), reapRoom(d, 'lobby', 5000, onReaped, true)]);
    assert.equal(r1 + r2, 1);
    assert.deepEqual(reaped, [{ name: 'ghost', color: '#123456' }]);
    assert.ok(!existsSync(dir));

    mkdirSync(dir);
    writeFileSync(join(dir, 'info'), JSON.stringify({ name: 'ghost', color: '#123456', pid: Number(deadPid()), host: hostname(), since: '' }));
    const p = await Presence.join(d, 'lobby', 'ghost', '#000000', { staleMs: 5000, onLost: () => undefined, onReaped });
    assert.equal(p.name, 'ghost');
    assert.equal(reaped.length, 2);
    await p.vacate();
  });

  it('reaps a presence from another host only when its lock is stale', async () => {
    const d = dataDir(root);
    const dir = join(root, 'users', 'lobby', 'far');
    mkdirSync(join(dir, 'info.lock'), { recursive: true });
    writeFileSync(join(dir, 'info'), JSON.stringify({ name: 'far', color: '#000000', pid: 1, host: 'another-host', since: '' }));
    const none = await reapRoom(d, 'lobby', 5000, async () => undefined, true);
    assert.equal(none, 0, 'fresh lock: alive');
    const old = Date.now() / 1000 - 60;
    utimesSync(join(dir, 'info.lock'), old, old);
    utimesSync(dir, old, old);
    assert.equal(await reapRoom(d, 'lobby', 5000, async () => undefined, true), 1);
  });

  it('does not reap a presence still being created (no lock yet, young directory)', async () => {
    const d = dataDir(root);
    mkdirSync(join(root, 'users', 'lobby', 'newcomer'), { recursive: true });
    assert.equal(await reapRoom(d, 'lobby', 5000, async () => undefined, true), 0);
    assert.deepEqual(
      listPresent(d, 'lobby').map((u) => u.name),
      ['newcomer'],
    );
  });

  it('a live holder notices when an admin removes its directory', async () => {
    const d = dataDir(root);
    let lost = 0;
    const p = await Presence.join(d, 'lobby', 'bob', '#000000', { staleMs: 2000, onLost: () => lost++, onReaped: async () => undefined });
    rmSync(p.dir, { recursive: true });
    const until = Date.now() + 5000;
    while (lost === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.equal(lost, 1);
    assert.equal(p.stillHeld(), false);
    assert.equal(await p.vacate(), false, 'whoever removed it owns the leave');
  });
});
