import { strict as assert } from 'node:assert';
import { Chatter } from '../../src/handler/chatter.js';
import { iceServersFor } from '../../src/handler/ice.js';
import { loadConfig } from '../../src/config.js';
import { readCgi } from '../../src/request.js';

describe('the CGI request', () => {
  it('takes the Host from SERVER_NAME (websocketd has no HTTP_HOST), port kept unless 80 or 443', () => {
    assert.equal(readCgi({ SERVER_NAME: 'localhost', SERVER_PORT: '8089' }).host, 'localhost:8089');
    assert.equal(readCgi({ SERVER_NAME: 'chat.example', SERVER_PORT: '80' }).host, 'chat.example');
    assert.equal(readCgi({ SERVER_NAME: 'chat.example', SERVER_PORT: '443' }).host, 'chat.example');
    // websocketd gives an IPv6 host without its brackets.
    assert.equal(readCgi({ SERVER_NAME: '::1', SERVER_PORT: '8089' }).host, '[::1]:8089');
    assert.equal(readCgi({ HTTP_HOST: 'other:1', SERVER_NAME: 'x' }).host, 'other:1');
    assert.equal(readCgi({}).host, undefined);
  });
  it('gives browsers the STUN server at that host', () => {
    const cfg = loadConfig({ confPath: '/nonexistent/chat.ini', env: {} });
    const urls = (env: Record<string, string>) => iceServersFor(cfg, readCgi(env).host)[0]?.urls;
    assert.equal(urls({ SERVER_NAME: 'localhost', SERVER_PORT: '8089' }), `stun:localhost:${cfg.stun.port}`);
    assert.equal(urls({ SERVER_NAME: '::1', SERVER_PORT: '8089' }), `stun:[::1]:${cfg.stun.port}`);
    assert.equal(urls({ SERVER_NAME: 'fe80::1', SERVER_PORT: '80' }), `stun:[fe80::1]:${cfg.stun.port}`);
  });
  it('takes the room from the raw REQUEST_URI, decoded once, not from the decoded PATH_INFO', () => {
    const room = (uri: string, pathInfo: string) => Chatter.roomOf(readCgi({ REQUEST_URI: uri, PATH_INFO: pathInfo }));
    assert.equal(room('/100%25off?format=text', '/100%off'), '100%off');
    assert.equal(room('/chat/caf%C3%A9', '/chat/café'), 'café');
    assert.equal(room('/x%2525', '/x%25'), 'x%25');
    assert.throws(() => room('/a%2Fb', '/a/b'), /forbidden character/);
    assert.throws(() => room('/ab%0Acd', '/ab\ncd'), /forbidden character/);
    assert.throws(() => room('/what%3F', '/what?'), /forbidden character/);
  });
});
