/* Linli's service worker (scope "/"). VERSION, PRECACHE and OUTBOX_URL are written above this
   line by the server (api/web/assets.py): VERSION changes whenever any asset or template does.

   - static assets (fingerprinted, immutable): cache first, precached on install;
   - pages: network first; the last good copy of every page visited is kept and shown offline,
     marked as such (data-served="cache"); an unknown page offline gets the offline page;
   - the outbox (sign-ups, cancellations, check-ins made offline) is replayed on Background
     Sync, and by the pages on load / online / visibilitychange.
   Caches are versioned; on activate, pages kept by an older version are fetched again into the
   new cache (so no page is shown with another version's assets), then old caches are deleted. */
importScripts(OUTBOX_URL);

const STATIC_CACHE = `linli-static-${VERSION}`;
const PAGES_CACHE = `linli-pages-${VERSION}`;
const NETWORK_TIMEOUT_MS = 6000;
const MAX_PAGES = 60;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(STATIC_CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting())
  );
});

async function carryOverPages() {
  const fresh = await caches.open(PAGES_CACHE);
  for (const name of await caches.keys()) {
    if (!name.startsWith("linli-pages-") || name === PAGES_CACHE) continue;
    const old = await caches.open(name);
    for (const request of (await old.keys()).slice(0, MAX_PAGES)) {
      try {
        const response = await fetch(request, { credentials: "same-origin" });
        if (cacheable(response)) await fresh.put(request, response);
      } catch { /* offline: that page will be kept again on the next visit */ }
    }
  }
}

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    await carryOverPages();
    for (const name of await caches.keys()) {
      if (name.startsWith("linli-") && name !== STATIC_CACHE && name !== PAGES_CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

function cacheable(response) {
  return response && response.ok && !response.redirected &&
    (response.headers.get("content-type") || "").startsWith("text/html");
}

async function fromCache(request) {
  const pages = await caches.open(PAGES_CACHE);
  const kept = await pages.match(request, { ignoreVary: true });
  if (kept) return markCached(kept);
  const offline = await caches.match("/offline", { ignoreVary: true });
  if (offline) return markCached(offline);
  return new Response("offline", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } });
}

async function markCached(response) {
  const html = (await response.text()).replace('data-served="network"', 'data-served="cache"');
  return new Response(html, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function page(request) {
  const network = fetch(request).then(async (response) => {
    if (cacheable(response)) {
      const pages = await caches.open(PAGES_CACHE);
      await pages.put(request, response.clone());
    }
    return response;
  });
  const timeout = new Promise((resolve) => setTimeout(resolve, NETWORK_TIMEOUT_MS, null));
  try {
    const response = await Promise.race([network, timeout]);
    if (response) return response;
    const pages = await caches.open(PAGES_CACHE);
    if (await pages.match(request, { ignoreVary: true })) return fromCache(request); // weak signal
    return await network;
  } catch {
    return fromCache(request);
  }
}

async function asset(request) {
  const cached = await caches.match(request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(STATIC_CACHE)).put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(asset(request));
  } else if (request.mode === "navigate" || (request.headers.get("accept") || "").includes("text/html")) {
    if (url.pathname.startsWith("/graphql") || url.pathname.endsWith(".ics") || url.pathname.endsWith(".csv")) return;
    event.respondWith(page(request));
  }
});

async function replay() {
  await self.LinliOutbox.flush();
  for (const client of await self.clients.matchAll({ type: "window" })) client.postMessage({ type: "outbox" });
}

self.addEventListener("sync", (event) => {
  if (event.tag === "linli-outbox") event.waitUntil(replay());
});

/* A page opened before this worker controlled it asks to be kept too. */
async function keep(url) {
  const pages = await caches.open(PAGES_CACHE);
  if (new URL(url).origin !== self.location.origin || (await pages.match(url, { ignoreVary: true }))) return;
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (cacheable(response)) await pages.put(url, response);
}

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "flush") event.waitUntil(replay());
  if (data.type === "keep" && typeof data.url === "string") event.waitUntil(keep(data.url).catch(() => {}));
});
