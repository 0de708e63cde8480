import 'fake-indexeddb/auto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { IndexeddbPersistence } from 'y-indexeddb'
import { toBase64 } from 'lib0/buffer'
import { journalKey } from '../src/local-journal'
import { decodeSavedState, encodeSavedState, localDatabaseName, openLocalStore } from '../src/local-store'
import { REMOTE_WRITE_DELAY_MS, batchRemoteWrites } from '../src/replica-writes'
import { realTimers } from '../src/timers'
import { FakeClock } from './fake-clock'
import { MiniRelay, waitFor } from './mini-relay'
import { freshDocId, openClient, type TestClient } from './helpers'

const text = (doc: Y.Doc) => doc.getText('t').toString()

describe('y-indexeddb replica (fake-indexeddb)', () => {
  it('brings a document back after it was edited, destroyed and reopened', async () => {
    const docId = freshDocId('replica')
    const first = new Y.Doc()
    const store = openLocalStore({ docId, doc: first, enabled: true, loadTimeoutMs: 5000, timers: realTimers, onStateChange: () => {} })
    await store.whenLoaded
    expect(store.state).toBe('loaded')
    first.getText('t').insert(0, 'hello')
    first.getText('t').insert(5, ' world')
    first.getText('t').delete(0, 1)
    await store.destroy()
    first.destroy()

    const second = new Y.Doc()
    const reopened = openLocalStore({ docId, doc: second, enabled: true, loadTimeoutMs: 5000, timers: realTimers, onStateChange: () => {} })
    expect(text(second)).toBe('')
    await reopened.whenLoaded
    expect(text(second)).toBe('ello world')
    await reopened.destroy()
  })

  it('uses one database per document id', async () => {
    const docId = freshDocId('name')
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'x')
    const direct = new IndexeddbPersistence(localDatabaseName(docId), doc)
    await direct.whenSynced
    await direct.destroy()
    const other = new Y.Doc()
    const store = openLocalStore({ docId: `${docId}-other`, doc: other, enabled: true, loadTimeoutMs: 5000, timers: realTimers, onStateChange: () => {} })
    await store.whenLoaded
    expect(text(other)).toBe('')
    await store.destroy()
  })

  it('round-trips the save bookkeeping and rejects corrupt records', () => {
    const saved = { pendingChanges: 3, savedStateVector: new Map([[123, 7], [9, 1]]) }
    expect(decodeSavedState(encodeSavedState(saved))).toEqual(saved)
    expect(decodeSavedState(encodeSavedState({ pendingChanges: 0, savedStateVector: null }))).toEqual({ pendingChanges: 0, savedStateVector: null })
    for (const bad of [42, null, '', '{', '{"pendingChanges":-1,"savedStateVector":null}', '{"pendingChanges":1.5,"savedStateVector":null}', '{"pendingChanges":1,"savedStateVector":"!!"}', '{"pendingChanges":1,"savedStateVector":"/w=="}']) {
      expect(decodeSavedState(bad)).toBeNull()
    }
  })
})

/** Entries in a replica's update log (a read-only transaction: it waits for earlier writes). */
function countUpdates(persistence: IndexeddbPersistence): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = persistence.db!.transaction(['updates'], 'readonly').objectStore('updates').count()
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error ?? new Error('count failed'))
  })
}

describe('replica writes of relay updates', () => {
  const RELAY = Symbol('relay')

  async function reopenText(docId: string): Promise<string> {
    const doc = new Y.Doc()
    const persistence = new IndexeddbPersistence(localDatabaseName(docId), doc)
    await persistence.whenSynced
    await persistence.destroy()
    return text(doc)
  }

  it('gathers relay updates into one write, and a local edit writes them first', async () => {
    const docId = freshDocId('batch')
    const doc = new Y.Doc()
    const persistence = new IndexeddbPersistence(localDatabaseName(docId), doc)
    await persistence.whenSynced
    const clock = new FakeClock()
    batchRemoteWrites({ persistence, doc, isRemoteOrigin: (origin) => origin === RELAY, timers: clock })
    const peer = new Y.Doc()
    peer.on('update', (update: Uint8Array) => Y.applyUpdate(doc, update, RELAY))
    const initial = await countUpdates(persistence)

    peer.getText('t').insert(0, 'abc')
    peer.getText('t').insert(3, 'def')
    expect(await countUpdates(persistence)).toBe(initial)
    clock.advance(REMOTE_WRITE_DELAY_MS - 1)
    expect(await countUpdates(persistence)).toBe(initial)
    clock.advance(1)
    expect(await countUpdates(persistence)).toBe(initial + 1)

    // The local edit is made on the relay's "g": both are written, the relay's first.
    peer.getText('t').insert(6, 'g')
    doc.getText('t').insert(7, '!')
    expect(await countUpdates(persistence)).toBe(initial + 3)
    clock.advance(REMOTE_WRITE_DELAY_MS)
    expect(await countUpdates(persistence)).toBe(initial + 3)
    await persistence.destroy()
    expect(await reopenText(docId)).toBe('abcdefg!')
  })

  it('writes relay updates still gathered when the local store closes', async () => {
    const docId = freshDocId('batch-close')
    const doc = new Y.Doc()
    const store = openLocalStore({ docId, doc, enabled: true, loadTimeoutMs: 5000, timers: realTimers, onStateChange: () => {}, isRemoteOrigin: (origin) => origin === RELAY })
    await store.whenLoaded
    const peer = new Y.Doc()
    peer.getText('t').insert(0, 'from the relay')
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(peer), RELAY)
    await store.destroy()
    expect(await reopenText(docId)).toBe('from the relay')
  })
})

