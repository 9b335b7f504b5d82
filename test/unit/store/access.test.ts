import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keySeal, mayUseName, provedName, roomAccess } from '../../../src/access.js';
import type { Identity } from '../../../src/identity.js';
import { recentFailures, recordFailure } from '../../../src/store/attempts.js';
import { type DataDir, dataDir, roomSettingsPath } from '../../../src/store/datadir.js';
import { makeInvite, peekInvite, useInvite } from '../../../src/store/invites.js';
import { hashPassword, isPasswordHash, passwordProblem, sealOf, verifyPassword } from '../../../src/store/passwords.js';
import { listRegistrations, register, registeredAs, setPassword, unregister } from '../../../src/store/registry.js';
import { parseRoomSettings, readRoomSettings, RoomSettingsError, updateRoomSettings } from '../../../src/store/roomsettings.js';
import { grantOf, type Session, withGrant } from '../../../src/store/sessions.js';

const session = (over: Partial<Session> = {}): Session => ({ name: 'bob', color: '#123456', created: '', seen: '', ...over });
const as = (s: Session | undefined, source: Identity['source'] = s ? 'session' : 'default'): Identity => ({
  name: s?.name ?? 'Anonymous',
  color: '#000000',
  source,
  session: s,
});

describe('access: passwords, names, room settings, grants, invites', function () {
  this.timeout(20000);
  let root: string;
  let d: DataDir;
  let hash: string;
  before(async () => {
    hash = await hashPassword('correct horse');
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-access-'));
    d = dataDir(root);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('hashes with a fresh salt, verifies only the password, and refuses a malformed hash', async () => {
    assert.ok(isPasswordHash(hash));
    assert.notEqual(await hashPassword('correct horse'), hash);
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(await verifyPassword('correct horsf', hash), false);
    assert.equal(await verifyPassword('correct horse', 'scrypt$1$1$1$short$short'), false);
    assert.equal(await verifyPassword('correct horse', 'plaintext'), false);
    assert.equal(await verifyPassword('x'.repeat(2000), hash), false);
    assert.match(passwordProblem('short') ?? '', /at least 8/);
    assert.equal(passwordProblem('long enough'), undefined);
  });

  it('registers a name once; a proof holds until the password changes or the registration goes', async () => {
    assert.equal(register(d, 'alice', hash), true);
    assert.equal(register(d, 'alice', hash), false);
    assert.deepEqual(
      listRegistrations(d).map((r) => r.name),
      ['alice'],
    );
    const proved = as(session({ name: 'alice', proved: { name: 'alice', seal: sealOf(hash) } }));
    assert.equal(provedName(d, proved), 'alice');
    assert.equal(provedName(d, as(session({ name: 'alice', proved: { name: 'alice', seal: 'forged' } }))), undefined);
    assert.equal(mayUseName(d, proved)('alice'), true);
    assert.equal(mayUseName(d, as(session({ name: 'alice' })))('alice'), false);
    assert.equal(mayUseName(d, as(session({ name: 'alice' })))('alice1'), true);
    setPassword(d, 'alice', await hashPassword('another one'));
    assert.equal(provedName(d, proved), undefined, 'a new password voids the old proof');
    assert.equal(unregister(d, 'alice'), true);
    assert.equal(mayUseName(d, as(session({ name: 'alice' })))('alice'), true, 'a removed registration frees the name');
  });

  it('counts a look-alike of a registered name as that name, and the SSO name as proved', () => {
    register(d, 'alice', hash);
    assert.equal(registeredAs(d, '\u0430lice'), 'alice');
    assert.equal(mayUseName(d, as(session({ name: '\u0430lice' })))('\u0430lice'), false);
    assert.equal(provedName(d, { name: 'alice', color: '#000000', source: 'trusted' }), 'alice');
  });

  it('leaves a room without an .ini public, and closes one whose .ini has garbage', () => {
    const open = roomAccess(d, 'lobby', as(undefined));
    assert.equal(open.ok, true);
    assert.equal(open.listed, true);
    mkdirSync(d.rooms, { recursive: true });
    for (const garbage of [
      'visibility = secret\n',
      'key = hunter2\n',
      '[room]\nvisibility=private\n',
      'colour = red\n',
      'members = ../etc\n',
      'e2e = maybe\n',
    ]) {
      writeFileSync(roomSettingsPath(d, 'x'), garbage);
      const a = roomAccess(d, 'x', as(session()));
      assert.equal(a.ok, false, garbage);
      assert.equal(a.refusal, 'damaged', garbage);
      assert.equal(a.listed, false, garbage);
      assert.ok(a.problems.length > 0, garbage);
    }
  });

  it("admits a password room with a grant of its current key only, and not with another room's", async () => {
    await updateRoomSettings(d, 'vault', (s) => {
      s.key = hash;
    });
    const s = readRoomSettings(d, 'vault').settings;
    assert.equal(roomAccess(d, 'vault', as(session())).refusal, 'password');
    assert.equal(roomAccess(d, 'vault', as(session())).listed, true, 'a public password room is listed');
    const granted = withGrant(session(), 'vault', keySeal(s));
    assert.equal(roomAccess(d, 'vault', as(granted)).ok, true);
    assert.equal(roomAccess(d, 'vault', as(withGrant(session(), 'other', keySeal(s)))).ok, false);
    assert.equal(roomAccess(d, 'vault', as(withGrant(session(), 'vault', 'forged'))).ok, false);
    await updateRoomSettings(d, 'vault', (x) => {
      x.key = undefined;
    });
    await updateRoomSettings(d, 'vault', (x) => {
      x.visibility = 'private';
    });
    assert.equal(roomAccess(d, 'vault', as(granted)).ok, false, 'a grant under the old key is void');
  });

  it('admits a private room to proved members and operators, and hides it from everyone else', async () => {
    register(d, 'alice', hash);
    await updateRoomSettings(d, 'den', (s) => {
      s.visibility = 'private';
      s.members = ['alice'];
    });
    const alice = as(session({ name: 'alice', proved: { name: 'alice', seal: sealOf(hash) } }));
    assert.equal(roomAccess(d, 'den', alice).ok, true);
    assert.equal(roomAccess(d, 'den', alice).listed, true);
    const impostor = as(session({ name: 'alice' }));
    assert.equal(roomAccess(d, 'den', impostor).refusal, 'private');
    assert.equal(roomAccess(d, 'den', impostor).listed, false);
    assert.equal(roomAccess(d, 'den', as(withGrant(session(), 'den', ''))).ok, true, 'an invite grant admits');
    assert.match(readFileSync(roomSettingsPath(d, 'den'), 'utf8'), /^visibility = private\nmembers = alice\n$/);
  });

  it('refuses to rewrite a damaged .ini, and keeps both of two concurrent changes', async () => {
    await Promise.all([
      updateRoomSettings(d, 'r', (s) => {
        s.topic = 'hello; world # not a comment';
      }),
      updateRoomSettings(d, 'r', (s) => {
        s.operators.push('carol');
      }),
    ]);
    const s = readRoomSettings(d, 'r').settings;
    assert.equal(s.topic, 'hello; world # not a comment');
    assert.deepEqual(s.operators, ['carol']);
    writeFileSync(roomSettingsPath(d, 'r'), 'nonsense = 1\n');
    await assert.rejects(
      updateRoomSettings(d, 'r', (x) => {
        x.topic = 'x';
      }),
      RoomSettingsError,
    );
    assert.equal(readFileSync(roomSettingsPath(d, 'r'), 'utf8'), 'nonsense = 1\n');
    assert.ok(parseRoomSettings('topic = a\u001b[31mred\n').problems.length > 0, 'a control character in the topic is a problem');
  });

  it('spends an invite exactly as often as it may be used, however many open it at once', async () => {
    const { token } = makeInvite(d, 'den', { by: 'alice', uses: 2 });
    assert.equal(peekInvite(d, 'den', token), 'ok');
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => useInvite(d, 'den', token)));
    assert.equal(outcomes.filter((o) => o === 'ok').length, 2);
    assert.equal(peekInvite(d, 'den', token), 'spent');
    assert.equal(peekInvite(d, 'den', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`), 'invalid');
    assert.equal(peekInvite(d, 'den', '../../etc/passwd'), 'invalid');
    assert.equal(peekInvite(d, 'other', token), 'invalid', 'a token of another room');
    const old = makeInvite(d, 'den', { by: 'alice', ttlMs: 1000, now: new Date(Date.now() - 5000) });
    assert.equal(await useInvite(d, 'den', old.token), 'expired');
  });

  it('keeps grants bounded and own-property only', () => {
    let s = session();
    for (let i = 0; i < 250; i++) s = withGrant(s, `room${i}`, '');
    assert.equal(Object.keys(s.grants ?? {}).length, 200);
    assert.equal(grantOf(s, 'room0'), undefined);
    assert.equal(grantOf(s, 'room249'), '');
    assert.equal(grantOf(s, 'constructor'), undefined);
    assert.equal(grantOf(JSON.parse(JSON.stringify(withGrant(session(), '__proto__', 'x'))) as Session, '__proto__'), 'x');
  });

  it('counts failed sign-ins per key within the window', () => {
    const now = Date.now();
    for (let i = 0; i < 3; i++) recordFailure(d, 'name', 'alice', now - i * 1000);
    recordFailure(d, 'name', 'alice', now - 60 * 60 * 1000);
    assert.equal(recentFailures(d, 'name', 'alice', 15 * 60 * 1000, now), 3);
    assert.equal(recentFailures(d, 'addr', 'alice', 15 * 60 * 1000, now), 0, 'names and addresses are counted apart');
    assert.equal(recentFailures(d, 'name', 'bob', 15 * 60 * 1000, now), 0);
  });
});
