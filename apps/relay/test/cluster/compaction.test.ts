// Compaction when several relays share PostgreSQL: one relay at a time (the store's advisory
// lock), folded from what is stored, and an append racing it survives. Then the same through
// relays: two relays compacting one busy document while their clients edit it.
import { PostgresDocStore, type DocStore } from '@collab/storage'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SERVER_HOOK_TIMEOUT_MS, startPostgres, type PostgresServer } from '../../../../packages/storage/test/pg-server'
import { buildApp } from '../../src/app'
import { compactSharedStore } from '../../src/cluster/shared-compaction'
import { ControllableStore, Gate, TEST_CONFIG, connectClient, loadStoredDoc, textOf, waitFor, waitForSync, type TestClient } from '../helpers'
import { MemoryBusHub } from './memory-bus'
import { requireClusterServers } from './redis-server'

/** A store whose `replaceSnapshot` can be held at a gate; the compaction lock is the real one. */
class GatedStore extends ControllableStore {
  readonly replaceGate = new Gate()
  override async replaceSnapshot(docId: string, snapshot: Uint8Array, upToSeq: number): Promise<void> {
    await this.replaceGate.pass()
    return this.inner.replaceSnapshot(docId, snapshot, upToSeq)
  }
  tryWithCompactionLock<T>(docId: string, fn: () => Promise<T>) {
    if (this.inner.tryWithCompactionLock === undefined) throw new Error('inner store has no compaction lock')
    return this.inner.tryWithCompactionLock(docId, fn)
  }
}

function textUpdate(doc: Y.Doc, text: string): Uint8Array {
  let captured: Uint8Array | null = null
  const capture = (update: Uint8Array) => {
    captured = update
  }
  doc.on('update', capture)
  doc.getText('text').insert(doc.getText('text').length, text)
  doc.off('update', capture)
  if (captured === null) throw new Error('no update')
  return captured
}

const available = requireClusterServers('compaction with several relays', { postgres: true })

describe.runIf(available)('compaction with several relays on PostgreSQL', () => {
  let pg: PostgresServer
  const stores: DocStore[] = []
  beforeAll(async () => {
    pg = await startPostgres()
  }, SERVER_HOOK_TIMEOUT_MS)
  afterAll(async () => {
    for (const store of stores.splice(0)) await store.close()
    await pg?.close()
  }, SERVER_HOOK_TIMEOUT_MS)

  async function openStore(databaseUrl: string): Promise<PostgresDocStore> {
    const store = await PostgresDocStore.open({ databaseUrl })
    stores.push(store)
    return store
  }

  it('two relays compact at once: exactly one runs, the content is unchanged, a racing append survives', async () => {
    const databaseUrl = await pg.createDatabase('compact')
    const relayA = new GatedStore(await openStore(databaseUrl))
    const relayB = await openStore(databaseUrl)
    const writer = new Y.Doc()
    const updates = Array.from({ length: 50 }, (_, index) => textUpdate(writer, `w${index} `))
    await relayA.append('doc', updates.slice(0, 25))
    await relayB.append('doc', updates.slice(25))
    const before = textOf(await loadStoredDoc(relayB, 'doc'))

    relayA.replaceGate.close()
    const first = compactSharedStore(relayA, 'doc', { live: null, now: () => performance.now() })
    await waitFor(() => relayA.replaceGate.waiting === 1, { message: 'relay a to hold the lock with its snapshot ready' })
    const second = await compactSharedStore(relayB, 'doc', { live: null, now: () => performance.now() })
    expect(second.outcome).toBe('locked-elsewhere')
    // An update appended after relay a read the log, before its snapshot is stored.
    const racing = textUpdate(writer, 'racing ')
    await relayB.append('doc', [racing])
    relayA.replaceGate.open()
    const result = await first

    expect(result).toMatchObject({ outcome: 'compacted', foldedEntries: 50, upToSeq: 50 })
    expect(result.stats.logEntries).toBe(1)
    const after = await relayB.load('doc')
    expect(after.updates).toHaveLength(1)
    expect(textOf(await loadStoredDoc(relayB, 'doc'))).toBe(`${before}racing `)
    // Once the lock is free, the other relay can fold the racing entry too.
    expect((await compactSharedStore(relayB, 'doc', { live: null, now: () => performance.now() })).outcome).toBe('compacted')
    expect(textOf(await loadStoredDoc(relayA, 'doc'))).toBe(`${before}racing `)
  })

  it('two relays compacting one busy document while their clients edit lose nothing', async () => {
    const databaseUrl = await pg.createDatabase('compact_relays')
    const hub = new MemoryBusHub()
    const apps: FastifyInstance[] = []
    const clients: TestClient[] = []
    try {
      for (const relayId of ['a', 'b']) {
        const app = await buildApp({
          store: await openStore(databaseUrl),
          clusterBus: hub.endpoint(),
          logger: false,
          config: {
            ...TEST_CONFIG,
            relayId,
            databaseUrl,
            antiEntropyIntervalMs: 200,
            relayHeartbeatMs: 100,
            compaction: { maxLogEntries: 10 },
          },
        })
        await app.listen({ port: 0, host: '127.0.0.1' })
        apps.push(app)
        const address = app.server.address()
        if (address === null || typeof address === 'string') throw new Error('no port')
        clients.push(connectClient(`ws://127.0.0.1:${address.port}/sync`, 'busy'))
      }
      await Promise.all(clients.map((client) => waitForSync(client.provider)))
      for (let round = 0; round < 60; round++) {
        for (const [index, client] of clients.entries()) client.doc.getText('text').insert(0, `${index}:${round} `)
        await new Promise((resolve) => setTimeout(resolve, 3))
      }
      await waitFor(() => textOf(clients[0]!.doc) === textOf(clients[1]!.doc) && textOf(clients[0]!.doc).length > 0, {
        message: 'both clients to converge',
      })
      const finalText = textOf(clients[0]!.doc)
      expect(finalText.split(' ').filter(Boolean)).toHaveLength(120)
      for (const client of clients) client.destroy()
      clients.length = 0
      // Both rooms unload (write-back, then compaction) at about the same time.
      await waitFor(() => apps.every((app) => app.relay.rooms.openRoomCount === 0), { timeoutMs: 10_000, message: 'both rooms to unload' })
      const store = await openStore(databaseUrl)
      expect(textOf(await loadStoredDoc(store, 'busy'))).toBe(finalText)
      const stats = await store.stats('busy')
      // Threshold compactions ran along the way (the log never grew to 120 entries).
      expect(stats.snapshotBytes).toBeGreaterThan(0)
      expect(stats.logEntries).toBeLessThan(120)
    } finally {
      for (const client of clients) client.destroy()
      for (const app of apps) await app.close()
    }
  })
})
