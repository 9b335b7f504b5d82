// The request as websocketd describes it to a program it starts, in CGI variables
// (PATH_INFO, QUERY_STRING, HTTP_COOKIE, REMOTE_ADDR, HTTP_X_…): the one place they are
// read. A room handler and a page both build their requests from this. It runs at every
// handler's start, so it stays a few plain reads.

/** Every CGI variable websocketd set, request headers included (X-Remote-User → HTTP_X_REMOTE_USER). */
export type CgiEnv = Record<string, string | undefined>;

export interface CgiRequest {
  /** Upper case; GET when websocketd says nothing (a WebSocket upgrade is a GET). */
  method: string;
  /** The WebSocket's path (its last segment is the room). */
  pathInfo: string;
  /** As sent: not yet decoded or bounded. */
  query: string;
  cookie?: string;
  /** The Host header: what the browser used to reach us, port included. */
  host?: string;
  /** The peer: the client, or the reverse proxy in front of us. */
  remoteAddr?: string;
  /** X-Forwarded-For as received: believed only as far as configured proxies appended to it. */
  forwardedFor?: string;
  /** The browser reached us over HTTPS (directly, or a proxy said so in X-Forwarded-Proto). */
  https: boolean;
  /** NaN when the header is not a number. */
  contentLength: number;
  /** The media type alone, lower case, '' when absent. */
  contentType: string;
  /** Every CGI variable, for a header a setting names (trusted_user_header). */
  env: CgiEnv;
}

/** `X-Remote-User` → `HTTP_X_REMOTE_USER`, the variable websocketd puts the header in. */
export function cgiHeaderVar(header: string): string {
  return `HTTP_${header.trim().toUpperCase().replace(/-/g, '_')}`;
}

/** A request header by its HTTP name. */
export function cgiHeader(env: CgiEnv, header: string): string | undefined {
  return env[cgiHeaderVar(header)];
}

/** What comes before the first separator, trimmed and lower case: `https, http` → `https`. */
function firstPart(value: string | undefined, separator: string): string {
  return (value ?? '').split(separator, 1)[0]?.trim().toLowerCase() ?? '';
}

export function readCgi(env: CgiEnv): CgiRequest {
  return {
    method: (env.REQUEST_METHOD ?? 'GET').toUpperCase(),
    pathInfo: env.PATH_INFO ?? env.SCRIPT_NAME ?? '/',
    query: env.QUERY_STRING ?? '',
    cookie: env.HTTP_COOKIE,
    host: env.HTTP_HOST,
    remoteAddr: env.REMOTE_ADDR,
    forwardedFor: env.HTTP_X_FORWARDED_FOR,
    https: env.HTTPS === 'on' || firstPart(env.HTTP_X_FORWARDED_PROTO, ',') === 'https',
    contentLength: Number(env.CONTENT_LENGTH ?? '0'),
    contentType: firstPart(env.CONTENT_TYPE, ';'),
    env,
  };
}
