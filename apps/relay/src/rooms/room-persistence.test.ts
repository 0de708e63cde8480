import { InvalidPayloadError, StorageUnavailableError } from '@collab/storage'
import { beforeEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { ManualTimers } from '../../test/manual-timers'
import { MemoryDocStore } from '../../test/memory-store'
import { recordingLogger } from '../../test/recording-logger'
import { FlushClock } from './flush-clock'
import { OVERDUE_COMPACTION_FACTOR, RoomPersistence, type RoomPersistenceOptions } from './room-persistence'

describe('RoomPersistence', () => {
  let timers: ManualTimers
  let store: MemoryDocStore
  let doc: Y.Doc
  let health: boolean[]
  let logger: ReturnType<typeof recordingLogger>

  beforeEach(() => {
    timers = new ManualTimers()
    store = new MemoryDocStore()
    doc = new Y.Doc()
    health = []
    logger = recordingLogger()
  })

  function persistence(overrides: Partial<RoomPersistenceOptions> = {}): RoomPersistence {
    const created = new RoomPersistence({
      docId: 'doc',
      store,
      timers,
      logger,
      flushIntervalMs: 50,
      flushMaxBatchBytes: 1_000,
      storageRetryMs: 100,
      compaction: { maxLogEntries: 1_000, maxLogBytes: 1_000_000 },
      stateVector: () => Y.encodeStateVector(doc),
      snapshot: () => Y.encodeStateAsUpdate(doc),
      onHealthChange: (healthy) => health.push(healthy),
      ...overrides,
    })
    doc.on('update', (update: Uint8Array) => created.enqueue(update))
    return created
  }

  const type = (text: string) => doc.getText('t').insert(doc.getText('t').length, text)

  it('appends everything received within one window in one batch', async () => {
    persistence()
    for (const ch of 'hello') type(ch)
    await timers.advance(49)
    expect(store.appendCalls).toEqual([])
    await timers.advance(1)
    expect(store.appendCalls).toEqual([{ docId: 'doc', updates: 5 }])
    type('!')
    await timers.advance(50)
    expect(store.appendCalls.map((c) => c.updates)).toEqual([5, 1])
  })

  it('rooms sharing a flush clock append in the same tick, none later than one window after its first update', async () => {
    const flushClock = new FlushClock(timers, 50)
    persistence({ flushClock })
    const otherDoc = new Y.Doc()
    const other = new RoomPersistence({
      docId: 'other',
      store,
      timers,
      logger,
      flushIntervalMs: 50,
      flushClock,
      flushMaxBatchBytes: 1_000,
      storageRetryMs: 100,
      compaction: { maxLogEntries: 1_000, maxLogBytes: 1_000_000 },
      stateVector: () => Y.encodeStateVector(otherDoc),
      snapshot: () => Y.encodeStateAsUpdate(otherDoc),
      onHealthChange: () => {},
    })
    otherDoc.on('update', (update: Uint8Array) => other.enqueue(update))
    type('a')
    await timers.advance(30)
    otherDoc.getText('t').insert(0, 'b')
    await timers.advance(19)
    expect(store.appendCalls).toEqual([])
    // The other room's window is cut short: it joins the first room's tick.
    await timers.advance(1)
    expect(store.appendCalls).toEqual([
      { docId: 'doc', updates: 1 },
      { docId: 'other', updates: 1 },
    ])
    expect(other.idle).toBe(true)
  })

  it('flushes before the window ends once flushMaxBatchBytes are queued', async () => {
    persistence({ flushMaxBatchBytes: 100 })
    type('x'.repeat(200))
    await timers.advance(0)
    expect(store.appendCalls).toHaveLength(1)
  })

  it('answers whenSaved only once the updates before it are durable, with their state vector', async () => {
    const p = persistence()
    type('a')
    const savedA = p.whenSaved()
    let resolved: Uint8Array | null = null
    void savedA.then((sv) => (resolved = sv))
    await timers.advance(10)
    expect(resolved).toBeNull()
    await timers.advance(40)
    expect(resolved).not.toBeNull()
    expect(Y.decodeStateVector(resolved!).get(doc.clientID)).toBe(1)
    // Nothing pending: immediate.
    expect(Y.decodeStateVector(await p.whenSaved()).get(doc.clientID)).toBe(1)
  })

  it('a request while a batch is in flight waits for that batch, not for later ones', async () => {
    const p = persistence()
    let release!: () => void
    const original = store.append.bind(store)
    store.append = async (docId, updates) => {
      await new Promise<void>((resolve) => (release = resolve))
      return original(docId, updates)
    }
    type('a')
    await timers.advance(50) // batch [a] in flight
    const saved = p.whenSaved()
    type('b') // queued after the request: not waited for
    release()
    const sv = await saved
    expect(Y.decodeStateVector(sv).get(doc.clientID)).toBe(1)
  })

  it('encodes the state vector only for a batch somebody waits for', async () => {
    let encoded = 0
    const p = persistence({ stateVector: () => (encoded++, Y.encodeStateVector(doc)) })
    type('a')
    await timers.advance(50)
    type('b')
    await timers.advance(50)
    expect(store.appendCalls).toHaveLength(2)
    expect(encoded).toBe(0)

    type('c')
    const saved = p.whenSaved()
    await timers.advance(50)
    expect(Y.decodeStateVector(await saved).get(doc.clientID)).toBe(3)
    expect(encoded).toBe(1)
  })

  it('keeps updates while storage fails, retries with backoff, reports health once', async () => {
    const p = persistence()
    store.failAppendsWith = new StorageUnavailableError('disk full', 'SQLITE_FULL')
    type('abc')
    await timers.advance(50)
    expect(p.healthy).toBe(false)
    expect(health).toEqual([false])
    await timers.advance(100) // retry 1
    await timers.advance(200) // retry 2 (doubled)
    expect(store.appendCalls).toHaveLength(3)
    expect(logger.records.filter((r) => r.level === 'error')).toHaveLength(1)
    type('d') // queued behind the failing batch

    store.failAppendsWith = null
    await timers.advance(400)
    expect(p.healthy).toBe(true)
    expect(health).toEqual([false, true])
    const stored = await store.load('doc')
    const copy = new Y.Doc()
    for (const update of stored.updates) Y.applyUpdate(copy, update)
    expect(copy.getText('t').toString()).toBe('abcd')
  })

  it('drain() flushes now and gives up at the deadline while storage fails', async () => {
    const p = persistence()
    type('x')
    await p.drain()
    expect(store.appendCalls).toHaveLength(1)
    store.failAppendsWith = new StorageUnavailableError('read-only', 'SQLITE_READONLY')
    type('y')
    const drained = p.drain(timers.now() + 250)
    await timers.advance(1_000)
    expect(await drained).toBe(false)
    expect(p.pendingUpdates).toBe(1)
  })

  it('compacts past the threshold only after pending writes are flushed', async () => {
    const p = persistence({ compaction: { maxLogEntries: 3, maxLogBytes: 1_000_000 } })
    type('a')
    type('b')
    await timers.advance(50)
    expect(store.snapshotCalls).toHaveLength(0)
    type('c')
    await timers.advance(50)
    expect(store.snapshotCalls).toEqual([{ docId: 'doc', bytes: expect.any(Number), upToSeq: 3 }])
    expect(p.logEntries).toBe(0)
    const log = logger.records.find((r) => r.msg === 'compacted document')
    expect(log?.fields).toMatchObject({ foldedEntries: 3, upToSeq: 3, reason: 'threshold' })
    expect(log?.fields['bytesAfter']).toBeGreaterThan(0)
  })

  it('does not fold a lone log entry past the threshold until a second one follows', async () => {
    const p = persistence({ compaction: { maxLogEntries: 1_000, maxLogBytes: 100 } })
    type('x'.repeat(500))
    await timers.advance(50)
    expect(store.appendCalls).toEqual([{ docId: 'doc', updates: 1 }])
    expect(p.logBytes).toBeGreaterThan(100)
    expect(store.snapshotCalls).toHaveLength(0)
    type('y')
    await timers.advance(50)
    expect(store.snapshotCalls).toEqual([{ docId: 'doc', bytes: expect.any(Number), upToSeq: 2 }])
    expect(p.logEntries).toBe(0)
    // An explicit compaction (unload) folds even a lone entry.
    type('z')
    await timers.advance(50)
    await p.compact('unload')
    expect(store.snapshotCalls).toHaveLength(2)
  })

  it('compacts with updates queued once writes never pause and the log is overdue', async () => {
    // Thresholds of 2 entries: overdue at 2 × OVERDUE_COMPACTION_FACTOR.
    const p = persistence({ compaction: { maxLogEntries: 2, maxLogBytes: 1_000_000 } })
    const overdueEntries = 2 * OVERDUE_COMPACTION_FACTOR
    // Every batch is joined by one more update while it is being appended: the queue is never
    // empty after a flush, so a threshold compaction never gets its quiet moment.
    const original = store.append.bind(store)
    let typing = true
    store.append = async (docId, updates) => {
      if (typing) type('+')
      return original(docId, updates)
    }
    type('start')
    while (store.snapshotCalls.length === 0 && p.logEntries < 10 * overdueEntries) await timers.advance(50)
    expect(store.snapshotCalls).toHaveLength(1)
    expect(p.logEntries).toBe(0)
    expect(p.pendingUpdates).toBe(1)
    const log = logger.records.find((r) => r.msg === 'compacted document')
    expect(log?.fields).toMatchObject({ reason: 'overdue', foldedEntries: overdueEntries })

    // The snapshot already holds the queued update; its log entry still follows, and nothing is lost.
    typing = false
    await p.drain()
    const stored = await store.load('doc')
    expect(stored.updates).toHaveLength(1)
    const copy = new Y.Doc()
    Y.applyUpdate(copy, stored.snapshot!)
    expect(copy.getText('t').toString()).toBe(doc.getText('t').toString())
    for (const update of stored.updates) Y.applyUpdate(copy, update)
    expect(copy.getText('t').toString()).toBe(doc.getText('t').toString())
  })

  it('stores a snapshot when the log refuses a batch (not a transient failure)', async () => {
    const p = persistence()
    store.failAppendsWith = new InvalidPayloadError('doc', 'update', 'too odd')
    type('kept')
    await timers.advance(50)
    store.failAppendsWith = null
    expect(p.healthy).toBe(true)
    expect(store.snapshotCalls).toHaveLength(1)
    const stored = await store.load('doc')
    const copy = new Y.Doc()
    Y.applyUpdate(copy, stored.snapshot!)
    expect(copy.getText('t').toString()).toBe('kept')
  })

  it('dispose() cancels its timers', async () => {
    const p = persistence()
    type('a')
    expect(timers.pending).toBe(1)
    p.dispose()
    expect(timers.pending).toBe(0)
  })
})
