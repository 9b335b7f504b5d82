// Message text on the pages: the chat page's renderer (src/shared/markdown.ts) to HTML,
// with code blocks highlighted here, on the server: the pages run no script.

import { highlightCode } from '../shared/highlight.js';
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

/** Text -> HTML for a page's template (inserted unescaped: everything in it is escaped here). */
export function formatter(req: Pick<PageRequest, 'https' | 'host' | 'rawPath' | 'pathInfo'>, hits?: RegExp): (text: string) => string {
  const base = pageBase(req);
  const ctx: RenderContext = { base, emoticons: new URL('emoticons/', base).href, hits };
  let left = PAGE_HIGHLIGHT_CHARS;
  const highlight: Highlighter = (code, lang) => {
    if (code.length > left) return undefined;
    left -= code.length;
    return highlightCode(code, lang);
  };
  return (text) => toHtml(renderMarkdown(text, ctx), highlight);
}
