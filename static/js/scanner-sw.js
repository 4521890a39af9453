// Keeps the check-in scanner usable without a network. Scanner pages and
// their scripts and styles come from the network when it answers, and from
// this cache when it does not; vendored libraries, whose paths carry their
// version, straight from the cache. API answers are never cached here: the
// page keeps the data it needs itself.

const CACHE = "huiwu-checkin-v1";
const OLD_CACHE_PREFIX = "huiwu-checkin-";
// A venue's overloaded Wi-Fi can hang for a long time before failing.
const NETWORK_TIMEOUT_MS = 5000;
const SCOPE_PATH = new URL("./", self.location).pathname;
const API_PATH = new URL("../api/", self.location).pathname;

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => event.waitUntil(activate()));

async function activate() {
  const names = await caches.keys();
  await Promise.all(
    names.filter((name) => name.startsWith(OLD_CACHE_PREFIX) && name !== CACHE).map((name) => caches.delete(name)),
  );
  await self.clients.claim();
}

self.addEventListener("message", (event) => {
  const message = event.data || {};
  if (message.type !== "remember" || !Array.isArray(message.urls)) {
    return;
  }
  const port = event.ports[0];
  event.waitUntil(
    remember(message.urls).then(
      (ok) => port && port.postMessage({ ok }),
      () => port && port.postMessage({ ok: false }),
    ),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith(API_PATH)) {
    return;
  }
  if (request.mode === "navigate" && !url.pathname.startsWith(SCOPE_PATH)) {
    return;
  }
  event.respondWith(isVersioned(request) ? cacheFirst(event) : networkFirst(event));
});

function isStorable(response) {
  return response.ok && response.type === "basic" && !response.redirected;
}

function isApi(url) {
  return new URL(url, self.location).pathname.startsWith(API_PATH);
}

// Vendored libraries carry their version in the path: they never change.
function isVersioned(request) {
  return new URL(request.url).pathname.includes("/vendor/");
}

async function remember(urls) {
  const cache = await caches.open(CACHE);
  const results = await Promise.all(urls.filter((url) => !isApi(url)).map((url) => store(cache, url)));
  return results.every(Boolean);
}

async function store(cache, url) {
  try {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-cache" });
    if (!isStorable(response)) {
      return false;
    }
    await cache.put(url, response);
    return true;
  } catch {
    return false;
  }
}

function cached(cache, request) {
  return cache.match(request, { ignoreVary: true });
}

function timeout(milliseconds) {
  return new Promise((resolve, reject) => setTimeout(() => reject(new Error("timeout")), milliseconds));
}

async function networkFirst(event) {
  const request = event.request;
  const cache = await caches.open(CACHE);
  const network = fetch(request).then(async (response) => {
    if (isStorable(response)) {
      await cache.put(request, response.clone());
    }
    return response;
  });
  event.waitUntil(network.catch(() => null));
  try {
    return await Promise.race([network, timeout(NETWORK_TIMEOUT_MS)]);
  } catch {
    return (await cached(cache, request)) || network;
  }
}

async function cacheFirst(event) {
  const cache = await caches.open(CACHE);
  const hit = await cached(cache, event.request);
  if (hit) {
    return hit;
  }
  const response = await fetch(event.request);
  if (isStorable(response)) {
    event.waitUntil(cache.put(event.request, response.clone()));
  }
  return response;
}
