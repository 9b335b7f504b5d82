import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, SETTINGS } from '../../src/config.js';

const ROOT = join(import.meta.dirname, '../..');

describe('configuration', () => {
  it('conf/chat.ini documents every setting with its default', () => {
    const ini = readFileSync(join(ROOT, 'conf/chat.ini'), 'utf8');
    for (const s of SETTINGS) {
      const expected = `${s.key} = ${String(s.default)}`.trimEnd();
      assert.ok(
        ini.split('\n').some((l) => l.replace(/^;/, '') === expected),
        `${s.section}.${s.key}: "${expected}"`,
      );
    }
  });

  it('the shipped file gives the built-in defaults', () => {
    const cfg = loadConfig({ confPath: join(ROOT, 'conf/chat.ini'), env: {} });
    assert.equal(cfg.server.port, 8089);
    assert.equal(cfg.chat.history_on_join, 20);
    assert.equal(cfg.dataDir, ROOT);
    assert.equal(cfg.rooms.lobby, 'Where everyone starts');
  });

  it('file values override defaults, flags override the file, and sources say which', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailroom-conf-'));
    try {
      const path = join(dir, 'chat.ini');
      writeFileSync(path, '[server]\nport = 9000\ndata_dir = /srv/chat\n[files]\nshared_fs = yes\n');
      const cfg = loadConfig({ confPath: path, overrides: { 'chat.history_on_join': '50' }, env: {} });
      assert.equal(cfg.server.port, 9000);
      assert.equal(cfg.files.shared_fs, true);
      assert.equal(cfg.chat.history_on_join, 50);
      assert.equal(cfg.dataDir, '/srv/chat');
      assert.equal(cfg.sources['server.port'], path);
      assert.equal(cfg.sources['chat.history_on_join'], 'override');
      assert.equal(cfg.sources['chat.rate_burst'], 'default');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad values and unknown settings with a clear message', () => {
    assert.throws(() => loadConfig({ confPath: '/nonexistent/chat.ini', overrides: { 'server.port': 'eighty' }, env: {} }), ConfigError);
    assert.throws(() => loadConfig({ confPath: '/nonexistent/chat.ini', overrides: { 'files.watch': 'telepathy' }, env: {} }), /one of inotify, poll/);
    assert.throws(() => loadConfig({ confPath: '/nonexistent/chat.ini', overrides: { 'chat.nope': 1 }, env: {} }), /unknown setting/);
    assert.throws(() => loadConfig({ confPath: '/nonexistent/chat.ini', env: { TAILROOM_SET: '{' } }), /TAILROOM_SET/);
  });
});

describe('ICE servers in the welcome', () => {
  it('gives turn: URLs the configured credentials and leaves stun: URLs without', async () => {
    const { iceServersFor } = await import('../../src/handler/ice.js');
    const cfg = loadConfig({
      confPath: '/nonexistent/chat.ini',
      overrides: { 'stun.ice_servers': 'stun:s.example:3478, turn:t.example:3478', 'stun.turn_username': 'u', 'stun.turn_credential': 'p' },
      env: {},
    });
    assert.deepEqual(iceServersFor(cfg, 'chat.example:8443'), [
      { urls: ['stun:s.example:3478'] },
      { urls: ['turn:t.example:3478'], username: 'u', credential: 'p' },
    ]);
    const dflt = loadConfig({ confPath: '/nonexistent/chat.ini', env: {} });
    assert.deepEqual(iceServersFor(dflt, 'chat.example:8443'), [{ urls: 'stun:chat.example:3478' }]);
  });

  it("with turn_secret, each chatter gets coturn's short-lived credentials (use-auth-secret)", async () => {
    const { turnCredentials, iceServersFor } = await import('../../src/handler/ice.js');
    const cfg = loadConfig({
      confPath: '/nonexistent/chat.ini',
      overrides: {
        'stun.ice_servers': 'turn:t.example:3478',
        'stun.turn_username': 'static',
        'stun.turn_credential': 'static',
        'stun.turn_secret': 'n0rth',
        'stun.turn_ttl_sec': 3600,
      },
      env: {},
    });
    const now = Date.UTC(2026, 10, 22, 12, 0, 0);
    const { username, credential } = turnCredentials(cfg, 'bob', now);
    assert.equal(username, `${now / 1000 + 3600}:bob`);
    // coturn checks base64(HMAC-SHA1(secret, username)); computed here by openssl, not by us.
    const expected = execFileSync('sh', ['-c', `printf %s "$0" | openssl dgst -sha1 -hmac n0rth -binary | base64`, username]).toString().trim();
    assert.equal(credential, expected);
    const [turn] = iceServersFor(cfg, 'chat.example', 'bob');
    assert.equal(turn?.username?.endsWith(':bob'), true);
    assert.notEqual(turn.credential, 'static');
  });
});
