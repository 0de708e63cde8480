import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  connectClient,
  getJson,
  openRawClient,
  removeDir,
  startRelay,
  tempDir,
  waitFor,
  waitForSync,
  type StartedRelay,
  type TestClient,
} from './helpers'

describe('HTTP routes', () => {
  let relay: StartedRelay | undefined
  const clients: TestClient[] = []
  const dirs: string[] = []

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy()
    await relay?.close()
    relay = undefined
    for (const dir of dirs.splice(0)) removeDir(dir)
  })

  async function start(config: Parameters<typeof startRelay>[0] = {}): Promise<StartedRelay> {
    relay = await startRelay(config)
    dirs.push(relay.dataDir)
    return relay
  }

  it('GET /healthz and /readyz', async () => {
    await start()
    expect(await getJson(relay!, '/healthz')).toEqual({ status: 200, body: { status: 'ok', rooms: 0, connections: 0 } })
    expect(await getJson(relay!, '/readyz')).toEqual({ status: 200, body: { status: 'ready' } })
  })

  it('GET /api/docs lists an open document whose first writes are not flushed yet', async () => {
    await start({ config: { flushIntervalMs: 60_000 } })
    const c = connectClient(relay!.syncUrl, 'fresh')
    clients.push(c)
    await waitForSync(c.provider)
    c.doc.getText('text').insert(0, 'pending')
    await waitFor(() => (relay!.app.relay.rooms.get('fresh')?.persistence.pendingUpdates ?? 0) > 0)
    const { body } = await getJson<{ docs: Array<{ docId: string }> }>(relay!, '/api/docs')
    expect(body.docs.map((d) => d.docId)).toEqual(['fresh'])
  })

  it('GET /api/docs lists stored documents and open ones, with paging', async () => {
    await start()
    for (const docId of ['alpha', 'beta']) {
      const c = connectClient(relay!.syncUrl, docId)
      clients.push(c)
      await waitForSync(c.provider)
      c.doc.getText('text').insert(0, docId)
    }
    await waitFor(async () => (await relay!.store.list()).length === 2)
    const empty = connectClient(relay!.syncUrl, 'gamma-unsaved')
    clients.push(empty)
    await waitForSync(empty.provider)

    type Listing = { docs: Array<{ docId: string; open: boolean; connections: number; storedBytes: number }>; limit: number; offset: number }
    const { status, body } = await getJson<Listing>(relay!, '/api/docs')
    expect(status).toBe(200)
    expect(body.limit).toBe(100)
    expect(body.docs.map((d) => d.docId).sort()).toEqual(['alpha', 'beta', 'gamma-unsaved'])
    expect(body.docs.find((d) => d.docId === 'gamma-unsaved')).toMatchObject({ open: true, storedBytes: 0, connections: 1 })
    expect(body.docs.find((d) => d.docId === 'alpha')).toMatchObject({ open: true, connections: 1 })
    expect(body.docs.find((d) => d.docId === 'alpha')!.storedBytes).toBeGreaterThan(0)

    const page = await getJson<Listing>(relay!, '/api/docs?limit=1&offset=1')
    expect(page.body.docs).toHaveLength(1)
    expect(page.body.offset).toBe(1)
  })

  it.each([
    ['limit=abc', /querystring\/limit must be integer/],
    ['limit=0', /querystring\/limit must be >= 1/],
    ['limit=5000', /querystring\/limit must be <= 1000/],
    ['offset=-1', /querystring\/offset must be >= 0/],
  ])('GET /api/docs?%s is a 400 with a clear message', async (query, message) => {
    await start()
    const { status, body } = await getJson<{ message: string }>(relay!, `/api/docs?${query}`)
    expect(status).toBe(400)
    expect(body.message).toMatch(message)
  })

  it('GET /api/docs/:docId returns stats, zeros for unknown, 400 for a bad id', async () => {
    await start()
    const c = connectClient(relay!.syncUrl, 'stats-doc')
    clients.push(c)
    await waitForSync(c.provider)
    c.doc.getText('text').insert(0, 'some text')
    await waitFor(async () => (await relay!.store.stats('stats-doc')).logEntries > 0)
    const { body } = await getJson<Record<string, unknown>>(relay!, '/api/docs/stats-doc')
    expect(body).toMatchObject({ docId: 'stats-doc', open: true, connections: 1, snapshotBytes: 0 })
    expect(body['logEntries']).toBeGreaterThan(0)
    expect(await getJson(relay!, '/api/docs/nothing-here')).toMatchObject({
      status: 200,
      body: { docId: 'nothing-here', snapshotBytes: 0, logEntries: 0, logBytes: 0, storedBytes: 0, open: false },
    })
    expect((await getJson(relay!, '/api/docs/not..valid')).status).toBe(400)
    expect(await relay!.store.list()).toHaveLength(1)
  })

  it('serves the web app with SPA fallback and no-cache for index.html and sw.js', async () => {
    const web = tempDir('relay-web-')
    dirs.push(web)
    mkdirSync(join(web, 'assets'))
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>collab</title>')
    writeFileSync(join(web, 'sw.js'), 'self.addEventListener("fetch", () => {})')
    writeFileSync(join(web, 'assets', 'app-1234.js'), 'console.log(1)')
    await start({ config: { webDistDir: web } })

    for (const path of ['/', '/d/some-doc', '/d/another_doc-2']) {
      const response = await fetch(`${relay!.httpUrl}${path}`)
      expect(response.status, path).toBe(200)
      expect(await response.text()).toContain('<title>collab</title>')
      expect(response.headers.get('cache-control'), path).toBe('no-cache')
    }
    const sw = await fetch(`${relay!.httpUrl}/sw.js`)
    expect(sw.status).toBe(200)
    expect(sw.headers.get('cache-control')).toBe('no-cache')
    const asset = await fetch(`${relay!.httpUrl}/assets/app-1234.js`)
    expect(asset.status).toBe(200)
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect((await fetch(`${relay!.httpUrl}/missing.js`)).status).toBe(404)
    // WebSocket upgrades anywhere but /sync/:docId are refused before the upgrade.
    for (const docId of ['nested/path', '']) {
      await expect(openRawClient(relay!.syncUrl.replace('/sync', '/d'), docId)).rejects.toThrow(/HTTP 404/)
    }
    await expect(openRawClient(relay!.syncUrl, 'nested/path')).rejects.toThrow(/HTTP 404/)
    expect((await getJson(relay!, '/healthz')).status).toBe(200)
  })

  it('serves no web app when the dist dir has no index.html', async () => {
    await start()
    expect((await fetch(`${relay!.httpUrl}/`)).status).toBe(404)
  })
})
