// A chat line → DOM, safely: text stays text (Text nodes only), emoticons become images,
// and the original's inserts keep its rule:
//   {image}URL  a static image file of this site is shown inline (never one of the chat's
//               own pages: isStaticImage); one from elsewhere is a link with a warning
//               (no third party learns who reads the room);
//   {link}URL   a link; one leaving the site is marked and asks before it opens.
// Bare http(s) URLs are links by the same rule. Only http: and https: are ever used:
// javascript:, data:, blob: and the rest stay plain text.

import { isStaticImage } from '../shared/pages.js';
import { el } from './dom.js';
import { EMOTICON_PATTERN, emoticon } from './emoticons.js';

export interface InsertContext {
  /** The page's URL: relative URLs resolve against it, same-site means its origin. */
  base: string;
  /** Where the emoticon SVGs are (htdocs/emoticons/). */
  emoticons: string;
}

const TOKEN = /\{(image|link)\}(\S+)|\bhttps?:\/\/[^\s<>"]+/gi;

/** A URL the page may use: absolute http(s), resolved against the page; else undefined. */
export function webUrl(raw: string, base: string): URL | undefined {
  let u: URL;
  try {
    u = new URL(raw, base);
  } catch {
    return undefined;
  }
  return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
}

export function isSameSite(u: URL, base: string): boolean {
  return u.origin === new URL(base).origin;
}

/** Trailing punctuation after a bare URL belongs to the sentence. */
function splitTrailing(url: string): [string, string] {
  const m = /[.,;:!?)\]'"]+$/.exec(url);
  return m ? [url.slice(0, m.index), m[0]] : [url, ''];
}

function externalLink(u: URL, text: string, what: string): HTMLAnchorElement {
  return el(
    'a',
    {
      href: u.href,
      class: 'external',
      target: '_blank',
      rel: 'noopener noreferrer nofollow',
      title: `${what} on another site: ${u.host}`,
      'data-host': u.host,
    },
    text,
  );
}

function link(u: URL, ctx: InsertContext, text: string): HTMLAnchorElement {
  if (isSameSite(u, ctx.base)) return el('a', { href: u.href, target: '_blank', rel: 'noopener' }, text);
  return externalLink(u, text, 'link');
}

/** The path of `u` below the chat's root (the page's directory), or the whole path when outside it. */
function pathInChat(u: URL, base: string): string {
  const root = new URL('.', base).pathname;
  return u.pathname.startsWith(root) ? u.pathname.slice(root.length) : u.pathname.replace(/^\//, '');
}

function image(u: URL, ctx: InsertContext): HTMLElement {
  if (!isSameSite(u, ctx.base)) return externalLink(u, `image at ${u.host}: ${u.href}`, 'image');
  if (!isStaticImage(pathInChat(u, ctx.base), u.search)) return link(u, ctx, u.href);
  return el(
    'a',
    { href: u.href, target: '_blank', rel: 'noopener', class: 'insert-image' },
    el('img', { src: u.href, alt: `image: ${u.pathname.split('/').pop() || u.href}`, loading: 'lazy' }),
  );
}

function emoticonsInto(parent: DocumentFragment, text: string, ctx: InsertContext): void {
  let last = 0;
  for (const m of text.matchAll(EMOTICON_PATTERN)) {
    const [, lead = '', code = ''] = m;
    const e = emoticon(code);
    if (!e || m.index === undefined) continue;
    const at = m.index + lead.length;
    if (at > last) parent.append(text.slice(last, at));
    parent.append(
      el('img', { class: 'emoticon', src: new URL(`${e.file}.svg`, ctx.emoticons).href, alt: code, title: `${code} ${e.label}`, width: 20, height: 20 }),
    );
    last = at + code.length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

export function renderText(text: string, ctx: InsertContext): DocumentFragment {
  const out = document.createDocumentFragment();
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (m.index === undefined) continue;
    const [whole, kind, target] = m;
    let node: Node | undefined;
    let trailing = '';
    if (kind) {
      const u = target === undefined ? undefined : webUrl(target, ctx.base);
      if (u) node = kind.toLowerCase() === 'image' ? image(u, ctx) : link(u, ctx, u.href);
    } else {
      const [url, rest] = splitTrailing(whole);
      const u = webUrl(url, ctx.base);
      if (u) {
        node = link(u, ctx, url);
        trailing = rest;
      }
    }
    if (!node) continue; // not a usable URL: it stays in the text around it
    emoticonsInto(out, text.slice(last, m.index), ctx);
    out.append(node);
    if (trailing) out.append(trailing);
    last = m.index + whole.length;
  }
  emoticonsInto(out, text.slice(last), ctx);
  return out;
}
