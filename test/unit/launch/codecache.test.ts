// dist/room.cjs runs the handler bundle through V8's code cache (src/codecache.cjs):
// a good cache is taken as it is, a bad one is survived and replaced. (The pages use the
// same loader; test/e2e/pages.bats serves them.)
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HANDLER_NODE_FLAGS } from '../../../src/launch/websocketd.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

describe('code cache of the room handler', () => {
  let dir: string;
  let data: string;
  let cache: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tailroom-cc-'));
    data = mkdtempSync(join(tmpdir(), 'tailroom-cc-data-'));
    // The cache is named after a digest of the bundle (V8 itself checks only its length).
    const built = readdirSync(join(ROOT, 'dist')).filter((f) => /^room\.[0-9a-f]{16}\.cache$/.test(f));
    const [only, ...others] = built;
    assert.ok(only !== undefined && others.length === 0, `one code cache for the handler in dist/, not ${built.join(', ')}`);
    for (const f of ['room.cjs', 'room.bundle.cjs', 'codecache.cjs', 'package.json', only]) copyFileSync(join(ROOT, 'dist', f), join(dir, f));
    cache = join(dir, only);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  });

  /** One connection: welcome, then leave; resolves to the first line it wrote. */
  function connectOnce(): Promise<string> {
    const env = {
      PATH: process.env.PATH,
      TAILROOM_CONF: join(ROOT, 'conf', 'chat.ini'),
      TAILROOM_SET: JSON.stringify({ 'server.data_dir': data, 'stun.enabled': false }),
      PATH_INFO: '/cache',
      QUERY_STRING: '',
    };
    const child = spawn(process.execPath, [...HANDLER_NODE_FLAGS, join(dir, 'room.cjs')], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error('no welcome within 10 s'));
      }, 10000);
      let first = '';
      child.stdout.once('data', (d: Buffer) => {
        first = d.toString().split('\n')[0] ?? '';
        child.stdin.end();
      });
      child.stdout.resume();
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(first);
      });
    });
  }

  it('takes the cache the build wrote, and leaves it alone', async () => {
    const before = readFileSync(cache);
    const mtime = statSync(cache).mtimeMs;
    assert.match(await connectOnce(), /^\{"type":"welcome"/);
    assert.equal(statSync(cache).mtimeMs, mtime, 'an accepted cache is not rewritten');
    assert.deepEqual(readFileSync(cache), before);
  });

  it('survives a cache V8 rejects, and writes a good one in its place', async () => {
    writeFileSync(cache, 'not a code cache');
    assert.match(await connectOnce(), /^\{"type":"welcome"/);
    const fresh = readFileSync(cache);
    assert.notEqual(fresh.toString(), 'not a code cache');
    const mtime = statSync(cache).mtimeMs;
    assert.match(await connectOnce(), /^\{"type":"welcome"/);
    assert.equal(statSync(cache).mtimeMs, mtime, 'the fresh cache is accepted');
  });

  it('runs without a cache, and leaves one behind', async () => {
    rmSync(cache);
    assert.match(await connectOnce(), /^\{"type":"welcome"/);
    assert.ok(statSync(cache).size > 1000);
  });
});
