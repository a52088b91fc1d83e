/// <reference lib="webworker" />

/**
 * The demo's service worker, built by vite-plugins/service-worker.ts into dist/sw.js with the build's file
 * list prepended as PRECACHE and its hash as VERSION. Installing it caches every file of the build: the
 * app, its workers, the wasm binaries, the bundled weights and samples. Afterwards the page loads and
 * runs with the network cut. Fingerprinted files are served from the cache; the page itself is asked of
 * the network first, so that a new build is picked up when online.
 *
 * Each response it serves carries COOP/COEP, so that the page is cross-origin isolated (and wasm runs
 * threaded) even on a static host that cannot send headers, from the second load on.
 */
declare const PRECACHE: readonly string[];
declare const VERSION: string;

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `convkit-web-${VERSION}`;

sw.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(PRECACHE.map((path) => new URL(path, sw.registration.scope).href));
    await sw.skipWaiting();
  })());
});

sw.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name.startsWith('convkit-web-') && name !== CACHE) await caches.delete(name);
    await sw.clients.claim();
  })());
});

function isolated(response: Response): Response {
  if (response.type !== 'basic' && response.type !== 'default') return response;
  if (response.headers.get('cross-origin-embedder-policy') === 'require-corp') return response;
  const headers = new Headers(response.headers);
  headers.set('cross-origin-opener-policy', 'same-origin');
  headers.set('cross-origin-embedder-policy', 'require-corp');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

async function respond(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  if (request.mode === 'navigate') {
    try {
      const response = await fetch(request);
      if (response.ok) await cache.put(new URL('./', sw.registration.scope).href, response.clone());
      return isolated(response);
    } catch {
      const cached = await cache.match(new URL('./', sw.registration.scope).href);
      if (cached) return isolated(cached);
      throw new Error(`offline, and the page is not cached: ${request.url}`);
    }
  }
  const cached = await cache.match(request, { ignoreSearch: true });
  return isolated(cached ?? (await fetch(request)));
}

sw.addEventListener('fetch', (event) => {
  if (new URL(event.request.url).origin !== sw.location.origin || event.request.method !== 'GET') return;
  event.respondWith(respond(event.request));
});
