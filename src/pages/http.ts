// HTTP for CGI pages: the request (src/request.ts reads the CGI variables), and the
// response as the header block plus body a CGI program prints (websocketd reads the
// `Status:` header). Every response carries the same security headers.

import type { Config } from '../config.js';
import type { DataDir } from '../store/datadir.js';
import { type CgiEnv, type CgiRequest, readCgi } from '../request.js';
import { NameError, validateRoom } from '../store/names.js';

/** Longer query strings are refused before any parsing: no page needs more. */
export const MAX_QUERY_BYTES = 4096;
/** Form posts are a few fields; anything bigger is not ours. */
export const MAX_BODY_BYTES = 16 * 1024;

export interface PageRequest extends Omit<CgiRequest, 'query'> {
  /** Bounded (MAX_QUERY_BYTES) and decoded. */
  query: URLSearchParams;
  /** The urlencoded form of a POST; empty otherwise. */
  form: URLSearchParams;
}

export interface PageResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: string;
}

/** An answer other than 200 that the browser should see as a page: its message is shown. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  303: 'See Other',
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  410: 'Gone',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Pages need no script and no third-party anything. Inline style *attributes* are allowed
 * (style-src-attr) because chatter colours are data; they are validated #rrggbb values.
 */
export const BASE_CSP: Record<string, string> = {
  'default-src': "'none'",
  'style-src': "'self'",
  'style-src-attr': "'unsafe-inline'",
  'img-src': "'self'",
  // The web app manifest (htdocs/manifest.json), linked from every page.
  'manifest-src': "'self'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
  'base-uri': "'none'",
};

export function cspHeader(extra: Record<string, string> = {}): string {
  return Object.entries({ ...BASE_CSP, ...extra })
    .map(([k, v]) => `${k} ${v}`)
    .join('; ');
}

export function securityHeaders(csp: Record<string, string> = {}): Record<string, string> {
  return {
    'Content-Security-Policy': cspHeader(csp),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
  };
}

export interface HtmlOptions {
  status?: number;
  headers?: Record<string, string | string[]>;
  /** Extra CSP directives (the chat page needs script and WebSocket). */
  csp?: Record<string, string>;
  /** Pages with a CSRF token or a user's data must not be cached by shared caches. */
  cache?: string;
}

export function htmlResponse(body: string, opts: HtmlOptions = {}): PageResponse {
  return {
    status: opts.status ?? 200,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      // The header names who you are: never from a shared cache, always revalidated.
      'Cache-Control': opts.cache ?? 'private, no-cache',
      ...securityHeaders(opts.csp),
      ...opts.headers,
    },
    body,
  };
}

/** After a POST, or to a page the request names: relative, so a proxy prefix is kept. */
export function redirect(location: string, headers: Record<string, string | string[]> = {}): PageResponse {
  return {
    status: 303,
    headers: { Location: location, 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', ...securityHeaders(), ...headers },
    body: `See ${location}\n`,
  };
}

/** The CGI response: headers, a blank line, the body. */
export function serializeResponse(r: PageResponse): string {
  const lines = [`Status: ${r.status} ${STATUS_TEXT[r.status] ?? ''}`.trimEnd()];
  for (const [name, value] of Object.entries(r.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      // A header value with a line break would let data forge headers: never emitted.
      if (/[\r\n]/.test(v)) throw new Error(`header ${name} has a line break`);
      lines.push(`${name}: ${v}`);
    }
  }
  return `${lines.join('\r\n')}\r\n\r\n${r.body}`;
}

/** A single parameter: absent or empty → undefined; repeated → the first. */
export function param(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  return v === null || v === '' ? undefined : v;
}

/** The room a request names, validated: a name that cannot be a room is a 400 that says why. */
export function requestedRoom(raw: string): string {
  try {
    return validateRoom(raw);
  } catch (e) {
    if (e instanceof NameError) throw new HttpError(400, `That name cannot be a room: ${e.message}.`);
    throw e;
  }
}

/**
 * The request from CGI variables. `readBody` is only called for a POST with a body of
 * acceptable size, so GET page views never touch stdin.
 */
export function requestFromCgi(env: CgiEnv, readBody: (length: number) => Buffer): PageRequest {
  const cgi = readCgi(env);
  if (Buffer.byteLength(cgi.query) > MAX_QUERY_BYTES) throw new HttpError(414, 'That address is too long.');
  let form = new URLSearchParams();
  if (cgi.method === 'POST') {
    const length = cgi.contentLength;
    if (!Number.isSafeInteger(length) || length < 0) throw new HttpError(400, 'Bad Content-Length.');
    if (length > MAX_BODY_BYTES) throw new HttpError(413, 'That form is too large.');
    if (length > 0 && cgi.contentType !== 'application/x-www-form-urlencoded')
      throw new HttpError(415, 'Forms must be sent as application/x-www-form-urlencoded.');
    if (length > 0) form = new URLSearchParams(readBody(length).toString('utf8'));
  }
  return { ...cgi, query: new URLSearchParams(cgi.query), form };
}

/** Only these methods; HEAD is answered like GET (websocketd drops the body). */
export function allowMethods(req: PageRequest, ...allowed: string[]): void {
  const ok = req.method === 'HEAD' ? allowed.includes('GET') : allowed.includes(req.method);
  if (!ok) throw new HttpError(405, `This page does not take ${req.method} requests.`, { Allow: allowed.join(', ') });
}

/** What every page gets besides the request: the config read once, where the data is, the time. */
export interface PageContext {
  cfg: Config;
  d: DataDir;
  now: Date;
}

export type PageHandler = (req: PageRequest, ctx: PageContext) => PageResponse | Promise<PageResponse>;
