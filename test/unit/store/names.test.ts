import { strict as assert } from 'node:assert';
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
});
