// PERSISTENCE=off: the relay over the in-memory store from @collab/storage (what server.ts opens
// then), with stock clients on a real port.
import { MemoryDocStore } from '@collab/storage'
import { afterEach, describe, expect, it } from 'vitest'
import { connectClient, startRelay, textOf, waitFor, waitForSync, type StartedRelay, type TestClient } from './helpers'

describe('relay with persistence off (MemoryDocStore)', () => {
  let relay: StartedRelay | undefined
  const clients: TestClient[] = []

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy()
    await relay?.close()
    relay = undefined
  })

  function client(docId: string): TestClient {
    const created = connectClient(relay!.syncUrl, docId)
    clients.push(created)
    return created
  }

  it('is ready at once, relays edits, and keeps a document across its room unloading', async () => {
    const store = new MemoryDocStore()
    relay = await startRelay({ store, config: { persistence: 'off' } })
    const ready = await fetch(`${relay.httpUrl}/readyz`)
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: 'ready' })

    const writer = client('notes')
    const reader = client('notes')
    await waitForSync(writer.provider)
    await waitForSync(reader.provider)
    writer.doc.getText('text').insert(0, 'kept in memory')
    await waitFor(() => textOf(reader.doc) === 'kept in memory', { message: 'the reader to see the edit' })

    for (const each of clients.splice(0)) each.destroy()
    await waitFor(() => relay!.app.relay.rooms.openRoomCount === 0, { message: 'the room to unload' })
    // Unloading flushed and compacted into the store, as with SQLite.
    const stored = await store.load('notes')
    expect(stored.snapshot).not.toBeNull()
    expect(stored.updates).toEqual([])

    const later = client('notes')
    await waitForSync(later.provider)
    expect(textOf(later.doc)).toBe('kept in memory')
  })
})
