// Many stock clients that already hold a large document connect at once to a relay that does not
// have it (a cold restart with PERSISTENCE=off, a new replica, a lost data directory): each
// uploads the whole document in its sync step 2. The first upload is new; every later one repeats
// clocks the relay has and must be trimmed before it is judged — untrimmed, it read as a storm of
// concurrent inserts at one position and closed clients with 4422 (found by the benchmark's
// reconnect-storm scenario).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { connectClient, removeDir, startRelay, type StartedRelay, type TestClient, waitFor } from './helpers'

const CLIENTS = 30
const INSERTS = 20_000

let relay: StartedRelay | null = null
const clients: TestClient[] = []
// Every y-websocket provider in Node adds a process 'exit' listener; this test holds CLIENTS + 1.
const defaultMaxListeners = process.getMaxListeners()
beforeAll(() => {
  process.setMaxListeners(defaultMaxListeners + CLIENTS + 1)
})
afterAll(() => {
  process.setMaxListeners(defaultMaxListeners)
})
afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy()
  if (relay !== null) {
    await relay.close()
    removeDir(relay.dataDir)
    relay = null
  }
})

describe('a storm of clients re-uploading a document the relay lacks', () => {
  it('syncs every client and closes none', { timeout: 60_000 }, async () => {
    relay = await startRelay()
    const source = new Y.Doc()
    const text = source.getText('t')
    // Insertions in the middle: many items, enough to exceed the conflict-step budget if every
    // re-upload were counted as concurrent inserts.
    for (let index = 0; index < INSERTS; index++) text.insert(Math.floor(index / 2), index % 2 === 0 ? 'a' : 'b')
    const state = Y.encodeStateAsUpdate(source)
    const closes: number[] = []
    for (let index = 0; index < CLIENTS; index++) {
      const client = connectClient(relay.syncUrl, 'storm-doc', { connect: false })
      Y.applyUpdate(client.doc, state)
      client.provider.on('connection-close', (event: { code: number } | null) => {
        if (event !== null) closes.push(event.code)
      })
      clients.push(client)
    }
    for (const client of clients) client.provider.connect()
    await waitFor(() => clients.every((client) => client.provider.synced), { timeoutMs: 45_000, message: 'every client synced' })
    // Every re-upload has been answered: the relay holds the document exactly once.
    const probe = connectClient(relay.syncUrl, 'storm-doc')
    clients.push(probe)
    await waitFor(() => probe.provider.synced && probe.doc.getText('t').length === INSERTS, { timeoutMs: 15_000, message: 'probe loaded' })
    expect(probe.doc.getText('t').toString()).toBe(text.toString())
    expect(closes).toEqual([])
  })
})
