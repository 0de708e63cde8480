// What `pnpm start` ships: dist/server.js and dist/token-cli.js (built by test/global-setup.ts)
// load nothing from node_modules but the packages the build leaves external on purpose, and those
// are the relay's own dependencies, so they resolve next to dist/ in a pnpm install (where the
// packages of our packages are not visible from apps/relay).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { isBuiltin } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Metafile } from 'esbuild'
import { jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { EXTERNAL_PACKAGES, buildRelay } from '../../scripts/build'

const relayDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const ENTRIES = ['dist/server.js', 'dist/token-cli.js']

let built: Promise<Metafile> | null = null
/** The same build as dist/, into a temporary directory, with esbuild's account of each output. */
function metafile(): Promise<Metafile> {
  built ??= buildRelay(mkdtempSync(path.join(os.tmpdir(), 'relay-build-')))
  return built
}

async function output(entry: string): Promise<Metafile['outputs'][string]> {
  const { outputs } = await metafile()
  const name = Object.keys(outputs).find((file) => file.endsWith(`/${path.basename(entry)}`))
  if (name === undefined) throw new Error(`the build wrote no ${entry} (outputs: ${Object.keys(outputs).join(', ')})`)
  return outputs[name]!
}

/** `pg/lib/x` → `pg`, `@scope/name/x` → `@scope/name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
}

describe('the production build', () => {
  it.each(ENTRIES)('%s loads only built-ins and the external packages at run time', async (entry) => {
    const loaded = (await output(entry)).imports.filter((i) => i.external).map((i) => i.path)
    expect(loaded.length).toBeGreaterThan(0)
    const unexpected = loaded.filter((name) => !isBuiltin(name) && !(EXTERNAL_PACKAGES as readonly string[]).includes(packageOf(name)))
    expect(unexpected).toEqual([])
  })

  it('inlines the npm packages the relay serves with', async () => {
    const server = await output('dist/server.js')
    const inlined = new Set(Object.keys(server.inputs).map((file) => /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/.exec(file)?.[1]))
    for (const name of ['fastify', 'ws', 'yjs', 'prom-client', 'jose', '@fastify/static']) expect(inlined).toContain(name)
    const loaded = server.imports.filter((i) => i.external).map((i) => i.path)
    // The database drivers stay imports, loaded only when DATABASE_URL / REDIS_URL is set.
    expect(loaded).toEqual(expect.arrayContaining(['better-sqlite3', 'pg', 'ioredis']))
  })

  it('resolves each external package the relay depends on from dist/', () => {
    const manifest = JSON.parse(readFileSync(path.join(relayDir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
    const own = EXTERNAL_PACKAGES.filter((name) => name in manifest.dependencies)
    expect(own).toEqual(['better-sqlite3', 'pg', 'ioredis'])
    const script = `const { createRequire } = require('node:module'); const r = createRequire(${JSON.stringify(path.join(relayDir, 'dist/server.js'))}); for (const name of ${JSON.stringify(own)}) r.resolve(name)`
    expect(() => execFileSync(process.execPath, ['-e', script], { stdio: 'pipe' })).not.toThrow()
  })

  it('dist/token-cli.js mints a token the relay accepts', async () => {
    const secret = 'a-test-secret-of-at-least-thirty-two-characters'
    const token = execFileSync(process.execPath, [path.join(relayDir, 'dist/token-cli.js'), '--doc', 'team-*', '--role', 'write'], {
      env: { ...process.env, AUTH_SECRET: secret },
      encoding: 'utf8',
    }).trim()
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] })
    expect(payload).toMatchObject({ docs: ['team-*'], role: 'write' })
  })
})
