// A strict checker for the HTML our pages emit: the HTML5 skeleton, every tag closed
// and nested properly, no stray `<` (so unescaped data shows up), unique ids, no inline
// script. Stricter than HTML5 (which allows omitted end tags), in the direction that
// catches template and escaping mistakes.
//   node --import tsx test/helpers/html.ts FILE...   exits 1 and names the problems

import { readFileSync } from 'node:fs';

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
/** Elements that may not sit inside a <p> (they would close it implicitly). */
const BLOCK = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'details',
  'div',
  'dl',
  'fieldset',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hr',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'table',
  'ul',
]);
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*)\s*(\/?)>/y;
const ATTR = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

export function checkHtml(html: string): string[] {
  const problems: string[] = [];
  if (!/^<!doctype html>/i.test(html)) problems.push('does not start with <!doctype html>');
  if (!/<html lang="[a-z-]+">/.test(html)) problems.push('no <html lang>');
  if (!/<meta charset="utf-8">/.test(html.slice(0, 1024))) problems.push('no <meta charset="utf-8"> in the first 1024 bytes');
  if (!/<meta name="viewport" content="width=device-width[^"]*">/.test(html)) problems.push('no viewport meta (phones)');
  const titles = html.match(/<title>([^<]*)<\/title>/g) ?? [];
  if (titles.length !== 1 || /<title>\s*<\/title>/.test(titles[0])) problems.push('needs exactly one non-empty <title>');
  const stack: string[] = [];
  const ids = new Set<string>();
  let i = html.search(/<html/i);
  while (i >= 0 && i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt === -1) break;
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt);
      if (end === -1) {
        problems.push('unclosed comment');
        break;
      }
      i = end + 3;
      continue;
    }
    TAG.lastIndex = lt;
    const m = TAG.exec(html);
    if (!m) {
      problems.push(`stray "<" at ${lt}: ${JSON.stringify(html.slice(lt, lt + 40))}`);
      i = lt + 1;
      continue;
    }
    i = TAG.lastIndex;
    const [, closing, rawName = '', attrs = ''] = m;
    const name = rawName.toLowerCase();
    if (closing) {
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? 'nothing'}>`);
      continue;
    }
    const seen = new Set<string>();
    for (const a of attrs.matchAll(ATTR)) {
      const attr = (a[1] ?? '').toLowerCase();
      if (seen.has(attr)) problems.push(`<${name}> has ${attr} twice`);
      seen.add(attr);
      if (attr.startsWith('on')) problems.push(`<${name}> has an inline handler ${attr}`);
      if (attr === 'id') {
        const id = a[2] ?? a[3] ?? a[4] ?? '';
        if (ids.has(id)) problems.push(`duplicate id ${id}`);
        ids.add(id);
      }
    }
    if (name === 'script' && !seen.has('src')) problems.push('inline <script>');
    if (BLOCK.has(name) && stack.includes('p')) problems.push(`<${name}> inside <p>`);
    if (!VOID.has(name)) stack.push(name);
    if (name === 'script' || name === 'style') {
      const end = html.indexOf(`</${name}>`, i);
      i = end === -1 ? html.length : end;
    }
  }
  if (stack.length) problems.push(`unclosed: ${stack.join(' > ')}`);
  return problems;
}

const invoked = process.argv[1]?.split('/').pop();
if (invoked && import.meta.url.endsWith(invoked)) {
  let bad = 0;
  for (const file of process.argv.slice(2)) {
    for (const p of checkHtml(readFileSync(file, 'utf8'))) {
      console.error(`${file}: ${p}`);
      bad++;
    }
  }
  process.exit(bad ? 1 : 0);
}
