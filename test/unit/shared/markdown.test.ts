import { strict as assert } from 'node:assert';
import { highlightCode } from '../../../src/shared/highlight.js';
import { type MdNode, type RenderContext, renderMarkdown, toHtml } from '../../../src/shared/markdown.js';

const ctx: RenderContext = { base: 'https://chat.test/history?room=lobby', emoticons: 'https://chat.test/emoticons/' };
const html = (text: string, c: RenderContext = ctx) => toHtml(renderMarkdown(text, c), highlightCode);

const TAGS = new Set(['strong', 'em', 'code', 'pre', 'blockquote', 'br', 'a', 'img', 'mark', 'span']);
const ATTRS = new Set(['href', 'src', 'class', 'target', 'rel', 'title', 'data-host', 'alt', 'loading', 'width', 'height']);
const URL_ATTRS = new Set(['href', 'src']);

/**
 * Everything wrong with `out` as message HTML: a tag or attribute outside the renderer's
 * few, a URL of another scheme, an attribute value that is not one quoted string, and any
 * `<`, `>` or `"` left in text (which would be markup).
 */
function activeContent(out: string): string[] {
  const problems: string[] = [];
  const tag = /<(\/?)([a-z]+)((?: [a-z-]+="[^"<>]*")*)>/g;
  const text = out.replace(tag, (_, close: string, name: string, attrs: string) => {
    if (!TAGS.has(name)) problems.push(`tag <${name}>`);
    if (close && attrs) problems.push(`attributes on </${name}>`);
    for (const [, k = '', v = ''] of attrs.matchAll(/ ([a-z-]+)="([^"]*)"/g)) {
      if (!ATTRS.has(k)) problems.push(`attribute ${k}`);
      if (URL_ATTRS.has(k) && !/^(?:https?:\/\/|mailto:)/.test(v)) problems.push(`${k}="${v}"`);
      if (k === 'class' && !/^[a-z0-9 _-]+$/.test(v)) problems.push(`class="${v}"`);
      if (name === 'span' && k !== 'class') problems.push(`span ${k}`);
    }
    return '';
  });
  if (/[<>"]/.test(text)) problems.push(`markup left in text: ${JSON.stringify(text.slice(0, 200))}`);
  return problems;
}

function tags(nodes: MdNode[]): string[] {
  return nodes.flatMap((n) => (typeof n === 'string' ? [] : [n.tag, ...tags(n.children)]));
}

describe('the message renderer', () => {
  it('formats the subset: bold, italic, code spans, quotes, fences, line breaks', () => {
    assert.equal(html('**bold** and *italic* and _too_'), '<strong>bold</strong> and <em>italic</em> and <em>too</em>');
    assert.equal(html('a `x < y` b'), 'a <code>x &lt; y</code> b');
    assert.equal(html('> said\nthat'), '<blockquote>said<br>that</blockquote>');
    assert.equal(html('one\ntwo\n\nthree'), 'one<br>two<br>three');
    assert.equal(html('```\nplain <b>\n```'), '<pre><code>plain &lt;b&gt;</code></pre>');
  });

  it('leaves the rest of Markdown as text: headings, lists, links, images, HTML, entities, indented code', () => {
    for (const t of [
      '# not a heading',
      '1. not a list',
      '- nor this',
      '[a](page.html)',
      '![i](i.png)',
      '[r]: x.html',
      '    four spaces',
      '&amp; &lt;',
      '---',
    ]) {
      const out = renderMarkdown(t, ctx);
      assert.deepEqual(tags(out), [], t);
      assert.equal(out.join(''), t.trim(), t);
    }
  });

  it('highlights a fence that names a known language, escaped, in hljs spans only', () => {
    const out = html('```js\nconst s = "<img onerror=x>";\n```');
    assert.match(
      out,
      /^<pre><code class="hljs language-js"><span class="hljs-keyword">const<\/span> s = <span class="hljs-string">&quot;&lt;img onerror=x&gt;&quot;<\/span>;<\/code><\/pre>$/,
    );
    assert.deepEqual(activeContent(out), []);
    assert.equal(html('```klingon\nqapla\n```'), '<pre><code class="language-klingon">qapla</code></pre>', 'unknown: plain');
    assert.equal(html('```" onclick="x\nq\n```'), '<pre><code>q</code></pre>', 'an info string that is no language word names none');
    assert.match(html('```sh\nls -l | grep x\n```'), /class="hljs language-sh"/);
  });

  it('keeps the inserts, bare URLs, mailto: and emoticons, with the same-site rule', () => {
    const out = html('see https://example.org/a_b_c. :-) {image}emoticons/heart.svg {image}https://img.test/cat.png {link}rooms mailto:amy@example.org');
    assert.match(
      out,
      /<a href="https:\/\/example.org\/a_b_c" class="external" target="_blank" rel="noopener noreferrer nofollow" title="link on another site: example.org" data-host="example.org">https:\/\/example.org\/a_b_c<\/a>\. /,
    );
    assert.match(out, /<img class="emoticon" src="https:\/\/chat.test\/emoticons\/smile.svg" alt=":-\)"/);
    assert.match(
      out,
      /<a href="https:\/\/chat.test\/emoticons\/heart.svg" target="_blank" rel="noopener" class="insert-image"><img src="https:\/\/chat.test\/emoticons\/heart.svg"/,
    );
    assert.match(out, /<a href="https:\/\/img.test\/cat.png" class="external"[^>]*>image at img.test: https:\/\/img.test\/cat.png<\/a>/);
    assert.match(out, /<a href="https:\/\/chat.test\/rooms" target="_blank" rel="noopener">https:\/\/chat.test\/rooms<\/a>/);
    assert.match(out, /<a href="mailto:amy@example.org" class="external"/);
    assert.equal(html('`https://x.test :-)`'), '<code>https://x.test :-)</code>', 'code is code');
  });

  it('marks search hits in text, links and code, and never inside markup', () => {
    const c = { ...ctx, hits: /o/giu };
    assert.equal(html('**bob** `foo`', c), '<strong>b<mark>o</mark>b</strong> <code>f<mark>o</mark><mark>o</mark></code>');
    const hitCode = html('```js\nlet o\n```', c);
    assert.equal(hitCode, '<pre><code class="language-js">let <mark>o</mark></code></pre>', 'a hit in code wins over highlighting');
    assert.deepEqual(activeContent(html('https://example.org/o "o" <o>', c)), []);
  });

  it('makes no active content of hostile input', () => {
    const hostile = [
      '<script>alert(1)</script>',
      '<img src=x onerror=alert(1)>',
      '<a href="javascript:alert(1)">x</a>',
      '[x](javascript:alert(1)) [y](data:text/html,<script>alert(1)</script>) <javascript:alert(1)>',
      '![x](data:image/svg+xml,<svg onload=alert(1)>) {image}data:image/png;base64,AAAA {image}javascript:alert(1) {link}vbscript:x',
      'javascript:alert(1) data:text/html,x blob:https://x.test/1 file:///etc/passwd',
      'https://x.test/"onmouseover="alert(1) https://x.test/<script>',
      '{image}https://chat.test/history?q=x {image}history/x.png',
      '```js" onload="x\n</code></pre><script>x</script>\n```',
      '```\nunterminated <b>',
      '`unterminated <i>',
      `${'>'.repeat(200)} deep <b>`,
      '**<b>** *<i>* ***<u>*** _<s>_',
      '\u0000\u0001\u001b[31m\u007f\u0085\u202e<b>\u2028\u2029',
      '&lt;script&gt; &#60;script&#62; &#x3C;',
      `${'`'.repeat(4096)}<b>`,
      `${'*'.repeat(4096)}<b>`,
      `${'_*'.repeat(2048)}<b>`,
      `${'[('.repeat(2048)}<b>`,
      '<style>*{}</style><iframe src=x><object data=x><svg><math><form action=x>',
      ':-) <3 <3<3 8-) :-)<script>',
    ];
    for (const t of hostile) assert.deepEqual(activeContent(html(t)), [], t);
  });

  it('ends quotes within quotes at a bounded depth', () => {
    const out = renderMarkdown(`${'>'.repeat(200)} x`, ctx);
    assert.ok(tags(out).filter((t) => t === 'blockquote').length <= 8, JSON.stringify(tags(out)));
  });
});
