import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { minify, transformWithOxc, type Plugin } from 'vite'

/** What the service worker precaches; replaces the `__PRECACHE_MANIFEST__` identifier in its source. */
export interface PrecacheManifest {
  /** Changes whenever any precached file changes, so the worker's bytes (and cache name) change. */
  version: string
  /** Absolute URL paths, `/` (the app shell) first. */
  urls: string[]
}

export interface ServiceWorkerPluginOptions {
  /** Path of the worker's TypeScript source. It must not import anything: it is type-stripped, not bundled. */
  entry: string
  /** Output file name at the root of dist (the worker's scope is the directory it is served from). */
  fileName?: string
}

export class ServiceWorkerBuildError extends Error {
  override readonly name = 'ServiceWorkerBuildError'
}

const MANIFEST_TOKEN = '__PRECACHE_MANIFEST__'

/**
 * Emits the service worker next to the built app, with the list of the build's own files inlined,
 * so the worker can precache exactly this build's shell. Build only: the worker is not registered
 * by the dev server.
 */
export function serviceWorkerPlugin({ entry, fileName = 'sw.js' }: ServiceWorkerPluginOptions): Plugin {
  return {
    name: 'collab:service-worker',
    apply: 'build',
    enforce: 'post',
    async generateBundle(_options, bundle) {
      const files = Object.keys(bundle)
        .filter((name) => !name.endsWith('.map') && name !== fileName && name !== 'index.html')
        .sort()
      const hash = createHash('sha256')
      for (const name of files) {
        const output = bundle[name]
        if (output === undefined) continue
        hash.update(name)
        hash.update(output.type === 'chunk' ? output.code : output.source)
      }
      const indexHtml = bundle['index.html']
      if (indexHtml?.type === 'asset') hash.update(indexHtml.source)
      const manifest: PrecacheManifest = {
        version: hash.digest('hex').slice(0, 16),
        urls: ['/', ...files.map((name) => `/${name}`)],
      }

      const source = await readFile(entry, 'utf8')
      const stripped = await transformWithOxc(source, entry, { lang: 'ts' })
      if (!stripped.code.includes(MANIFEST_TOKEN)) {
        throw new ServiceWorkerBuildError(`${entry} never reads ${MANIFEST_TOKEN}; nothing to precache`)
      }
      if (/^\s*import\s/m.test(stripped.code)) {
        throw new ServiceWorkerBuildError(`${entry} has an import; the worker is type-stripped, not bundled`)
      }
      const withManifest = stripped.code.replaceAll(MANIFEST_TOKEN, JSON.stringify(manifest))
      const minified = await minify(fileName, withManifest)
      if (minified.errors.length > 0) {
        throw new ServiceWorkerBuildError(`Minifying ${entry} failed: ${minified.errors.map((e) => e.message).join('; ')}`)
      }
      this.emitFile({ type: 'asset', fileName, source: minified.code })
    },
  }
}
