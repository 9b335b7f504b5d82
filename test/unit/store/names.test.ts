import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { encodeTable, loadSkeleton, type Skeleton } from '../../../src/store/confusables.js';
import { readTable } from '../../../src/store/confusables-table.js';
import { roomFromPath, validateRoom, validateSessionId, validateUserName } from '../../../src/store/names.js';

describe('names that become paths', () => {
  const hostile = [
    '',
    '.',
    '..',
    '../etc',
    'a/b',
    'a\\b',
    '.hidden',
    'nul\u0000byte',
    'tab\there',
    'bell\u0007',
    'x'.repeat(65),
    'c1\u0085',
    ' lead',
    'trail ',
  ];
  for (const name of hostile) {
    it(`refuses the room name ${JSON.stringify(name)}`, () => assert.throws(() => validateRoom(name)));
  }
  it('accepts ordinary and non-ASCII room names', () => {
    for (const name of ['lobby', 'dev-ops', 'café', 'Room 2', '日本語']) assert.equal(validateRoom(name), name.normalize('NFC'));
  });
  it('refuses spaces and colons in user names (they would make "bob: hi" ambiguous)', () => {
    assert.throws(() => validateUserName('bob smith'));
    assert.throws(() => validateUserName('bob:'));
    assert.equal(validateUserName('bob'), 'bob');
  });
  it('takes the room from the last path segment, URL-decoded', () => {
    assert.equal(roomFromPath('/lobby'), 'lobby');
    assert.equal(roomFromPath('/chat/lobby'), 'lobby');
    assert.equal(roomFromPath('/chat/caf%C3%A9'), 'café');
    assert.throws(() => roomFromPath('/chat/%2e%2e'));
    assert.throws(() => roomFromPath('/a%2fb'));
    assert.throws(() => roomFromPath('/%E0%A4%A'));
    assert.throws(() => roomFromPath('/'));
  });
  it('accepts only 43-character base64url session ids', () => {
    const good = 'A'.repeat(43);
    assert.equal(validateSessionId(good), good);
    for (const bad of ['A'.repeat(42), `../${'A'.repeat(40)}`, `${'A'.repeat(42)}/`, `${'A'.repeat(42)}=`]) assert.throws(() => validateSessionId(bad));
  });

  describe('invisible formatting characters (category Cf) and line separators', () => {
    const invisible: [string, string][] = [
      ['zero-width space', 'alice\u200B'],
      ['zero-width joiner', 'al\u200Dice'],
      ['zero-width non-joiner', 'al\u200Cice'],
      ['word joiner', 'ali\u2060ce'],
      ['right-to-left override', '\u202Eecila'],
      ['right-to-left isolate', 'ali\u2067ce'],
      ['left-to-right mark', 'alice\u200E'],
      ['soft hyphen', 'ali\u00ADce'],
      ['BOM', '\uFEFFalice'],
      ['tag character', 'alice\u{E0041}'],
      ['line separator', 'ali\u2028ce'],
      ['paragraph separator', 'ali\u2029ce'],
    ];
    for (const [what, name] of invisible) {
      it(`refuses a ${what} in user and room names, naming the code point`, () => {
        assert.throws(() => validateUserName(name), /user name has an invisible formatting character \(U\+[0-9A-F]{4,5}\)/);
        assert.throws(() => validateRoom(name), /room name has an invisible formatting character/);
      });
    }
    it('says which character it was', () => assert.throws(() => validateUserName('alice\u200B'), /\(U\+200B\)/));
    it('checks the NFC form and returns it: the value checked is the value used', () => {
      const nfd = 'Jose\u0301';
      assert.equal(validateUserName(nfd), 'Jos\u00E9');
      assert.equal(validateRoom(`cafe\u0301`), 'caf\u00E9');
      // A combining mark is not a format character: accents stay allowed.
      assert.equal(validateUserName('Zo\u00EB'), 'Zo\u00EB');
    });
  });

  describe('confusable skeletons (Unicode TR39)', () => {
    let skeleton: Skeleton;
    before(() => (skeleton = loadSkeleton()));
    it('maps look-alikes from other scripts, and ASCII look-alikes, to one skeleton', () => {
      const alice = skeleton('alice');
      for (const lookAlike of ['\u0430lice', 'a\u0406ice', 'aIice', 'a1ice', '\u{1D41A}lice', 'al\u0456ce'])
        assert.equal(skeleton(lookAlike), alice, lookAlike);
      assert.equal(skeleton('rnary'), skeleton('mary'));
      assert.equal(skeleton('\u0391\u039D\u039D\u0391'), skeleton('ANNA'), 'Greek capitals');
    });
    it('keeps case and real differences apart', () => {
      assert.notEqual(skeleton('Alice'), skeleton('alice'));
      assert.notEqual(skeleton('alice'), skeleton('alicia'));
      assert.notEqual(skeleton('bob1'), skeleton('bob2'));
      assert.notEqual(skeleton('Jos\u00E9'), skeleton('Jose'));
    });
    it('does not care about normalisation: NFC and NFD give the same skeleton', () => {
      assert.equal(skeleton('Jos\u00E9'), skeleton('Jose\u0301'));
    });
    it('has its table in step with the unhomoglyph package (regenerate: node --import tsx bin/confusables.ts)', () => {
      const require = createRequire(import.meta.url);
      const map = JSON.parse(readFileSync(require.resolve('unhomoglyph/data.json'), 'utf8')) as Record<string, string>;
      const fresh = encodeTable(map);
      const table = readTable();
      assert.equal(table.KEYS, fresh.KEYS);
      assert.equal(table.OFFSETS, fresh.OFFSETS);
      assert.equal(table.VALUES, fresh.VALUES);
      // Every entry comes back through the lookup (a prototype is not mapped again).
      for (const [k, v] of Object.entries(map)) if (k.normalize('NFD') === k) assert.equal(skeleton(k), v.normalize('NFD'), k);
    });
  });
});
