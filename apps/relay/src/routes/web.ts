import { existsSync } from 'node:fs'
import { basename, join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance, FastifyReply } from 'fastify'

export interface WebRouteOptions {
  /** Built web app (apps/web/dist). */
  webDistDir: string
}

/** Files that must be revalidated on every load so a deploy reaches users (index, service worker). */
const NO_CACHE_FILES = new Set(['index.html', 'sw.js'])

/**
 * Serves the built web app when it exists: static files, and index.html for `/` and `/d/*`
 * (client-side routes). Hashed assets under /assets/ are cached for a year.
 */
export async function webRoutes(fastify: FastifyInstance, options: WebRouteOptions): Promise<void> {
  const root = options.webDistDir
  if (!existsSync(join(root, 'index.html'))) {
    fastify.log.info({ webDistDir: root }, 'web app not built; serving the API only')
    return
  }
  await fastify.register(fastifyStatic, {
    root,
    prefix: '/',
    index: false,
    cacheControl: false,
    setHeaders: (reply, path) => {
      const name = basename(path)
      if (NO_CACHE_FILES.has(name)) reply.header('cache-control', 'no-cache')
      else if (path.includes('/assets/')) reply.header('cache-control', 'public, max-age=31536000, immutable')
      else reply.header('cache-control', 'public, max-age=0')
    },
  })
  const sendIndex = (_request: unknown, reply: FastifyReply) => reply.sendFile('index.html')
  fastify.get('/', sendIndex)
  fastify.get('/d/*', sendIndex)
}
