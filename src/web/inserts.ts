// A chat line -> DOM, through the one renderer the history pages use too
// (src/shared/markdown.ts: the Markdown subset, autolinks, the original's inserts,
// emoticons): its tree holds a few known tags, attributes set by that module only, and
// text that goes in as Text nodes. Code blocks that name a language are highlighted by
// htdocs/build/highlight.js, loaded the first time one is shown (most rooms never do).

import { type MdNode, type RenderContext, renderMarkdown } from '../shared/markdown.js';

export type InsertContext = RenderContext;

function toDom(nodes: MdNode[], parent: Node & ParentNode): void {
  for (const n of nodes) {
    if (typeof n === 'string') {
      parent.append(n);
      continue;
    }
    const e = document.createElement(n.tag);
    for (const [k, v] of Object.entries(n.attrs)) e.setAttribute(k, v);
    toDom(n.children, e);
    const [only] = n.children;
    if (n.lang && n.children.length === 1 && typeof only === 'string') highlightLater(e, only, n.lang);
    parent.append(e);
  }
}

export function renderText(text: string, ctx: InsertContext): DocumentFragment {
  const out = document.createDocumentFragment();
  toDom(renderMarkdown(text, ctx), out);
  return out;
}

// ---- highlighting, on demand -------------------------------------------------------------

type Highlight = (code: string, lang: string) => string | undefined;
declare global {
  // Set by htdocs/build/highlight.js (src/web/highlight-entry.ts).
  var tailroomHighlight: Highlight | undefined;
}

/** Beside this script: build/highlight.js. */
const HIGHLIGHT_SRC = new URL('highlight.js', (document.currentScript as HTMLScriptElement | null)?.src || new URL('build/', location.href)).href;
const waiting: { code: HTMLElement; text: string; lang: string }[] = [];
let loading = false;

function paint(code: HTMLElement, text: string, lang: string, highlight: Highlight): void {
  // Another line may have replaced it meanwhile: only the untouched text is highlighted.
  if (code.textContent !== text) return;
  const html = highlight(text, lang);
  if (html === undefined) return;
  // highlight.js's output is the text escaped, in <span class="hljs-..."> only.
  code.innerHTML = html;
  code.classList.add('hljs');
}

function highlightLater(code: HTMLElement, text: string, lang: string): void {
  const ready = globalThis.tailroomHighlight;
  if (ready) {
    paint(code, text, lang, ready);
    return;
  }
  waiting.push({ code, text, lang });
  if (loading) return;
  loading = true;
  const s = document.createElement('script');
  s.src = HIGHLIGHT_SRC;
  s.async = true;
  s.onload = () => {
    const h = globalThis.tailroomHighlight;
    for (const w of waiting.splice(0)) if (h) paint(w.code, w.text, w.lang, h);
  };
  // Without it the code stays plain; the next block tries again.
  s.onerror = () => {
    loading = false;
    waiting.length = 0;
    s.remove();
  };
  document.head.append(s);
}
