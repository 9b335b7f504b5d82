import { strict as assert } from 'node:assert';
import { createECDH, randomBytes } from 'node:crypto';
import { E2E_PLACEHOLDER } from '../../../src/shared/describe.js';
import { base64Bytes, formatText, parseClientLine, ProtocolError } from '../../../src/shared/protocol.js';
import { Roster } from '../../../src/handler/roster.js';

/** A real P-256 public key, raw uncompressed, as a browser's exportKey('raw') gives it. */
function publicKey(): string {
  return createECDH('prime256v1').generateKeys().toString('base64');
}

function refused(line: string, code = 'bad_request'): void {
  assert.throws(
    () => parseClientLine(line),
    (e: unknown) => e instanceof ProtocolError && e.code === code,
    line,
  );
}

/** A key in base64url: one whose standard base64 has a + or a /, so the two differ. */
function urlSafe(): string {
  for (;;) {
    const pub = publicKey();
    if (/[+/]/.test(pub)) return pub.replace(/\+/g, '-').replace(/\//g, '_');
  }
}

const box = (iv: Buffer, ct: Buffer) => ({ v: 1, iv: iv.toString('base64'), ct: ct.toString('base64') });

describe('end-to-end whispers on the wire', () => {
  it('counts what base64 decodes to, and only for standard base64 with its padding', () => {
    for (const n of [0, 1, 2, 3, 12, 16, 65, 100]) assert.equal(base64Bytes(randomBytes(n).toString('base64')), n);
    for (const bad of ['abc', 'ab=c', 'a===', '-_AA', 'QUJD\n', 'QU==QUJD']) assert.equal(base64Bytes(bad), undefined, bad);
  });

  it('takes a public key of 65 bytes starting 0x04, nothing else', () => {
    for (let i = 0; i < 20; i++) {
      const pub = publicKey();
      assert.deepEqual(parseClientLine(JSON.stringify({ type: 'key', pub })), { type: 'key', pub });
    }
    const compressed = createECDH('prime256v1');
    compressed.generateKeys();
    const bad: unknown[] = [
      undefined,
      42,
      '',
      compressed.getPublicKey('base64', 'compressed'), // 33 bytes
      Buffer.concat([Buffer.from([5]), randomBytes(64)]).toString('base64'), // 65 bytes, not 0x04
      Buffer.concat([Buffer.from([4]), randomBytes(65)]).toString('base64'), // 66 bytes
      publicKey().replace(/=$/, ''), // unpadded
      urlSafe(), // base64url
    ];
    for (const pub of bad) refused(JSON.stringify({ type: 'key', pub }));
  });

  it('takes an e2e whisper of v 1, a 12-byte IV and a ciphertext with its tag, and relays only those fields', () => {
    const e2e = box(randomBytes(12), randomBytes(40));
    assert.deepEqual(parseClientLine(JSON.stringify({ type: 'whisper', to: 'bob', e2e: { ...e2e, extra: 'x' } })), { type: 'whisper', to: 'bob', e2e });
    const ok = box(randomBytes(12), randomBytes(16));
    assert.deepEqual(parseClientLine(JSON.stringify({ type: 'whisper', to: 'bob', e2e: ok })), { type: 'whisper', to: 'bob', e2e: ok });
  });

  it('refuses a malformed e2e whisper with bad_request', () => {
    const iv = randomBytes(12);
    const ct = randomBytes(30);
    for (const e2e of [
      null,
      'x',
      [1],
      { ...box(iv, ct), v: 2 },
      { ...box(iv, ct), v: '1' },
      box(randomBytes(16), ct),
      box(iv, randomBytes(15)),
      { v: 1, iv: box(iv, ct).iv },
      { ...box(iv, ct), ct: 'not base64!' },
    ]) {
      refused(JSON.stringify({ type: 'whisper', to: 'bob', e2e }));
    }
    refused(JSON.stringify({ type: 'whisper', to: 'bob', text: 'the plaintext too', e2e: box(iv, ct) }));
    refused(JSON.stringify({ type: 'whisper', to: 5, e2e: box(iv, ct) }));
  });

  it('shows a terminal a placeholder for an e2e whisper, never its ciphertext', () => {
    const e2e = box(randomBytes(12), randomBytes(30)) as { v: 1; iv: string; ct: string };
    const line = formatText({ type: 'whisper', id: 'x', t: '2026-01-01T00:00:00.000Z', from: 'alice', to: 'bob', e2e });
    assert.match(line, /alice -> bob: \(end-to-end encrypted whisper\)$/);
    assert.ok(line.includes(E2E_PLACEHOLDER));
    assert.ok(!line.includes(e2e.ct) && !line.includes('undefined'), line);
    // A plain whisper is as it was.
    assert.match(formatText({ type: 'whisper', id: 'x', t: '2026-01-01T00:00:00.000Z', from: 'alice', to: 'bob', text: 'psst' }), /alice -> bob: psst$/);
  });
});

describe('roster keys', () => {
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it("reads a joiner's key from its info, keeps it through a colour change and a nick, and sends a list when it changes", async () => {
    const info = new Map<string, string>();
    const sent: unknown[] = [];
    const r = new Roster(
      (users) => sent.push(users),
      (name) => ({ pub: info.get(name) }),
    );
    const t = '2026-01-01T00:00:00.000Z';
    info.set('bob', 'KEY1');
    r.changed({ type: 'join', id: '1', t, from: 'bob', color: '#111111' });
    assert.deepEqual(r.list(), [{ name: 'bob', color: '#111111', pub: 'KEY1' }]);
    r.changed({ type: 'color', id: '2', t, from: 'bob', color: '#222222' });
    r.changed({ type: 'nick', id: '3', t, from: 'bob', name: 'rob' });
    assert.deepEqual(r.list(), [{ name: 'rob', color: '#222222', pub: 'KEY1' }]);
    await wait(60);
    const lists = sent.length;
    info.set('rob', 'KEY2');
    r.infoChanged('rob');
    assert.deepEqual(r.list(), [{ name: 'rob', color: '#222222', pub: 'KEY2' }]);
    r.infoChanged('rob'); // nothing new: no list
    r.infoChanged('nobody'); // not here: its join will read it
    assert.deepEqual(r.list(), [{ name: 'rob', color: '#222222', pub: 'KEY2' }]);
    await wait(1100);
    assert.equal(sent.length, lists + 1);
    // A leave forgets it: whoever takes the name next has its own key, or none.
    info.delete('rob');
    r.changed({ type: 'leave', id: '4', t, from: 'rob', color: '#222222', reason: 'closed' });
    r.changed({ type: 'join', id: '5', t, from: 'rob', color: '#333333' });
    assert.deepEqual(r.list(), [{ name: 'rob', color: '#333333' }]);
    r.close();
  });
});
