// The message renderer on the worst inputs a message can hold (src/shared/markdown.ts):
// 4 KB of one delimiter each, which naive Markdown parsers take quadratic time over.
// Prints the time per render; exits 1 when one takes longer than --limit ms (default 50).
//   node --import tsx bench/markdown.ts [--limit 50]

import { highlightCode } from '../src/shared/highlight.js';
import { renderMarkdown, toHtml } from '../src/shared/markdown.js';

const i = process.argv.indexOf('--limit');
const LIMIT = i >= 0 ? Number(process.argv[i + 1]) : 50;
const SIZE = 4096;
const ctx = { base: 'https://chat.test/history', emoticons: 'https://chat.test/emoticons/' };
const inputs: Record<string, string> = {
  backticks: '`'.repeat(SIZE),
  'backtick runs': '`a``b```c'.repeat(SIZE / 9),
  asterisks: '*'.repeat(SIZE),
  'asterisk/underscore mix': '*_'.repeat(SIZE / 2),
  'emphasis openers': '*a **a '.repeat(SIZE / 7),
  'quote markers': '>'.repeat(SIZE),
  'fence openers': '```\n'.repeat(SIZE / 4),
  brackets: '[('.repeat(SIZE / 2),
  'urls and emoticons': 'https://x.test/a :-) '.repeat(SIZE / 21),
  'highlighted js': `\`\`\`js\n${'const a = "x" + b(c) /* d */;\n'.repeat(SIZE / 34)}\`\`\``,
};
let worst = 0;
for (const [name, text] of Object.entries(inputs)) {
  toHtml(renderMarkdown(text, ctx), highlightCode); // warm
  const runs = 20;
  const t0 = process.hrtime.bigint();
  for (let r = 0; r < runs; r++) toHtml(renderMarkdown(text, ctx), highlightCode);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6 / runs;
  worst = Math.max(worst, ms);
  console.log(`${name.padEnd(26)} ${ms.toFixed(2)} ms`);
}
if (worst > LIMIT) {
  console.error(`bench/markdown: the slowest render took ${worst.toFixed(1)} ms, over ${LIMIT} ms`);
  process.exitCode = 1;
}
