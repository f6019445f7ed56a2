/* global PRECACHE */
// The site's service worker. `PRECACHE` ({ version, urls }) is prepended at build time. URLs are relative
// to the worker's own location, so the same code works at / and under a sub-path such as /moe-lab/.

const PREFIX = 'moe-lab-site-';
const CACHE = PREFIX + PRECACHE.version;
const scope = self.registration.scope;
const precached = new Set(PRECACHE.urls.map((url) => new URL(url, scope).href));

self.addEventListener('install', (event) => {
  // `cache: 'reload'` skips the HTTP cache, so a new version never precaches an old file.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll([...precached].map((url) => new Request(url, { cache: 'reload' })))),
  );
});

self.addEventListener('activate', (event) => {
  // Only this worker's own old versions: the engine's checkpoint cache (moe-lab-checkpoints-*) stays.
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith(PREFIX) && n !== CACHE).map((n) => caches.delete(n))),
      )
      .then(() => self.clients.claim()),
  );
});

// The page asks for this when the reader accepts the update it was offered.
self.addEventListener('message', (event) => {
  if (event.data === 'skip-waiting') self.skipWaiting();
});

/**
 * The precached URL a request stands for: pages without their query (widget state), `lessons/x` as
 * `lessons/x/`, and files without a cache-busting query (Pagefind asks for `pagefind-entry.json?ts=…`;
 * the precached copy is the one that matches the precached index).
 */
function precachedUrl(request) {
  const url = new URL(request.url);
  url.hash = '';
  if (precached.has(url.href)) return url.href;
  url.search = '';
  if (precached.has(url.href)) return url.href;
  if (request.mode === 'navigate' && !url.pathname.endsWith('/') && precached.has(url.href + '/'))
    return url.href + '/';
  return null;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET' || !request.url.startsWith(scope)) return;
  const url = precachedUrl(request);
  if (url) {
    event.respondWith(caches.match(url, { cacheName: CACHE }).then((hit) => hit ?? fetch(request)));
    return;
  }
  // Anything else (checkpoint weights, which the engine caches itself) goes to the network; a page the
  // build does not have gets the site's own 404 page when the network is down.
  if (request.mode === 'navigate') {
    event.respondWith(
      fetch(request).catch(() =>
        caches.match(new URL('404.html', scope).href, { cacheName: CACHE }).then((hit) => hit ?? Response.error()),
      ),
    );
  }
});
