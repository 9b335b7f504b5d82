// The shared frame of every page: head, menu (List · History · Settings), who you are,
// and the error page. Templates escape by default; only the rendered body goes in raw.

import type { UserSummary } from '../shared/protocol.js';
import { type HtmlOptions, type PageResponse, HttpError, STATUS_TEXT, htmlResponse } from './http.js';
import { hbs, templates } from './templates.js';

for (const [name, t] of Object.entries(templates)) if (name.startsWith('_')) hbs.registerPartial(name.slice(1), t);

export type MenuKey = 'rooms' | 'history' | 'settings';

const MENU: { key: MenuKey; href: string; label: string }[] = [
  { key: 'rooms', href: 'rooms', label: 'List' },
  { key: 'history', href: 'history', label: 'History' },
  { key: 'settings', href: 'settings', label: 'Settings' },
];

export interface Layout {
  title: string;
  /** A class on <body>, for page-specific CSS. */
  page: string;
  current?: MenuKey;
  user?: UserSummary;
  /** Same-origin scripts and extra stylesheets (the chat page's). */
  scripts?: string[];
  stylesheets?: string[];
}

export function render(template: string, view: unknown, layout: Layout): string {
  const t = templates[template];
  if (!t) throw new Error(`no template named ${template}`);
  const frame = templates.layout;
  if (!frame) throw new Error('no layout template');
  return frame({ ...layout, body: t(view), menu: MENU.map((m) => ({ ...m, current: m.key === layout.current })) });
}

export function page(template: string, view: unknown, layout: Layout, opts: HtmlOptions = {}): PageResponse {
  return htmlResponse(render(template, view, layout), opts);
}

export function errorPage(status: number, message: string, extraHeaders: Record<string, string> = {}): PageResponse {
  const statusText = STATUS_TEXT[status] ?? 'Error';
  return page(
    'error',
    { status, statusText, message },
    { title: `${status} ${statusText}`, page: 'error' },
    { status, headers: extraHeaders, cache: 'no-store' },
  );
}

/** Any failure → a page: an HttpError says what was wrong; anything else says nothing. */
export function failurePage(e: unknown, log: (line: string) => void): PageResponse {
  if (e instanceof HttpError) return errorPage(e.status, e.message, e.headers);
  log(`tailroom page: ${(e as Error)?.stack ?? String(e)}`);
  return errorPage(500, 'Something went wrong on the server. It has been logged.');
}
