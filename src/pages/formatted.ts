// Message text on the pages: the chat page's renderer (src/shared/markdown.ts) to HTML,
// with code blocks highlighted here, on the server: the pages run no script.

import { highlightCode } from '../shared/highlight.js';
import { type RenderContext, renderMarkdown, toHtml } from '../shared/markdown.js';
import type { PageRequest } from './http.js';

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
  return (text) => toHtml(renderMarkdown(text, ctx), highlightCode);
}
