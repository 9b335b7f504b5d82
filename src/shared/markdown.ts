// A message's text as formatted content, one rule for the chat page (src/web/inserts.ts
// turns it into DOM) and the history pages (toHtml here): a small Markdown subset (code
// spans, fenced code, bold, italic, quotes, line breaks), autolinks, the original's inserts
// and emoticons. markdown-it only parses, with raw HTML and entities off; the result is a
// tree of a few known tags whose attributes only this module sets, so nothing a chatter
// writes can become markup, whatever the parser makes of it.
//   {image}URL  a static image file of this site is shown inline (never one of the chat's
//               own pages: isStaticImage); one from elsewhere is a link with a warning
//               (no third party learns who reads the room);
//   {link}URL   a link; one leaving the site is marked (class external) and warned about.
// Bare http(s) and mailto: URLs are links by the same rule; every other scheme stays text.

import MarkdownIt, { type Token } from 'markdown-it';
import { EMOTICON_PATTERN, emoticon } from './emoticons.js';
import { isStaticImage } from './pages.js';

// URL is global in Node and every browser; ES2022's lib (this folder's) does not declare it.
interface Url {
  readonly href: string;
  readonly protocol: string;
  readonly origin: string;
  readonly host: string;
  readonly pathname: string;
  readonly search: string;
}
declare const URL: { new (url: string, base?: string): Url };

export type Tag = 'strong' | 'em' | 'code' | 'pre' | 'blockquote' | 'br' | 'a' | 'img' | 'mark';
export interface Element {
  tag: Tag;
  attrs: Record<string, string>;
  children: MdNode[];
  /** On the code of a fenced block that names a language: what a highlighter may use. */
  lang?: string;
}
/** A string is text, never markup. */
export type MdNode = string | Element;

export interface RenderContext {
  /** The page's URL: relative URLs resolve against it, same-site means its origin. */
  base: string;
  /** Where the emoticon SVGs are (htdocs/emoticons/). */
  emoticons: string;
  /** Search hits: parts of the text it matches are marked (global flag). */
  hits?: RegExp;
}

// 'zero' has paragraphs and text only; the subset is switched on by name. No headings,
// lists, tables, images, links, raw HTML, entities or indented code: in a chat, "# 1",
// "1." and four leading spaces are just text.
const md = new MarkdownIt('zero', { html: false, linkify: false, breaks: true });
md.enable(['newline', 'escape', 'backticks', 'emphasis', 'blockquote', 'fence']);
// Quotes inside quotes end here: the rest stays text (zero's limit is 20).
md.options.maxNesting = 8;

