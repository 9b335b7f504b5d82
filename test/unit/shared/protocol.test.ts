import { strict as assert } from 'node:assert';
import { formatText, isEventId, parseClientLine, ProtocolError } from '../../../src/shared/protocol.js';
import { newEventId } from '../../../src/store/eventid.js';
import { LineReader } from '../../../src/handler/linereader.js';
import { TokenBucket } from '../../../src/handler/ratelimit.js';

describe('wire protocol', () => {
  it('takes a line that is not JSON as a chat message', () => {
    assert.deepEqual(parseClientLine('hello there'), { type: 'msg', text: 'hello there' });
    assert.deepEqual(parseClientLine('{not json, just braces}'), { type: 'msg', text: '{not json, just braces}' });
  });
  it('parses the JSON messages of docs/design.md section 4', () => {
    assert.deepEqual(parseClientLine('{"type":"ping"}'), { type: 'ping' });
    assert.deepEqual(parseClientLine('{"type":"whisper","to":"bob","text":"psst"}'), { type: 'whisper', to: 'bob', text: 'psst' });
    assert.deepEqual(parseClientLine('{"type":"signal","to":"bob","data":{"sdp":"x"}}'), { type: 'signal', to: 'bob', data: { sdp: 'x' } });
    assert.deepEqual(parseClientLine('{"type":"status","call":true,"preview":false}'), { type: 'status', call: true, preview: false });
    assert.deepEqual(parseClientLine('{"type":"status","to":"bob","call":false,"preview":true,"ip":"1.2.3.4"}'), {
      type: 'status',
      to: 'bob',
      call: false,
      preview: true,
    });
  });
  const bad: [string, string][] = [
    ['{"type":"msg","text":', 'bad_json'],
    ['{"type":"msg"}', 'bad_request'],
    ['{"type":"fly"}', 'bad_request'],
    ['{"type":"signal","to":"bob","data":[1]}', 'bad_request'],
    ['{"type":"whisper","to":5,"text":"x"}', 'bad_request'],
    ['{"type":"status","call":1,"preview":false}', 'bad_request'],
    ['{"type":"status","call":true}', 'bad_request'],
    ['{"type":"status","to":5,"call":true,"preview":true}', 'bad_request'],
  ];
  for (const [line, code] of bad) {
    it(`answers ${line} with ${code}`, () => {
      assert.throws(
        () => parseClientLine(line),
        (e: unknown) => e instanceof ProtocolError && e.code === code,
      );
    });
  }
  describe('control characters in text', () => {
    const refused: [string, string][] = [
      ['ESC in a JSON msg', '{"type":"msg","text":"red \\u001b[31m"}'],
      ['a CR inside a typed line', 'one\rtwo'],
      ['ESC in a typed line', 'a\u001bb'],
      ['NUL', '{"type":"msg","text":"a\\u0000"}'],
      ['DEL', '{"type":"msg","text":"a\\u007f"}'],
      ['C1 (NEL)', '{"type":"msg","text":"a\\u0085"}'],
      ['a right-to-left override', '{"type":"msg","text":"txt.\\u202egpj"}'],
      ['a first-strong isolate', '{"type":"msg","text":"\\u2068x"}'],
      ['ESC in a whisper', '{"type":"whisper","to":"bob","text":"\\u001b]0;owned\\u0007"}'],
    ];
    for (const [what, line] of refused) {
      it(`refuses ${what} with bad_request naming the character`, () => {
        assert.throws(
          () => parseClientLine(line),
          (e: unknown) => e instanceof ProtocolError && e.code === 'bad_request' && /character U\+[0-9A-F]{4} is not allowed/.test(e.message),
        );
      });
    }
    it('names the character in the error', () => {
      assert.throws(() => parseClientLine('{"type":"msg","text":"\\u001b"}'), { message: 'control character U+001B is not allowed' });
      assert.throws(() => parseClientLine('{"type":"msg","text":"\\u202e"}'), { message: 'bidi control character U+202E is not allowed' });
    });
    it('keeps newlines, tabs, marks, and the CR that ends a typed line', () => {
      assert.deepEqual(parseClientLine('{"type":"msg","text":"```\\n\\tcode\\n```"}'), { type: 'msg', text: '```\n\tcode\n```' });
      assert.deepEqual(parseClientLine('typed\r'), { type: 'msg', text: 'typed' });
      assert.deepEqual(parseClientLine('{"type":"msg","text":"\u05e9\u05dc\u05d5\u05dd\u200f!"}'), { type: 'msg', text: '\u05e9\u05dc\u05d5\u05dd\u200f!' });
    });
    it('indents continuation lines in text lines, so a message cannot forge an event', () => {
      const t = new Date(2026, 0, 1, 22, 20, 1).toISOString();
      const line = formatText({ id: 'x', t, type: 'msg', from: 'eve', color: '#fff', text: 'hi\n[22:20:02] *** alice is now known as admin' });
      assert.equal(line, '[22:20:01] eve> hi\n    [22:20:02] *** alice is now known as admin');
    });
    it('shows control characters an old log holds instead of passing them to a terminal', () => {
      const t = new Date(2026, 0, 1, 22, 20, 1).toISOString();
      const line = formatText({ id: 'x', t, type: 'msg', from: 'e\u001bve', color: '#fff', text: '\u001b[2J\rgone\u202e\u2028next' });
      assert.equal(line, '[22:20:01] e<U+001B>ve> <U+001B>[2J<U+000D>gone<U+202E>\n    next');
      assert.doesNotMatch(line, /\p{Cc}(?<!\n)/u);
    });
  });
  it('makes unique, time-ordered event ids', () => {
    const a = newEventId(1000);
    const b = newEventId(2000);
    assert.ok(isEventId(a) && isEventId(b));
    assert.ok(a < b);
    assert.notEqual(newEventId(5), newEventId(5));
  });
  it("renders the original's text lines", () => {
    const t = new Date(2026, 0, 1, 22, 20, 1).toISOString();
    assert.equal(formatText({ id: 'x', t, type: 'msg', from: 'alice', color: '#fff', text: 'hello' }), '[22:20:01] alice> hello');
  });
});

describe('line reader', () => {
  it('splits chunks into lines and drops a line past the cap, once', () => {
    const lines: string[] = [];
    let tooLong = 0;
    const r = new LineReader(
      10,
      (l) => lines.push(l),
      () => tooLong++,
    );
    r.push(Buffer.from('ab'));
    r.push(Buffer.from('c\nde'));
    r.push(Buffer.from(`f\n${'x'.repeat(30)}`));
    r.push(Buffer.from(`${'y'.repeat(30)}\nok\n`));
    r.push(Buffer.from('tail'));
    r.end();
    assert.deepEqual(lines, ['abc', 'def', 'ok', 'tail']);
    assert.equal(tooLong, 1);
  });
});

describe('token bucket', () => {
  it('allows a burst, then the rate', () => {
    let now = 0;
    const b = new TokenBucket(5, 10, () => now);
    let ok = 0;
    for (let i = 0; i < 20; i++) if (b.take()) ok++;
    assert.equal(ok, 10);
    now += 1000;
    ok = 0;
    for (let i = 0; i < 20; i++) if (b.take()) ok++;
    assert.equal(ok, 5);
  });
});
