// The service worker (bundled by bin/build.mjs to htdocs/sw.js: a worker's scope is its
// own directory, and websocketd's static server cannot send Service-Worker-Allowed, so it
// sits at the top of htdocs, beside the pages). It keeps the app shell, so the chat page
// of a room opened before loads with the server down and its script shows "reconnecting":
//   - the shell files (SHELL_FILES: app.js, the CSS, emoticons, icons, manifest, offline
//     page), fetched at install under a cache named after their content (SHELL_VERSION);
//   - the chat page of each room, network first: the cached copy only while the server
//     cannot be reached; a refusal (403, 404) drops the copy;
//   - for any other page of the site, offline only, the static offline page.
// Never: WebSockets (a worker never sees them), POSTs, history, lists, settings.

// A module, so that this `self` is the worker's own rather than the global one.
export {};
declare const self: ServiceWorkerGlobalScope;
/** Put in by bin/build.mjs: a digest of the shell files, and their paths relative to this file. */
declare const SHELL_VERSION: string;
declare const SHELL_FILES: string[];

const PREFIX = 'tailroom-shell-';
const CACHE = `${PREFIX}${SHELL_VERSION}`;
const here = (path: string) => new URL(path, self.location.href).href;
const shell = new Set(SHELL_FILES.map(here));
const chatPath = new URL('chat', self.location.href).pathname;
const offlinePage = here('offline.html');

self.addEventListener('install', (ev) => {
  ev.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Past the HTTP cache: a heuristic freshness could pair an old file with a new version.
      await cache.addAll([...shell].map((url) => new Request(url, { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === 'navigate') {
    if (url.pathname === chatPath && url.searchParams.has('room')) ev.respondWith(chatPage(req));
    else ev.respondWith(fetch(req).catch(() => offline()));
    return;
  }
  url.hash = '';
  if (shell.has(url.href)) ev.respondWith(caches.match(url.href, { cacheName: CACHE }).then((hit) => hit ?? fetch(req)));
});

/** The room's chat page from the server, kept for later; the kept one only when the server is unreachable. */
async function chatPage(req: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const key = req.url.replace(/#.*/, '');
  let res: Response;
  try {
    res = await fetch(req);
  } catch {
    return (await cache.match(key)) ?? offline();
  }
  if (res.status === 200 && !res.redirected) await cache.put(key, res.clone());
  else await cache.delete(key);
  return res;
}

async function offline(): Promise<Response> {
  return (await caches.match(offlinePage, { cacheName: CACHE })) ?? Response.error();
}

/** A notification shown by the page (src/web/notify.ts): back to the window of its room. */
self.addEventListener('notificationclick', (ev) => {
  ev.notification.close();
  const target = typeof ev.notification.data?.url === 'string' ? (ev.notification.data.url as string) : here('rooms');
  ev.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((w) => w.url === target) ?? windows.find((w) => new URL(w.url).pathname === chatPath);
      if (open) await open.focus();
      else await self.clients.openWindow(target);
    })(),
  );
});