/** Fence info strings name a language by a short word; anything else names none. */
const LANG = /^[a-z0-9][a-z0-9+#-]{0,19}$/i;

function node(tag: Tag, attrs: Record<string, string> = {}, ...children: MdNode[]): Element {
  return { tag, attrs, children };
}

// ---- links, images, emoticons -----------------------------------------------------------

const TOKEN = /\{(image|link)\}(\S+)|\bhttps?:\/\/[^\s<>"]+|\bmailto:[^\s<>"@]+@[^\s<>"]+/gi;

/** A URL a page may use: absolute http(s) or mailto, resolved against the page; else undefined. */
export function webUrl(raw: string, base: string): Url | undefined {
  let u: Url;
  try {
    u = new URL(raw, base);
  } catch {
    return undefined;
  }
  return u.protocol === 'http:' || u.protocol === 'https:' || u.protocol === 'mailto:' ? u : undefined;
}

// A page renders many messages against one base: its origin is parsed once.
let originOf = { base: '', origin: '' };
export function isSameSite(u: Url, base: string): boolean {
  if (originOf.base !== base) originOf = { base, origin: new URL(base).origin };
  return u.protocol !== 'mailto:' && u.origin === originOf.origin;
}

/** Trailing punctuation after a bare URL belongs to the sentence. */
function splitTrailing(url: string): [string, string] {
  const m = /[.,;:!?)\]'"]+$/.exec(url);
  return m ? [url.slice(0, m.index), m[0]] : [url, ''];
}

function externalLink(u: Url, children: MdNode[], what: string): Element {
  const where = u.protocol === 'mailto:' ? 'to an e-mail address' : `on another site: ${u.host}`;
  return node(
    'a',
    { href: u.href, class: 'external', target: '_blank', rel: 'noopener noreferrer nofollow', title: `${what} ${where}`, 'data-host': u.host },
    ...children,
  );
}

function link(u: Url, ctx: RenderContext, children: MdNode[]): Element {
  if (isSameSite(u, ctx.base)) return node('a', { href: u.href, target: '_blank', rel: 'noopener' }, ...children);
  return externalLink(u, children, 'link');
}

/** The path of `u` below the chat's root (the page's directory), or the whole path when outside it. */
function pathInChat(u: Url, base: string): string {
  const root = new URL('.', base).pathname;
  return u.pathname.startsWith(root) ? u.pathname.slice(root.length) : u.pathname.replace(/^\//, '');
}

function image(u: Url, ctx: RenderContext): Element {
  if (!isSameSite(u, ctx.base)) return externalLink(u, [`image at ${u.host}: ${u.href}`], 'image');
  if (!isStaticImage(pathInChat(u, ctx.base), u.search)) return link(u, ctx, [u.href]);
  return node(
    'a',
    { href: u.href, target: '_blank', rel: 'noopener', class: 'insert-image' },
    node('img', { src: u.href, alt: `image: ${u.pathname.split('/').pop() || u.href}`, loading: 'lazy' }),
  );
}

/** Text with the search hits in it marked. */
function marked(text: string, hits: RegExp | undefined): MdNode[] {
  if (!hits || text === '') return text === '' ? [] : [text];
  const out: MdNode[] = [];
  let at = 0;
  for (const m of text.matchAll(hits)) {
    if (m[0].length === 0) continue;
    if (m.index > at) out.push(text.slice(at, m.index));
    out.push(node('mark', {}, m[0]));
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(text.slice(at));
  return out;
}

function withEmoticons(text: string, ctx: RenderContext, out: MdNode[]): void {
  let last = 0;
  for (const m of text.matchAll(EMOTICON_PATTERN)) {
    const [, lead = '', code = ''] = m;
    const e = emoticon(code);
    if (!e) continue;
    const at = m.index + lead.length;
    out.push(...marked(text.slice(last, at), ctx.hits));
    out.push(
      node('img', { class: 'emoticon', src: new URL(`${e.file}.svg`, ctx.emoticons).href, alt: code, title: `${code} ${e.label}`, width: '20', height: '20' }),
    );
    last = at + code.length;
  }
  out.push(...marked(text.slice(last), ctx.hits));
}

/** Plain text (outside code): links, images and emoticons. */
function inlineText(text: string, ctx: RenderContext, out: MdNode[]): void {
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    const [whole, kind, target] = m;
    let found: Element | undefined;
    let trailing = '';
    if (kind) {
      const u = target === undefined ? undefined : webUrl(target, ctx.base);
      if (u && u.protocol !== 'mailto:') found = kind.toLowerCase() === 'image' ? image(u, ctx) : link(u, ctx, marked(u.href, ctx.hits));
    } else {
      const [url, rest] = splitTrailing(whole);
      const u = webUrl(url, ctx.base);
      if (u) {
        found = link(u, ctx, marked(url, ctx.hits));
        trailing = rest;
      }
    }
    if (!found) continue; // not a usable URL: it stays in the text around it
    withEmoticons(text.slice(last, m.index), ctx, out);
    out.push(found);
    if (trailing) out.push(...marked(trailing, ctx.hits));
    last = m.index + whole.length;
  }
  withEmoticons(text.slice(last), ctx, out);
}

// ---- the tree ---------------------------------------------------------------------------

function inline(tokens: Token[], ctx: RenderContext, out: MdNode[]): void {
  const stack: MdNode[][] = [out];
  const top = () => stack[stack.length - 1] ?? out;
  for (const t of tokens) {
    switch (t.type) {
      case 'strong_open':
      case 'em_open': {
        const e = node(t.type === 'strong_open' ? 'strong' : 'em');
        top().push(e);
        stack.push(e.children);
        break;
      }
      case 'strong_close':
      case 'em_close':
        if (stack.length > 1) stack.pop();
        break;
      case 'code_inline':
        top().push(node('code', {}, ...marked(t.content, ctx.hits)));
        break;
      case 'softbreak':
      case 'hardbreak':
        top().push(node('br'));
        break;
      case 'text':
        inlineText(t.content, ctx, top());
        break;
      default:
        // Nothing else is enabled; should a parser update bring some, its text stays text.
        if (t.content) top().push(...marked(t.content, ctx.hits));
    }
  }
}

/**
 * The text as a list of nodes, inline where it is one paragraph; paragraphs after the
 * first start on a new line; quotes and code blocks are blocks.
 */
export function renderMarkdown(text: string, ctx: RenderContext): MdNode[] {
  const out: MdNode[] = [];
  const stack: MdNode[][] = [out];
  const top = () => stack[stack.length - 1] ?? out;
  // A paragraph right after another (in the same container) starts on a new line.
  let afterParagraph = false;
  for (const t of md.parse(text, {})) {
    switch (t.type) {
      case 'paragraph_open':
        if (afterParagraph) top().push(node('br'));
        break;
      case 'paragraph_close':
        afterParagraph = true;
        break;
      case 'inline':
        inline(t.children ?? [], ctx, top());
        break;
      case 'blockquote_open': {
        const e = node('blockquote');
        top().push(e);
        stack.push(e.children);
        afterParagraph = false;
        break;
      }
      case 'blockquote_close':
        if (stack.length > 1) stack.pop();
        afterParagraph = false;
        break;
      case 'fence': {
        const lang = t.info.trim().split(/\s+/, 1)[0] ?? '';
        const code = node('code', {}, ...marked(t.content.replace(/\n$/, ''), ctx.hits));
        if (LANG.test(lang)) {
          code.lang = lang.toLowerCase();
          code.attrs.class = `language-${code.lang}`;
        }
        top().push(node('pre', {}, code));
        afterParagraph = false;
        break;
      }
      default:
        if (t.content) top().push(...marked(t.content, ctx.hits));
    }
  }
  return out;
}

// ---- HTML, for the pages ----------------------------------------------------------------

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/**
 * What a highlighter makes of a code block: HTML of escaped text in spans with classes
 * only (highlight.js), or undefined to show the code as it is.
 */
export type Highlighter = (code: string, lang: string) => string | undefined;

export function toHtml(nodes: MdNode[], highlight?: Highlighter): string {
  let html = '';
  for (const n of nodes) {
    if (typeof n === 'string') {
      html += escapeHtml(n);
      continue;
    }
    let attrs = '';
    for (const [k, v] of Object.entries(n.attrs)) attrs += ` ${k}="${escapeHtml(v)}"`;
    if (n.tag === 'br' || n.tag === 'img') {
      html += `<${n.tag}${attrs}>`;
      continue;
    }
    const [only] = n.children;
    const lit = n.lang && highlight && n.children.length === 1 && typeof only === 'string' ? highlight(only, n.lang) : undefined;
    if (lit !== undefined) attrs = attrs.replace(/ class="/, ' class="hljs ');
    html += `<${n.tag}${attrs}>${lit ?? toHtml(n.children, highlight)}</${n.tag}>`;
  }
  return html;
}
