import { strict as assert } from 'node:assert';
import { loadConfig } from '../../../src/config.js';
import { allowedOrigins, websocketdPlan, wsMessageLimit } from '../../../src/launch/websocketd.js';

const cfg = (overrides: Record<string, unknown>) => loadConfig({ confPath: '/nonexistent/chat.ini', env: {}, overrides });
const originFlag = (args: string[]) => {
  const i = args.indexOf('--origin');
  return i === -1 ? undefined : args[i + 1];
};

describe('websocketd command line', () => {
  it('takes the Origin allow-list from public_url when origin is empty', () => {
    const c = cfg({ 'server.public_url': 'https://chat.example.org/chat/' });
    assert.deepEqual(allowedOrigins(c), ['chat.example.org']);
    assert.equal(originFlag(websocketdPlan(c, '/nonexistent', {}, 'websocketd', false).args), 'chat.example.org');
    assert.deepEqual(allowedOrigins(cfg({ 'server.public_url': 'https://chat.example.org:8443/' })), ['chat.example.org:8443']);
  });

  it('keeps an explicit origin list, and none at all without public_url', () => {
    assert.deepEqual(allowedOrigins(cfg({ 'server.origin': 'a.example, b.example:444', 'server.public_url': 'https://c.example/' })), [
      'a.example',
      'b.example:444',
    ]);
    assert.equal(originFlag(websocketdPlan(cfg({}), '/nonexistent', {}, 'websocketd', false).args), undefined);
  });

  it('refuses a trusted sign-in header without an Origin allow-list', () => {
    assert.throws(
      () => websocketdPlan(cfg({ 'server.trusted_user_header': 'X-Remote-User' }), '/nonexistent', {}, 'websocketd', false),
      /needs an Origin allow-list/,
    );
    const ok = websocketdPlan(
      cfg({ 'server.trusted_user_header': 'X-Remote-User', 'server.origin': 'chat.example.org' }),
      '/nonexistent',
      {},
      'websocketd',
      false,
    );
    assert.equal(originFlag(ok.args), 'chat.example.org');
  });

  it('passes a read limit only to a websocketd that has the flag', () => {
    const c = cfg({});
    const patched = websocketdPlan(c, '/nonexistent', {}, 'websocketd', true);
    assert.equal(patched.args[patched.args.indexOf('--maxmessagebytes') + 1], String(wsMessageLimit(c)));
    assert.equal(wsMessageLimit(c), 2 * 65536 + 65536);
    const stock = websocketdPlan(c, '/nonexistent', {}, 'websocketd', false);
    assert.equal(stock.readLimit, undefined);
    assert.ok(!stock.args.includes('--maxmessagebytes'));
  });
});
