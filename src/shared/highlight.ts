// Syntax highlighting of fenced code that names its language: highlight.js's core with a
// few common languages (each adds to the page bundle and to the browser's highlight.js,
// so the list stays short). Its output is the code escaped, in spans with hljs-* classes
// only (styled in htdocs/style.css and htdocs/chat.css), which is what the pages' CSP and
// the renderer's rule (no attribute from a chatter) allow.

import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import typescript from 'highlight.js/lib/languages/typescript';
import type { Highlighter } from './markdown.js';

const LANGUAGES = { bash, diff, go, javascript, json, python, rust, typescript };
for (const [name, def] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, def);
// Shells by the names people give them (bash's own aliases are sh and zsh).
hljs.registerAliases(['shell', 'console'], { languageName: 'bash' });

/** Longer blocks are shown as they are: highlighting costs time on every page view. */
export const MAX_HIGHLIGHT_CHARS = 20_000;

export const highlightCode: Highlighter = (code, lang) => {
  if (code.length > MAX_HIGHLIGHT_CHARS || !hljs.getLanguage(lang)) return undefined;
  return hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
};
