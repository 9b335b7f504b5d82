// The request as websocketd describes it to a program it starts, in CGI variables
// (PATH_INFO, REQUEST_URI, QUERY_STRING, HTTP_COOKIE, REMOTE_ADDR, SERVER_NAME, HTTP_X_…): the one place they are
// read. A room handler and a page both build their requests from this. It runs at every
// handler's start, so it stays a few plain reads.

/** Every CGI variable websocketd set, request headers included (X-Remote-User → HTTP_X_REMOTE_USER). */
export type CgiEnv = Record<string, string | undefined>;

export interface CgiRequest {
  /** Upper case; GET when websocketd says nothing (a WebSocket upgrade is a GET). */
  method: string;
  /** The WebSocket's path, already URL-decoded by websocketd: never decode it again. */
  pathInfo: string;
  /**
   * The path as sent, still URL-encoded (REQUEST_URI without its query): names are taken
   * from this and decoded once, since in the decoded path `%2F` is a `/` like any other.
   */
  rawPath?: string;
  /** As sent: not yet decoded or bounded. */
  query: string;
  cookie?: string;
  /** The Host header: what the browser used to reach us, port included unless 80 or 443. */
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

/**
 * websocketd has no HTTP_HOST: it splits the Host header into SERVER_NAME (IPv6 without
 * its brackets) and SERVER_PORT (80 or 443 when the header named none, so those two are
 * left out: behind a TLS proxy a bare name arrives as port 80).
 */
function hostOf(env: CgiEnv): string | undefined {
  if (env.HTTP_HOST) return env.HTTP_HOST;
  const name = env.SERVER_NAME;
  if (!name) return undefined;
  const bracketed = name.includes(':') && !name.startsWith('[') ? `[${name}]` : name;
  const port = env.SERVER_PORT;
  return port && port !== '80' && port !== '443' ? `${bracketed}:${port}` : bracketed;
}

export function readCgi(env: CgiEnv): CgiRequest {
  return {
    method: (env.REQUEST_METHOD ?? 'GET').toUpperCase(),
    pathInfo: env.PATH_INFO ?? env.SCRIPT_NAME ?? '/',
    rawPath: env.REQUEST_URI?.split('?', 1)[0],
    query: env.QUERY_STRING ?? '',
    cookie: env.HTTP_COOKIE,
    host: hostOf(env),
    remoteAddr: env.REMOTE_ADDR,
    forwardedFor: env.HTTP_X_FORWARDED_FOR,
    https: env.HTTPS === 'on' || firstPart(env.HTTP_X_FORWARDED_PROTO, ',') === 'https',
    contentLength: Number(env.CONTENT_LENGTH ?? '0'),
    contentType: firstPart(env.CONTENT_TYPE, ';'),
    env,
  };
}
