import { strict as assert } from 'node:assert';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { dataDir } from '../../../src/store/datadir.js';
import { newEventId } from '../../../src/store/eventid.js';
import { findMessage, redactMessage } from '../../../src/store/msglookup.js';
import { redactedLine } from '../../../src/store/redact.js';

const T0 = Date.parse('2026-11-19T10:00:00.000Z');

function event(at: number, body: Record<string, unknown>): { id: string; line: string } {
  const id = newEventId(at);
  return { id, line: JSON.stringify({ id, t: new Date(at).toISOString(), ...body }) };
}
const msg = (at: number, text: string, from = 'alice') => event(at, { type: 'msg', from, color: '#336699', text });
const edit = (at: number, ref: string, text: string, from = 'alice') => event(at, { type: 'edit', from, ref, text });

/** Every file under `dir`, .gz ones unpacked: what `grep -r` and `zgrep` together would read. */
function everything(dir: string): string {
  let all = '';
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue;
    const raw = readFileSync(join(f.parentPath, f.name));
    all += (f.name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  }
  return all;
}

describe('redaction: a deleted message blanked where it is stored', () => {
  let root: string;
  let rooms: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-redact-'));
    rooms = join(root, 'rooms');
    mkdirSync(rooms);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('keeps the byte length and valid JSON, with multi-byte text and JSON escapes, and only the text changes', () => {
    const { line } = msg(T0, 'caf\u00e9 \u{1F600} "quoted" back\\slash\nnew line\t\u0001 \u2028 </script>');
    const out = redactedLine(line);
    assert.ok(out);
    assert.equal(Buffer.byteLength(out), Buffer.byteLength(line));
    const before = JSON.parse(line);
    const after = JSON.parse(out);
    assert.equal(after.text.trim(), '');
    assert.deepEqual({ ...after, text: undefined }, { ...before, text: undefined });
  });

  it('leaves valid JSON at every point of a write caught half done, from either end', () => {
    const { line } = msg(T0, 'a\\"b\u00e9\u{1F600}\u0007\n"x"');
    const old = Buffer.from(line);
    const blank = Buffer.from(redactedLine(line) ?? '');
    for (let k = 0; k <= old.length; k++) {
      for (const mix of [Buffer.concat([blank.subarray(0, k), old.subarray(k)]), Buffer.concat([old.subarray(0, k), blank.subarray(k)])]) {
        assert.doesNotThrow(() => JSON.parse(mix.toString('utf8')), `torn at ${k}: ${mix}`);
      }
    }
  });

  it('after a delete, the text is nowhere under the data dir: the live log, a plain rotated segment, a .gz one', async () => {
    const d = dataDir(root);
    const a = msg(T0, 'SECRET-ALPHA caf\u00e9');
    const aEdit = edit(T0 + 1000, a.id, 'SECRET-ALPHA-EDITED');
    const b = msg(T0 + 86_400_000, 'SECRET-BRAVO');
    const c = msg(T0 + 2 * 86_400_000, 'SECRET-CHARLIE "q"');
    const bEdit = edit(T0 + 2 * 86_400_000 + 1000, b.id, 'SECRET-BRAVO-EDITED');
    const cEdit = edit(T0 + 2 * 86_400_000 + 2000, c.id, 'SECRET-CHARLIE-EDITED');
    const keep = msg(T0 + 2 * 86_400_000 + 3000, 'still here');
    writeFileSync(join(rooms, 'lobby.log-20261119.gz'), gzipSync(`${a.line}\n${aEdit.line}\n`));
    writeFileSync(join(rooms, 'lobby.log-20261120'), `${b.line}\n`);
    writeFileSync(join(rooms, 'lobby.log'), `${c.line}\n${bEdit.line}\n${cEdit.line}\n${keep.line}\n`);
    const sizes = ['lobby.log', 'lobby.log-20261120'].map((f) => statSync(join(rooms, f)).size);
    for (const id of [a.id, b.id, c.id]) assert.ok(await redactMessage(d, 'lobby', id, Number.POSITIVE_INFINITY), id);
    const all = everything(root);
    assert.doesNotMatch(all, /SECRET/);
    assert.match(all, /still here/);
    assert.throws(() => execFileSync('grep', ['-r', 'SECRET', root]), 'grep -r finds nothing');
    assert.deepEqual(
      ['lobby.log', 'lobby.log-20261120'].map((f) => statSync(join(rooms, f)).size),
      sizes,
    );
    assert.deepEqual(readdirSync(rooms).sort(), ['lobby.log', 'lobby.log-20261119.gz', 'lobby.log-20261120'], 'no temp file left');
    for (const line of everything(root).split('\n').filter(Boolean)) JSON.parse(line);
  });

  it('blanks the ciphertext of an end-to-end room message and of its edits, the same length, in place and in a .gz', async () => {
    const d = dataDir(root);
    const box = (ct: string) => ({ v: 1, iv: 'AAAAAAAAAAAAAAAA', ct });
    const a = event(T0, { type: 'msg', from: 'alice', color: '#336699', e2e: box('Q0lQSEVSQUxQSEFDSVBIRVJBTFBIQQ=='), reply_to: 'x' });
    const aEdit = event(T0 + 1000, { type: 'edit', from: 'alice', ref: a.id, e2e: box('Q0lQSEVSRURJVENJUEhFUkVESVQ=') });
    const b = event(T0 - 86_400_000, { type: 'msg', from: 'alice', color: '#336699', e2e: box('QlJBVk9CUkFWT0JSQVZPQlJBVk8=') });
    writeFileSync(join(rooms, 'lobby.log-20261119.gz'), gzipSync(`${b.line}\n`));
    writeFileSync(join(rooms, 'lobby.log'), `${a.line}\n${aEdit.line}\n`);
    const size = statSync(join(rooms, 'lobby.log')).size;
    for (const id of [a.id, b.id]) assert.ok(await redactMessage(d, 'lobby', id, Number.POSITIVE_INFINITY), id);
    const all = everything(root);
    for (const ct of ['Q0lQSEVSQUxQSEFDSVBIRVJBTFBIQQ==', 'Q0lQSEVSRURJVENJUEhFUkVESVQ=', 'QlJBVk9CUkFWT0JSQVZPQlJBVk8=']) assert.ok(!all.includes(ct), ct);
    assert.equal(statSync(join(rooms, 'lobby.log')).size, size);
    const [msgAfter, editAfter] = readFileSync(join(rooms, 'lobby.log'), 'utf8')
      .split('\n')
      .map((l) => (l ? JSON.parse(l) : undefined));
    assert.equal(msgAfter.e2e.ct.trim(), '');
    assert.equal(msgAfter.e2e.iv, 'AAAAAAAAAAAAAAAA', 'only the ct changes');
    assert.equal(msgAfter.reply_to, 'x');
    assert.equal(editAfter.e2e.ct.trim(), '');
  });

  it('finds a message only within its byte bound, and tells one not a msg from one unknown', async () => {
    const d = dataDir(root);
    const old = msg(T0, 'old one');
    const filler = Array.from({ length: 200 }, (_, i) => msg(T0 + 1000 + i, 'x'.repeat(100)).line);
    const join_ = event(T0 + 5000, { type: 'join', from: 'bob', color: '#000000' });
    writeFileSync(join(rooms, 'lobby.log'), `${[old.line, ...filler, join_.line].join('\n')}\n`);
    assert.ok('found' in (await findMessage(d, 'lobby', old.id, 1 << 20)));
    assert.deepEqual(await findMessage(d, 'lobby', old.id, 10_000), { missing: 'too_far' });
    assert.deepEqual(await findMessage(d, 'lobby', join_.id, 1 << 20), { missing: 'not_msg' });
    assert.deepEqual(await findMessage(d, 'lobby', newEventId(T0 + 3000), 1 << 20), { missing: 'unknown' });
  });

  describe('beside other processes', function () {
    this.timeout(60_000);
    const children: ChildProcess[] = [];
    afterEach(() => {
      for (const c of children.splice(0)) if (c.exitCode === null && c.pid) process.kill(c.pid);
    });
    const run = (script: string, ...args: string[]) =>
      new Promise<string>((resolve, reject) => {
        const c = spawn(process.execPath, ['-e', script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
        children.push(c);
        let out = '';
        c.stdout?.on('data', (b: Buffer) => (out += b));
        c.on('error', reject);
        c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
      });

    // One write(2) per line on an O_APPEND descriptor, opened per append: what appendLine does.
    const WRITER = `const fs=require('fs');const [path,tag,n]=process.argv.slice(1);
for(let i=0;i<Number(n);i++){const fd=fs.openSync(path,'a');fs.writeSync(fd,JSON.stringify({id:'zzzzzzzzz-'+tag+'-'+i.toString(36),t:new Date().toISOString(),type:'msg',from:tag,color:'#000000',text:'line '+i+' '+'w'.repeat(i%300)})+'\\n');fs.closeSync(fd);}`;
    // Reads the whole file over and over for a while; prints how many complete lines were not JSON.
    const READER = `const fs=require('fs');const [path,ms]=process.argv.slice(1);let bad=0,reads=0;const end=Date.now()+Number(ms);
while(Date.now()<end){const s=fs.readFileSync(path,'utf8');const lines=s.split('\\n');lines.pop();for(const l of lines){try{JSON.parse(l)}catch{bad++;console.error('torn: '+l.slice(0,120))}}reads++;}
process.stdout.write(JSON.stringify({bad,reads}));`;

    it('loses no append made while it redacts, and a reader never sees a torn or invalid line', async () => {
      const d = dataDir(root);
      const path = join(rooms, 'lobby.log');
      const msgs = Array.from({ length: 300 }, (_, i) => msg(T0 + i * 10, `secret ${i} \u00e9\u{1F600} "${'\\'.repeat(i % 5)}" ${'s'.repeat(i % 200)}`));
      writeFileSync(path, `${msgs.map((m) => m.line).join('\n')}\n`);
      const writers = Array.from({ length: 4 }, (_, w) => run(WRITER, path, `w${w}`, '400'));
      const reader = run(READER, path, '3000');
      for (const m of msgs) assert.ok(await redactMessage(d, 'lobby', m.id, Number.POSITIVE_INFINITY), m.id);
      await Promise.all(writers);
      const seen = JSON.parse(await reader) as { bad: number; reads: number };
      assert.equal(seen.bad, 0);
      assert.ok(seen.reads > 0);
      const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
      assert.equal(lines.length, 300 + 4 * 400, 'every line, old and appended, is there');
      for (const l of lines) JSON.parse(l);
      assert.doesNotMatch(readFileSync(path, 'utf8'), /secret/);
    });
  });
});
