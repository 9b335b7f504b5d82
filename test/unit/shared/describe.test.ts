import { strict as assert } from 'node:assert';
import { describe as describeEvent } from '../../../src/shared/describe.js';
import { formatText, type RoomEvent, type ServerMessage } from '../../../src/shared/protocol.js';

const t = new Date(2026, 0, 1, 22, 20, 1).toISOString();
const base = { id: 'x', t };

describe('one description of an event', () => {
  const lines: [ServerMessage, string][] = [
    [{ ...base, type: 'msg', from: 'alice', color: '#c0392b', text: 'hello' }, '[22:20:01] alice> hello'],
    [{ ...base, type: 'me', from: 'alice', text: 'waves' }, '[22:20:01] * alice waves'],
    [{ ...base, type: 'join', from: 'alice', color: '#c0392b' }, '[22:20:01] --> alice joined'],
    [{ ...base, type: 'leave', from: 'alice', color: '#c0392b', reason: 'closed' }, '[22:20:01] <-- alice left (closed)'],
    [{ ...base, type: 'leave', from: 'alice', color: '#c0392b', reason: 'kicked' }, '[22:20:01] <-- alice left (kicked)'],
    [{ ...base, type: 'leave', from: 'alice', color: '#c0392b', reason: 'lost' }, '[22:20:01] <-- alice left (connection lost)'],
    [{ ...base, type: 'color', from: 'alice', color: '#8e44ad' }, '[22:20:01] *** alice is now #8e44ad'],
    [{ ...base, type: 'nick', from: 'alice', name: 'al' }, '[22:20:01] *** alice is now known as al'],
    [{ ...base, type: 'roll', from: 'alice', spec: '2d6', rolls: [3, 4], total: 7 }, '[22:20:01] *** alice rolls 2d6: 3 4 = 7'],
    [{ ...base, type: 'announce', text: 'Maintenance at noon' }, '[22:20:01] *** Maintenance at noon'],
    [{ ...base, type: 'whisper', from: 'alice', to: 'bob', text: 'psst' }, '[22:20:01] alice -> bob: psst'],
    [{ type: 'info', text: 'in lobby (2): alice, bob' }, '*** in lobby (2): alice, bob'],
    [{ type: 'error', code: 'no_such_user', message: 'nobody' }, '!!! no_such_user: nobody'],
  ];
  for (const [m, line] of lines) {
    it(`gives ${m.type} the text line ${JSON.stringify(line)}`, () => assert.equal(formatText(m), line));
  }

  it('puts into a colour only a valid #rrggbb', () => {
    assert.equal(describeEvent({ ...base, type: 'msg', from: 'a', color: 'red;x', text: '' }).color, undefined);
    const d = describeEvent({ ...base, type: 'color', from: 'a', color: 'url(x)' });
    assert.equal(d.color, undefined);
    assert.equal(d.note, 'is now url(x)');
  });

  it('describes a hand-edited line without throwing', () => {
    const odd: Extract<RoomEvent, { type: 'roll' }> = JSON.parse('{"id":"x","t":"","type":"roll","from":"a","spec":"1d6","rolls":"six","total":6}');
    assert.equal(describeEvent(odd).note, 'rolls 1d6:  = 6');
    const left: Extract<RoomEvent, { type: 'leave' }> = JSON.parse('{"id":"x","t":"","type":"leave","from":"a","reason":"toString"}');
    assert.equal(describeEvent(left).note, 'left');
  });
});
