// The cluster logic with relays in one process, linked by an in-memory bus that can lose chosen
// messages or cut a relay off: no echo, one append per client update, anti-entropy healing lost
// updates (delete-only ones too), reconnect catch-up, awareness across relays. Real relays, real
// sockets, stock y-websocket clients, one shared SQLite store; only Redis is replaced.
import { openDocStore, type DocStore } from '@collab/storage'
import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { buildApp } from '../../src/app'
import type { ClusterBus } from '../../src/cluster/bus'
import { ControllableStore, TEST_CONFIG, connectClient, removeDir, tempDir, textOf, waitFor, waitForSync, type TestClient } from '../helpers'
import { seedFromEnv, seededRandom } from '../process/wait'
import { MemoryBusHub } from './memory-bus'

interface LinkedRelay {
  app: FastifyInstance
  store: ControllableStore
  bus: ClusterBus
  syncUrl: string
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function sharedStore(): Promise<DocStore> {
  const dir = tempDir('relay-cluster-')
  const store = await openDocStore({ dataDir: dir })
  cleanups.push(async () => {
    await store.close()
    removeDir(dir)
  })
  return store
}

async function startLinkedRelay(hub: MemoryBusHub, store: DocStore, relayId: string): Promise<LinkedRelay> {
  const counting = new ControllableStore(store)
  const bus = hub.endpoint()
  const app = await buildApp({
    store: counting,
    clusterBus: bus,
    logger: false,
    config: { ...TEST_CONFIG, relayId, antiEntropyIntervalMs: 100, relayHeartbeatMs: 50 },
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  cleanups.push(() => app.close())
  return { app, store: counting, bus, syncUrl: `ws://127.0.0.1:${address.port}/sync` }
}

function client(relay: LinkedRelay, docId: string, awarenessState: Record<string, unknown> | null = null): TestClient {
  const created = connectClient(relay.syncUrl, docId, { awarenessState })
  cleanups.push(() => created.destroy())
  return created
}

function sameState(clients: readonly TestClient[]): boolean {
  const [first, ...rest] = clients
  if (first === undefined) return true
  const vector = Y.encodeStateVector(first.doc).join()
  const text = textOf(first.doc)
  return rest.every((other) => Y.encodeStateVector(other.doc).join() === vector && textOf(other.doc) === text)
}

describe('relays linked by a bus (in process)', () => {
  it('a client update crosses once, is stored only by the relay that received it, and never echoes', async () => {
    const hub = new MemoryBusHub()
    const store = await sharedStore()
    const a = await startLinkedRelay(hub, store, 'a')
    const b = await startLinkedRelay(hub, store, 'b')
    const onA = client(a, 'echo')
    const onB = client(b, 'echo')
    await Promise.all([waitForSync(onA.provider), waitForSync(onB.provider)])

    onA.doc.getText('text').insert(0, 'hello')
    await waitFor(() => textOf(onB.doc) === 'hello', { message: 'the edit to reach the client on relay b' })
    await waitFor(async () => (await store.stats('echo')).logEntries > 0, { message: 'relay a to store the edit' })
    // Give any wrongly re-published update time to come round before counting.
    await waitFor(() => hub.published.filter((entry) => entry.message.kind === 'state').length >= 4, { message: 'anti-entropy rounds' })

    const updates = hub.published.filter((entry) => entry.message.kind === 'update')
    expect(updates.map((entry) => entry.message.origin)).toEqual(['a'])
    expect(b.store.appendCalls).toBe(0)
    expect(a.store.appendCalls).toBeGreaterThan(0)
    expect(textOf(onA.doc)).toBe('hello')
  })

  const seed = seedFromEnv('CLUSTER_SEED')
  it(`heals lost messages through anti-entropy while 40 % of everything on the bus is lost (CLUSTER_SEED=${seed})`, async () => {
    const random = seededRandom(seed)
    const hub = new MemoryBusHub()
    hub.drop = () => random() < 0.4
    const store = await sharedStore()
    const relays = [await startLinkedRelay(hub, store, 'a'), await startLinkedRelay(hub, store, 'b'), await startLinkedRelay(hub, store, 'c')]
    const clients = relays.flatMap((relay) => [client(relay, 'lossy'), client(relay, 'lossy')])
    await Promise.all(clients.map((each) => waitForSync(each.provider)))

    for (let round = 0; round < 30; round++) {
      for (const each of clients) {
        const text = each.doc.getText('text')
        if (text.length > 4 && random() < 0.3) text.delete(Math.floor(random() * (text.length - 2)), 2)
        else text.insert(Math.floor(random() * (text.length + 1)), String.fromCharCode(97 + Math.floor(random() * 26)))
      }
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    await waitFor(() => sameState(clients), { timeoutMs: 15_000, message: `6 clients on 3 lossy relays to converge (seed ${seed})` })
    const finalText = textOf(clients[0]!.doc)
    hub.drop = () => false
    // Every relay stored only its own clients' updates, and together they hold everything.
    await waitFor(async () => {
      const stored = await store.load('lossy')
      const doc = new Y.Doc()
      for (const update of [...(stored.snapshot ? [stored.snapshot] : []), ...stored.updates]) Y.applyUpdate(doc, update)
      return textOf(doc) === finalText
    }, { timeoutMs: 5_000, message: `storage to hold the converged text (seed ${seed})` })
  })

  it('a lost delete-only update heals through the delete-set digest, without resending structs', async () => {
    const hub = new MemoryBusHub()
    const store = await sharedStore()
    const a = await startLinkedRelay(hub, store, 'a')
    const b = await startLinkedRelay(hub, store, 'b')
    const onA = client(a, 'deletes')
    const onB = client(b, 'deletes')
    await Promise.all([waitForSync(onA.provider), waitForSync(onB.provider)])
    onA.doc.getText('text').insert(0, 'hello world')
    await waitFor(() => textOf(onB.doc) === 'hello world', { message: 'the insert to cross' })

    hub.drop = (message) => message.kind === 'update'
    const vectorBefore = Y.encodeStateVector(onA.doc).join()
    const diffsBefore = hub.published.length
    onA.doc.getText('text').delete(5, 6)
    // A deletion does not move the state vector: only the digest can tell the relays apart.
    expect(Y.encodeStateVector(onA.doc).join()).toBe(vectorBefore)

    await waitFor(() => textOf(onB.doc) === 'hello', { timeoutMs: 5_000, message: 'the deletion to heal on relay b' })
    const diffs = hub.published.slice(diffsBefore).filter((entry) => entry.message.kind === 'diff')
    expect(diffs.length).toBeGreaterThan(0)
    for (const { message } of diffs) {
      if (message.kind !== 'diff') continue
      expect(Y.decodeUpdate(message.update).structs).toHaveLength(0)
    }
  })

  it('a relay cut off from the bus catches up both ways once it reconnects', async () => {
    const hub = new MemoryBusHub()
    const store = await sharedStore()
    const a = await startLinkedRelay(hub, store, 'a')
    const b = await startLinkedRelay(hub, store, 'b')
    const onA = client(a, 'outage')
    const onB = client(b, 'outage')
    await Promise.all([waitForSync(onA.provider), waitForSync(onB.provider)])

    hub.disconnect(b.bus)
    onA.doc.getText('text').insert(0, 'from-a ')
    onB.doc.getText('text').insert(0, 'from-b ')
    await waitFor(() => textOf(a.app.relay.rooms.get('outage')!.doc) === 'from-a ', { message: 'relay a to hold only its side' })
    expect(textOf(onB.doc)).toBe('from-b ')

    hub.reconnect(b.bus)
    await waitFor(() => sameState([onA, onB]), { timeoutMs: 5_000, message: 'both sides to converge after the reconnect' })
    expect(textOf(onA.doc)).toContain('from-a ')
    expect(textOf(onA.doc)).toContain('from-b ')
  })

  it('awareness crosses relays, leaves with its client, and leaves when its relay falls silent', async () => {
    const hub = new MemoryBusHub()
    const store = await sharedStore()
    const a = await startLinkedRelay(hub, store, 'a')
    const b = await startLinkedRelay(hub, store, 'b')
    const watcher = client(b, 'presence')
    const alice = client(a, 'presence', { user: 'alice' })
    const seen = (name: string) => [...watcher.provider.awareness.getStates().values()].some((state) => state['user'] === name)

    await waitFor(() => seen('alice'), { message: 'alice to show on relay b' })
    alice.provider.disconnect()
    await waitFor(() => !seen('alice'), { message: 'alice to leave on relay b' })

    const carol = client(a, 'presence', { user: 'carol' })
    await waitForSync(carol.provider)
    await waitFor(() => seen('carol'), { message: 'carol to show on relay b' })
    // Relay a falls silent (its bus connection is gone, its clients are still connected):
    // after 3.5 missed heartbeats relay b drops a's clients, long before the 30 s timeout.
    hub.disconnect(a.bus)
    await waitFor(() => !seen('carol'), { timeoutMs: 5_000, message: 'carol to be dropped once relay a is presumed dead' })
    expect(carol.provider.wsconnected).toBe(true)
  })
})
