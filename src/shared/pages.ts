// The chat's own pages (handlers/pages/*.ts: CGI programs, each run per request) and the
// rule for what a message may make every reader's browser fetch by itself.

/** The CGI pages, served beside the static files under the same prefix. */
export const PAGE_NAMES: readonly string[] = ['chat', 'history', 'join', 'rooms', 'settings'];

const PAGES = new Set(PAGE_NAMES);
const IMAGE_FILE = /\.(?:png|jpe?g|gif|webp|avif|svg|ico|bmp)$/i;

/**
 * Whether a same-site image may be shown inline (fetched by every reader, unasked): only
 * a static image file. `path` is relative to the chat's root (the chat page's directory).
 * An image pointing at a page would run that page in every reader's browser, a search of
 * the history for instance, so: no query string, a name ending in an image extension, and
 * no segment named like a page, in any case (websocketd runs `history` for
 * `history/x.png` too). Anything else is shown as a link.
 */
export function isStaticImage(path: string, query: string): boolean {
  if (query !== '' || !IMAGE_FILE.test(path)) return false;
  return path.split('/').every((segment) => {
    let s: string;
    try {
      s = decodeURIComponent(segment);
    } catch {
      return false;
    }
    return !PAGES.has(s.toLowerCase()) && !s.includes('/');
  });
}
