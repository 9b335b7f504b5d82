// Message text on the pages: the chat page's renderer (src/shared/markdown.ts) to HTML,
// with code blocks highlighted here, on the server: the pages run no script.

import { type Highlighter, type RenderContext, renderMarkdown, toHtml } from '../shared/markdown.js';
import type { PageRequest } from './http.js';

/**
 * Code highlighted on one page view, in characters: past it, blocks are shown plain. A
 * page of long code blocks would otherwise cost tens of milliseconds each (bench/markdown.ts).
 */
export const PAGE_HIGHLIGHT_CHARS = 16 * 1024;

/** The URL the browser asked for: links are same-site or not against it, as in the chat page. */
export function pageBase(req: Pick<PageRequest, 'https' | 'host' | 'rawPath' | 'pathInfo'>): string {
  const fallback = 'http://localhost/history';
  try {
    return new URL(req.rawPath ?? req.pathInfo, `${req.https ? 'https' : 'http'}://${req.host ?? 'localhost'}/`).href;
  } catch {
    return fallback;
  }
}

/** A fence that may name a language: only a page holding one loads the highlighter. */
const FENCE = /```[^\s`]/;

/**
 * Text -> HTML for a page's template (inserted unescaped: everything in it is escaped
 * here), for a page showing `texts`. highlight.js is loaded only when one of them has a
 * fenced block that may name a language: most pages have none, and loading it costs them.
 */
export async function formatter(
  req: Pick<PageRequest, 'https' | 'host' | 'rawPath' | 'pathInfo'>,
  hits: RegExp | undefined,
  texts: readonly string[],
): Promise<(text: string) => string> {
  const base = pageBase(req);
  const ctx: RenderContext = { base, emoticons: new URL('emoticons/', base).href, hits };
  const highlightCode = texts.some((t) => FENCE.test(t)) ? (await import('../shared/highlight.js')).highlightCode : undefined;
  let left = PAGE_HIGHLIGHT_CHARS;
  const highlight: Highlighter = (code, lang) => {
    if (!highlightCode || code.length > left) return undefined;
    left -= code.length;
    return highlightCode(code, lang);
  };
  return (text) => toHtml(renderMarkdown(text, ctx), highlight);
}
