import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audit, auditPath, clientAddress, formatAudit, trustedProxies } from '../../../src/handler/audit.js';
import { loadConfig } from '../../../src/config.js';
import { readCgi } from '../../../src/request.js';

const proxies = trustedProxies('127.0.0.1, ::1, 10.1.0.0/16');

describe('audit: the client address', () => {
  it('is the peer when the peer is not a trusted proxy, whatever X-Forwarded-For claims', () => {
    assert.equal(clientAddress(readCgi({ REMOTE_ADDR: '203.0.113.7', HTTP_X_FORWARDED_FOR: '6.6.6.6' }), proxies), '203.0.113.7');
    assert.equal(clientAddress(readCgi({ REMOTE_ADDR: '127.0.0.2', HTTP_X_FORWARDED_FOR: '6.6.6.6' }), proxies), '127.0.0.2');
  });

  it('is what the trusted proxy saw: the rightmost X-Forwarded-For entry that is not a proxy', () => {
    assert.equal(clientAddress(readCgi({ REMOTE_ADDR: '127.0.0.1', HTTP_X_FORWARDED_FOR: '198.51.100.4' }), proxies), '198.51.100.4');
    // A forged entry on the left is the client's own claim; the proxy appended the real one.
    assert.equal(clientAddress(readCgi({ REMOTE_ADDR: '127.0.0.1', HTTP_X_FORWARDED_FOR: '6.6.6.6, 198.51.100.4' }), proxies), '198.51.100.4');
    // A load balancer in a trusted range in front of the local proxy is skipped.
    assert.equal(clientAddress(readCgi({ REMOTE_ADDR: '::1', HTTP_X_FORWARDED_FOR: '198.51.100.4, 10.1.2.3' }), proxies), '198.51.100.4');
  });

  it('falls back to the proxy itself when the header is missing or garbage', () => {
    assert.equal(clientAddress(readCgi({ REMOTE_ADDR: '127.0.0.1' }), proxies), '127.0.0.1');
    assert.equal(clientAddress(readCgi({ REMOTE_ADDR: '127.0.0.1', HTTP_X_FORWARDED_FOR: 'unknown' }), proxies), '127.0.0.1');
    assert.equal(clientAddress(readCgi({ REMOTE_ADDR: '127.0.0.1', HTTP_X_FORWARDED_FOR: '198.51.100.4, x"y' }), proxies), '127.0.0.1');
    assert.equal(clientAddress(readCgi({}), proxies), 'unknown');
  });

  it('reads mapped IPv4, bracketed IPv6 and ports', () => {
    assert.equal(clientAddress(readCgi({ REMOTE_ADDR: '::ffff:127.0.0.1', HTTP_X_FORWARDED_FOR: '[2001:db8::5]:4711' }), proxies), '2001:db8::5');
    assert.equal(clientAddress(readCgi({ REMOTE_ADDR: '127.0.0.1', HTTP_X_FORWARDED_FOR: '198.51.100.4:5000' }), proxies), '198.51.100.4');
  });

  it('trusts nobody when the list is empty, and refuses a list entry that is no address', () => {
    assert.equal(clientAddress(readCgi({ REMOTE_ADDR: '127.0.0.1', HTTP_X_FORWARDED_FOR: '198.51.100.4' }), trustedProxies('')), '127.0.0.1');
    assert.throws(() => trustedProxies('proxy.example.org'), /not an address/);
  });
});

describe('audit: the line', () => {
  it('is one grep-able line with time, address, room, name, outcome and pid', () => {
    const line = formatAudit({ time: new Date('2026-11-22T10:00:00Z'), addr: '198.51.100.4', room: 'café', name: 'bob', outcome: 'joined', pid: 42 });
    assert.equal(line, '2026-11-22T10:00:00.000Z tailroom-audit addr=198.51.100.4 room=café name=bob outcome=joined pid=42');
  });

  it('quotes a room name with spaces, so fields stay apart', () => {
    const line = formatAudit({ time: new Date(0), addr: '::1', room: 'tea room', name: 'a=b', outcome: 'closed', pid: 1 });
    assert.match(line, / room="tea room" name="a=b" outcome=closed /);
  });

  it('goes to the configured file (relative to the data dir), one line per call', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tailroom-audit-'));
    try {
      const cfg = loadConfig({ confPath: '/nonexistent/chat.ini', env: {}, overrides: { 'server.data_dir': dir, 'server.audit_log': 'log/audit.log' } });
      assert.equal(auditPath(cfg), join(dir, 'log/audit.log'));
      audit(cfg, readCgi({ REMOTE_ADDR: '127.0.0.1', HTTP_X_FORWARDED_FOR: '198.51.100.4' }), 'lobby', 'alice', 'joined');
      audit(cfg, readCgi({ REMOTE_ADDR: '127.0.0.1', HTTP_X_FORWARDED_FOR: '198.51.100.4' }), 'lobby', 'alice', 'closed');
      const lines = readFileSync(join(dir, 'log/audit.log'), 'utf8').trimEnd().split('\n');
      assert.equal(lines.length, 2);
      assert.match(lines[0] ?? '', /addr=198\.51\.100\.4 room=lobby name=alice outcome=joined pid=\d+$/);
      assert.match(lines[1] ?? '', /outcome=closed/);
      // No CGI environment, no connection: an in-process chatter is not audited.
      audit(cfg, undefined, 'lobby', 'test', 'joined');
      assert.equal(readFileSync(join(dir, 'log/audit.log'), 'utf8').trimEnd().split('\n').length, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
