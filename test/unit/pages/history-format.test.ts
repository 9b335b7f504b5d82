import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../../src/config.js';
import { respond } from '../../../src/pages/cgi.js';
import { PAGE_HIGHLIGHT_CHARS } from '../../../src/pages/formatted.js';
import { historyPage } from '../../../src/pages/history.js';
import { checkHtml } from '../../helpers/html.js';

describe('history pages: formatted text', () => {
  let root: string;
  let cfg: Config;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'tailroom-history-format-'));
    cfg = loadConfig({ confPath: join(root, 'none.ini'), overrides: { 'server.data_dir': root }, env: {} });
    mkdirSync(join(root, 'rooms'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  async function history(texts: (string | Record<string, unknown>)[], query = 'room=lobby'): Promise<string> {
    const lines = texts.map((text, i) =>
      JSON.stringify({
        id: `00000000${i}-test-0`,
        t: '2026-11-20T10:00:00.000Z',
        ...(typeof text === 'string' ? { type: 'msg', from: 'amy', color: '#2e86c1', text } : text),
      }),
    );
    writeFileSync(join(root, 'rooms', 'lobby.log'), lines.map((l) => `${l}\n`).join(''));
    const out = await respond(historyPage, {
      env: { REQUEST_METHOD: 'GET', QUERY_STRING: query, REMOTE_ADDR: '127.0.0.1', HTTP_HOST: 'chat.test', REQUEST_URI: `/history?${query}` },
      config: cfg,
      log: () => {},
    });
    assert.match(out, /^Status: 200/m);
    const body = out.slice(out.indexOf('\r\n\r\n') + 4);
    assert.deepEqual(checkHtml(body), []);
    return body;
  }

  it('shows a bold word and a code block highlighted on the server, scripts staying text', async () => {
    const body = await history(['a **bold** word', '```python\ndef f(x):\n    return "<b>"\n```', '<script>alert(1)</script> https://example.org/x']);
    assert.match(body, /<span class="text">a <strong>bold<\/strong> word<\/span>/);
    assert.match(body, /<pre><code class="hljs language-python"><span class="hljs-keyword">def<\/span> <span class="hljs-title function_">f<\/span>/);
    assert.match(body, /<span class="hljs-string">&quot;&lt;b&gt;&quot;<\/span>/);
    assert.match(
      body,
      /&lt;script&gt;alert\(1\)&lt;\/script&gt; <a href="https:\/\/example.org\/x" class="external"[^>]* title="link on another site: example.org"/,
    );
    assert.doesNotMatch(body, /<script/);
  });

  it('highlights at most PAGE_HIGHLIGHT_CHARS of code on one page, the rest plain', async () => {
    const block = `\`\`\`js\n${'let a = 1;\n'.repeat(Math.ceil(PAGE_HIGHLIGHT_CHARS / 3 / 11))}\`\`\``;
    const body = await history([block, block, block, block]);
    assert.equal((body.match(/<code class="hljs language-js">/g) ?? []).length, 2);
    assert.equal((body.match(/<code class="language-js">/g) ?? []).length, 2);
  });

  it('marks search hits inside formatted text', async () => {
    const body = await history(['a **bold** word'], 'room=lobby&q=old');
    assert.match(body, /<strong>b<mark>old<\/mark><\/strong>/);
  });

  it('shows what a topic was set to, its words escaped and searchable, and a cleared topic as cleared', async () => {
    const body = await history([
      { type: 'topic', from: 'amy', text: 'Release on <Friday>' },
      { type: 'topic', from: 'bo', text: '' },
    ]);
    assert.match(body, /<span class="from"[^>]*>amy<\/span> <span class="text"><span class="note">set the topic:<\/span> Release on &lt;Friday&gt;<\/span>/);
    assert.match(body, /<span class="from"[^>]*>bo<\/span> <span class="note">cleared the topic<\/span>/);
    const found = await history([{ type: 'topic', from: 'amy', text: 'Release on Friday' }], 'room=lobby&q=friday');
    assert.match(found, /<mark>Friday<\/mark>/);
  });
});
