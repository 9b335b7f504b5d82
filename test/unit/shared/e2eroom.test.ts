// End-to-end rooms on the wire and in every reader but the chat page: a msg or edit may
// carry an e2e box in place of its text, and what describes it never shows the box.

import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { describe as describeEvent, E2E_ROOM_PLACEHOLDER } from '../../../src/shared/describe.js';
import { foldLifecycle } from '../../../src/shared/lifecycle.js';
import { formatText, parseClientLine, ProtocolError, type RoomEvent } from '../../../src/shared/protocol.js';

const box = (ctBytes = 40) => ({ v: 1 as const, iv: randomBytes(12).toString('base64'), ct: randomBytes(ctBytes).toString('base64') });
const ID = '0mwot5j40-9cog6l-b';
const T = '2026-11-19T10:00:00.000Z';

function refused(line: string, code = 'bad_request'): void {
  assert.throws(
    () => parseClientLine(line),
    (e: unknown) => e instanceof ProtocolError && e.code === code,
    line,
  );
}

describe('end-to-end rooms on the wire', () => {
  it('takes a msg and an edit with a box in place of text, and only the box fields', () => {
    const e2e = box();
    assert.deepEqual(parseClientLine(JSON.stringify({ type: 'msg', e2e: { ...e2e, text: 'x' } })), { type: 'msg', e2e });
    assert.deepEqual(parseClientLine(JSON.stringify({ type: 'msg', e2e, reply_to: ID })), { type: 'msg', e2e, reply_to: ID });
    assert.deepEqual(parseClientLine(JSON.stringify({ type: 'edit', ref: ID, e2e })), { type: 'edit', ref: ID, e2e });
  });

  it('refuses a box beside text, a malformed box, and a msg with neither', () => {
    refused(JSON.stringify({ type: 'msg', text: 'hi', e2e: box() }));
    refused(JSON.stringify({ type: 'edit', ref: ID, text: 'hi', e2e: box() }));
    refused(JSON.stringify({ type: 'msg', e2e: { ...box(), v: 2 } }));
    refused(JSON.stringify({ type: 'msg', e2e: { ...box(), iv: randomBytes(8).toString('base64') } }));
    refused(JSON.stringify({ type: 'msg', e2e: box(15) })); // shorter than a tag
    refused(JSON.stringify({ type: 'msg', e2e: 'QUJD' }));
    refused(JSON.stringify({ type: 'msg' }));
    refused(JSON.stringify({ type: 'edit', ref: ID }));
  });

  it('describes ciphertext as "encrypted message", in text lines too, never its base64', () => {
    const e2e = box();
    const msg: RoomEvent = { id: ID, t: T, type: 'msg', from: 'alice', color: '#336699', e2e };
    assert.deepEqual(describeEvent(msg), { kind: 'msg', from: 'alice', color: '#336699', text: E2E_ROOM_PLACEHOLDER, sealed: true });
    const line = formatText(msg);
    assert.match(line, /alice> encrypted message$/);
    assert.ok(!line.includes(e2e.ct));
    const edit: RoomEvent = { id: `${ID}x`, t: T, type: 'edit', from: 'alice', ref: ID, e2e: box() };
    assert.equal(describeEvent(edit).sealed, true);
    assert.match(formatText(edit), /alice> \(edited\) encrypted message$/);
  });

  it('folds an e2e edit into its msg (the new box), and a blanked box reads as deleted', () => {
    const first = box();
    const second = box();
    const msg: RoomEvent = { id: ID, t: T, type: 'msg', from: 'alice', color: '#336699', e2e: first };
    const edit: RoomEvent = { id: '0mwot5j41-9cog6l-b', t: T, type: 'edit', from: 'alice', ref: ID, e2e: second };
    const [folded] = foldLifecycle([msg, edit]);
    assert.equal(folded?.type === 'msg' && folded.e2e?.ct, second.ct);
    assert.equal(folded?.type === 'msg' && folded.edited, T);
    const blanked: RoomEvent = { ...msg, e2e: { ...first, ct: ' '.repeat(first.ct.length) } };
    assert.equal(describeEvent(blanked).deleted, true);
    assert.match(formatText(blanked), /alice: message deleted$/);
    // A blanked edit changes nothing: the msg keeps its box.
    const [kept] = foldLifecycle([msg, { ...edit, e2e: { ...second, ct: '    ' } }]);
    assert.equal(kept?.type === 'msg' && kept.e2e?.ct, first.ct);
  });
});