/** An in-memory Storage (the tests run in Node). */
function memoryStorage(): Storage {
  const items = new Map<string, string>()
  return {
    get length() {
      return items.size
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  }
}

describe('journal of local edits not yet committed to IndexedDB', () => {
  const open = (docId: string, doc: Y.Doc, storage: Storage) =>
    openLocalStore({ docId, doc, enabled: true, loadTimeoutMs: 5000, timers: realTimers, onStateChange: () => {}, journalStorage: storage })

  it('holds a local edit synchronously and drops it once IndexedDB has committed it', async () => {
    const docId = freshDocId('journal')
    const storage = memoryStorage()
    const doc = new Y.Doc()
    const store = open(docId, doc, storage)
    await store.whenLoaded
    doc.getText('t').insert(0, 'typed')
    // Written before any await: a reload right now still finds it.
    expect(storage.getItem(journalKey(docId))).not.toBeNull()
    await waitFor('the journal to empty', () => storage.getItem(journalKey(docId)) === null, 5_000)
    await store.destroy()
  })

  it('brings back an edit whose IndexedDB write was lost with the page', async () => {
    const docId = freshDocId('journal-restore')
    const storage = memoryStorage()
    const lost = new Y.Doc()
    lost.getText('t').insert(0, 'typed just before the reload')
    storage.setItem(journalKey(docId), JSON.stringify([toBase64(Y.encodeStateAsUpdate(lost)), 'not base64 at all!']))

    const doc = new Y.Doc()
    const store = open(docId, doc, storage)
    expect(text(doc)).toBe('typed just before the reload')
    await store.whenLoaded
    // Now in the replica too, and the journal is empty again.
    await waitFor('the journal to empty', () => storage.getItem(journalKey(docId)) === null, 5_000)
    await store.destroy()
    doc.destroy()
    const reopened = new Y.Doc()
    const again = open(docId, reopened, memoryStorage())
    await again.whenLoaded
    expect(text(reopened)).toBe('typed just before the reload')
    await again.destroy()
  })

  it('writes storage once per edit while typing, even as IndexedDB commits in between', async () => {
    const docId = freshDocId('journal-writes')
    const storage = memoryStorage()
    let writes = 0
    const counted: Storage = {
      ...storage,
      get length() {
        return storage.length
      },
      removeItem: (key) => {
        writes++
        storage.removeItem(key)
      },
      setItem: (key, value) => {
        writes++
        storage.setItem(key, value)
      },
    }
    const doc = new Y.Doc()
    const store = open(docId, doc, counted)
    await store.whenLoaded
    const edits = 5
    for (let index = 0; index < edits; index++) {
      doc.getText('t').insert(index, 'x')
      expect(JSON.parse(storage.getItem(journalKey(docId)) ?? '[]')).not.toHaveLength(0)
      // Long enough for IndexedDB to commit the edit and the journal to trim it.
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    // Dropping committed entries waited for a quiet moment instead of costing a write each.
    expect(writes).toBe(edits)
    await waitFor('the journal to empty', () => storage.getItem(journalKey(docId)) === null, 5_000)
    expect(writes).toBe(edits + 1)
    await store.destroy()
  })

  it('checks what IndexedDB committed once for a burst of edits, not once per keystroke', async () => {
    const docId = freshDocId('journal-trims')
    const storage = memoryStorage()
    const doc = new Y.Doc()
    const store = open(docId, doc, storage)
    await store.whenLoaded
    // The journal's commit check is the only read-only transaction on the replica.
    const transaction = vi.spyOn(IDBDatabase.prototype, 'transaction')
    const checks = () => transaction.mock.calls.filter(([, mode]) => mode === 'readonly').length
    try {
      for (let index = 0; index < 5; index++) {
        doc.getText('t').insert(index, 'x')
        expect(JSON.parse(storage.getItem(journalKey(docId)) ?? '[]')).toHaveLength(index + 1)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      await waitFor('the journal to empty', () => storage.getItem(journalKey(docId)) === null, 5_000)
      expect(checks()).toBe(1)
    } finally {
      transaction.mockRestore()
    }
    await store.destroy()
  })

  it('does not journal what came from the replica or the relay', async () => {
    const docId = freshDocId('journal-origins')
    const storage = memoryStorage()
    const relayOrigin = { relay: true }
    const doc = new Y.Doc()
    const store = openLocalStore({
      docId, doc, enabled: true, loadTimeoutMs: 5000, timers: realTimers, onStateChange: () => {}, journalStorage: storage,
      isRemoteOrigin: (origin) => origin === relayOrigin,
    })
    await store.whenLoaded
    const remote = new Y.Doc()
    remote.getText('t').insert(0, 'from the relay')
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(remote), relayOrigin)
    expect(storage.getItem(journalKey(docId))).toBeNull()
    await store.destroy()
  })
})

describe('SyncClient with the IndexedDB replica', () => {
  let relay: MiniRelay | null = null
  const opened: TestClient[] = []
  afterEach(async () => {
    for (const { client } of opened.splice(0)) await client.destroy()
    await relay?.destroy()
    relay = null
  })

  it('loads the replica before connecting, works offline across a reload, and saves once the relay is back', async () => {
    relay = await MiniRelay.start()
    const docId = freshDocId('offline-reload')
    await relay.stop()

    // Visit 1: no relay at all. The document opens and takes edits.
    const visit1 = openClient({ serverUrl: relay.url, docId, indexedDB: true })
    await visit1.client.whenLocalLoaded
    expect(visit1.client.getStatus()).toMatchObject({ localLoaded: true, localPersistence: 'loaded', allSaved: true })
    visit1.client.doc.getText('t').insert(0, 'written offline')
    visit1.client.doc.getText('t').delete(0, 8)
    expect(visit1.client.getStatus()).toMatchObject({ allSaved: false, pendingChanges: 2 })
    expect(visit1.client.getStatus().connection).not.toBe('online')
    await visit1.client.destroy()

    // Visit 2 (a reload, still offline): content and the unsaved backlog come back.
    const visit2 = openClient({ serverUrl: relay.url, docId, indexedDB: true })
    opened.push(visit2)
    await visit2.client.whenLocalLoaded
    expect(text(visit2.client.doc)).toBe('offline')
    expect(visit2.client.getStatus()).toMatchObject({ allSaved: false, pendingChanges: 2 })

    // The relay comes back: the replica was in the doc before the socket opened.
    let textAtConnect: string | null = null
    const room = relay.room(docId)
    room.doc.on('update', () => {
      textAtConnect ??= text(room.doc)
    })
    await relay.restart()
    await visit2.waitForStatus('saved on the relay', (s) => s.connection === 'online' && s.allSaved && s.pendingChanges === 0)
    expect(textAtConnect).toBe('offline')
    expect(text(room.doc)).toBe('offline')
  })

  it('remembers that a replica is saved, so a reload offline says so honestly', async () => {
    relay = await MiniRelay.start()
    const docId = freshDocId('saved-reload')
    const visit1 = openClient({ serverUrl: relay.url, docId, indexedDB: true })
    visit1.client.doc.getText('t').insert(0, 'kept')
    await visit1.waitForStatus('saved', (s) => s.connection === 'online' && s.allSaved)
    await visit1.client.destroy()
    await relay.stop()

    const visit2 = openClient({ serverUrl: relay.url, docId, indexedDB: true })
    opened.push(visit2)
    await visit2.client.whenLocalLoaded
    expect(text(visit2.client.doc)).toBe('kept')
    expect(visit2.client.getStatus()).toMatchObject({ allSaved: true, pendingChanges: 0 })
    visit2.client.doc.getText('t').insert(4, '!')
    expect(visit2.client.getStatus()).toMatchObject({ allSaved: false, pendingChanges: 1 })
  })

  it('connects only after the replica is loaded', async () => {
    relay = await MiniRelay.start()
    const docId = freshDocId('order')
    const seed = openClient({ serverUrl: relay.url, docId, indexedDB: true, networkEvents: null })
    await seed.client.whenLocalLoaded
    await seed.client.destroy()
    const loadedWhenConnected: boolean[] = []
    const probe = openClient({ serverUrl: relay.url, docId, indexedDB: true })
    opened.push(probe)
    probe.client.provider.on('status', ({ status }) => {
      if (status === 'connecting') loadedWhenConnected.push(probe.client.getStatus().localLoaded)
    })
    await probe.waitForStatus('online', (s) => s.connection === 'online')
    await waitFor('a connection attempt', () => loadedWhenConnected.length > 0)
    expect(loadedWhenConnected.every(Boolean)).toBe(true)
  })
})
