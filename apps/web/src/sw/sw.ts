/// <reference lib="webworker" />
// The app-shell service worker. Built by build/service-worker-plugin.ts: type-stripped (so no
// imports here), the precache manifest inlined, emitted as /sw.js.
//
// Strategy: navigations (`/`, `/d/<id>`) go to the network first and fall back to the cached shell,
// so a document opened before opens again with no network (its content comes from IndexedDB);
// hashed files under /assets/ never change, so they are served from the cache first. The relay's
// live endpoints are never touched.

interface PrecacheManifest {
  version: string
  urls: string[]
}

declare const __PRECACHE_MANIFEST__: PrecacheManifest

const worker = self as unknown as ServiceWorkerGlobalScope
const manifest: PrecacheManifest = __PRECACHE_MANIFEST__
const CACHE_PREFIX = 'collab-shell-'
const cacheName = CACHE_PREFIX + manifest.version
const SHELL_URL = '/'
/** On a connection that neither answers nor fails (lie-fi), show the cached shell after this long. */
const NAVIGATION_TIMEOUT_MS = 4000
const LIVE_PATH_PREFIXES = ['/sync', '/api/', '/healthz', '/readyz', '/metrics', '/sw.js']

worker.addEventListener('install', (event) => {
  event.waitUntil(precache())
})

worker.addEventListener('activate', (event) => {
  event.waitUntil(dropOldCaches().then(() => worker.clients.claim()))
})

worker.addEventListener('fetch', (event) => {
  const request = event.request
  if (request.method !== 'GET') return
  const url = new URL(request.url)
  if (url.origin !== worker.location.origin) return
  if (LIVE_PATH_PREFIXES.some((prefix) => url.pathname.startsWith(prefix))) return
  if (request.mode === 'navigate') {
    event.respondWith(networkFirstShell(request))
  } else if (url.pathname.startsWith('/assets/')) {
    event.respondWith(cacheFirst(request))
  }
})

async function precache(): Promise<void> {
  const cache = await caches.open(cacheName)
  // `reload` skips the HTTP cache so the shell and its assets come from the same deployment.
  await cache.addAll(manifest.urls.map((url) => new Request(url, { cache: 'reload' })))
  await worker.skipWaiting()
}

async function dropOldCaches(): Promise<void> {
  const names = await caches.keys()
  await Promise.all(
    names.filter((name) => name.startsWith(CACHE_PREFIX) && name !== cacheName).map((name) => caches.delete(name)),
  )
}

async function networkFirstShell(request: Request): Promise<Response> {
  const cache = await caches.open(cacheName)
  try {
    const response = await fetchWithTimeout(request, NAVIGATION_TIMEOUT_MS)
    if (response.ok && isHtml(response)) {
      // Every route renders the same shell; keep the newest copy for offline visits.
      await cache.put(SHELL_URL, response.clone())
    }
    return response
  } catch {
    const cached = await cache.match(SHELL_URL)
    return cached ?? offlineResponse()
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(cacheName)
  const cached = await cache.match(request)
  if (cached) return cached
  const response = await fetch(request)
  if (response.ok) await cache.put(request, response.clone())
  return response
}

function fetchWithTimeout(request: Request, timeoutMs: number): Promise<Response> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`No response within ${timeoutMs} ms`)), timeoutMs)
    fetch(request).then(
      (response) => {
        clearTimeout(timer)
        resolve(response)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error instanceof Error ? error : new Error(String(error)))
      },
    )
  })
}

function isHtml(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').includes('text/html')
}

function offlineResponse(): Response {
  return new Response('<!doctype html><title>Offline</title><p>You are offline and this page is not cached yet.</p>', {
    status: 503,
    headers: { 'content-type': 'text/html; charset=utf-8' },
  })
}
