import { strict as assert } from 'node:assert';
import { MAX_MENTIONS, mentionsIn } from '../../../src/shared/mentions.js';
import { parseClientLine, ProtocolError } from '../../../src/shared/protocol.js';

describe('mentions and replies', () => {
  const here = new Set(['bob', 'alice', 'José', 'b.o.b', 'x']);
  const isName = (n: string) => here.has(n);

  it('finds @names of people present, each once, without trailing punctuation', () => {
    assert.deepEqual(mentionsIn('hi @bob, and @alice! @bob again', isName), ['bob', 'alice']);
    assert.deepEqual(mentionsIn('@José: ça va?', isName), ['José']);
    assert.deepEqual(mentionsIn('thanks @b.o.b.', isName), ['b.o.b']);
    assert.deepEqual(mentionsIn('(@x)', isName), ['x']);
  });

  it('ignores addresses, unknown names and a bare @', () => {
    assert.deepEqual(mentionsIn('mail bob@example.org or @carol', isName), []);
    assert.deepEqual(mentionsIn('@ @@bob', isName), []);
    assert.deepEqual(mentionsIn('no mention here', isName), []);
  });

  it('mentions at most MAX_MENTIONS names', () => {
    const many = Array.from({ length: 50 }, (_, i) => `u${i}`);
    const text = many.map((n) => `@${n}`).join(' ');
    assert.equal(mentionsIn(text, () => true).length, MAX_MENTIONS);
  });

  it('takes reply_to only as the id of a message', () => {
    assert.deepEqual(parseClientLine('{"type":"msg","text":"yes","reply_to":"mi7abcdef-1a2b-3c"}'), {
      type: 'msg',
      text: 'yes',
      reply_to: 'mi7abcdef-1a2b-3c',
    });
    for (const bad of ['"../x"', '1', '{}', '"x"']) {
      assert.throws(
        () => parseClientLine(`{"type":"msg","text":"yes","reply_to":${bad}}`),
        (e: unknown) => e instanceof ProtocolError && e.code === 'bad_request',
      );
    }
  });
});
