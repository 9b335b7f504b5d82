// Long lists on pages (the room list, the history index) come a page at a time, as
// ?page=N: the number checked before any listing is done, then the page's slice, the
// links either side and a "page N of M" line.

import { HttpError, param } from './http.js';

/** The page a request asks for, 1 when it names none; a 400 for anything but a whole number from 1. */
export function pageAsked(query: URLSearchParams): number {
  const raw = param(query, 'page') ?? '1';
  if (!/^[1-9]\d{0,5}$/.test(raw)) throw new HttpError(400, 'The page number (?page=) must be a whole number from 1.');
  return Number(raw);
}

export interface Paged<T> {
  items: T[];
  /** "page 2 of 5"; undefined when everything fits on one page. */
  position?: string;
  prevHref?: string;
  nextHref?: string;
}

export interface PageOf {
  perPage: number;
  /** The page's own address, relative (a proxy prefix is kept): `rooms`, `history`. */
  path: string;
  /** What the list holds, plural, for the 404 past its end. */
  noun: string;
}

/** Page `pageNo` of `all`; a 404 past the last page (an empty list still has one). */
export function paginate<T>(all: readonly T[], pageNo: number, { perPage, path, noun }: PageOf): Paged<T> {
  const pages = Math.max(1, Math.ceil(all.length / perPage));
  if (pageNo > pages) throw new HttpError(404, `There are only ${pages} pages of ${noun}.`);
  return {
    items: all.slice((pageNo - 1) * perPage, pageNo * perPage),
    position: pages > 1 ? `page ${pageNo} of ${pages}` : undefined,
    prevHref: pageNo > 1 ? `${path}?page=${pageNo - 1}` : undefined,
    nextHref: pageNo < pages ? `${path}?page=${pageNo + 1}` : undefined,
  };
}
