import { CloseCode, DEFAULT_LIMITS, encodeSyncStep1, encodeSyncUpdate, decodeFrame } from '@collab/protocol'
import { StorageUnavailableError } from '@collab/storage'
import { beforeEach, describe, expect, it } from 'vitest'
import type { WebSocket } from 'ws'
import * as Y from 'yjs'
import { ManualTimers } from '../../test/manual-timers'
import { MemoryDocStore } from '../../test/memory-store'
import { recordingLogger } from '../../test/recording-logger'
import { Connection, type ConnectionOptions } from '../connection/connection'
import { READ_ONLY_REASON, Room, type RoomOptions } from './room'

interface FakeSocket {
  readyState: number
  sent: Uint8Array[]
  closedWith: number | null
  bufferedAmount: number
}

function fakeConnection(options: ConnectionOptions = {}): { connection: Connection; socket: FakeSocket } {
  const socket = {
    readyState: 1,
    OPEN: 1,
    CONNECTING: 0,
    extensions: '',
    sent: [] as Uint8Array[],
    closedWith: null as number | null,
    bufferedAmount: 0,
    send(frame: Uint8Array) {
      this.sent.push(frame)
    },
    terminate() {
      this.readyState = 3
    },
    close(code: number) {
      this.closedWith = code
      this.readyState = 2
    },
  }
  return { connection: new Connection(socket as unknown as WebSocket, 'doc', '127.0.0.1', options), socket }
}

const frame = (bytes: Uint8Array) => decodeFrame(bytes)
const typesOf = (socket: FakeSocket) => socket.sent.map((f) => decodeFrame(f).type)

describe('Room', () => {
  let timers: ManualTimers
  let store: MemoryDocStore
  let options: RoomOptions
  let closed: Room[]

  beforeEach(async () => {
    timers = new ManualTimers()
    store = new MemoryDocStore()
    const seed = new Y.Doc()
    seed.getText('t').insert(0, 'stored')
    await store.append('doc', [Y.encodeStateAsUpdate(seed)])
    store.appendCalls = []
    closed = []
    options = {
      store,
      timers,
      logger: recordingLogger(),
      limits: { ...DEFAULT_LIMITS },
      flushIntervalMs: 50,
      flushMaxBatchBytes: 1_000_000,
      storageRetryMs: 100,
      compaction: { maxLogEntries: 1_000, maxLogBytes: 1_000_000 },
      awarenessFlushMs: 50,
      awarenessMaxStatesPerSecond: 200,
      unloadDelayMs: 500,
    }
  })

  it('queues frames until loaded, then handshakes and answers them in order', async () => {
    let release!: () => void
    const load = store.load.bind(store)
    store.load = async (docId) => {
      await new Promise<void>((resolve) => (release = resolve))
      return load(docId)
    }
    const room = new Room('doc', options, (r) => closed.push(r))
    const a = fakeConnection()
    room.join(a.connection)
    room.receive(a.connection, frame(encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))))
    await timers.advance(10)
    expect(room.state).toBe('loading')
    expect(a.socket.sent).toEqual([])

    release()
    await timers.advance(0)
    expect(room.state).toBe('ready')
    expect(typesOf(a.socket)).toEqual(['sync-step1', 'sync-step2'])
    const step2 = decodeFrame(a.socket.sent[1]!)
    const copy = new Y.Doc()
    if (step2.type === 'sync-step2') Y.applyUpdate(copy, step2.update)
    expect(copy.getText('t').toString()).toBe('stored')
  })

  it('loads without an update event (Yjs would encode the whole document for it), then serves and follows the document', async () => {
    const room = new Room('doc', options, (r) => closed.push(r))
    const events: unknown[] = []
    room.doc.on('update', (_update: Uint8Array, origin: unknown) => events.push(origin))
    await timers.advance(0)
    expect(room.state).toBe('ready')
    expect(room.doc.getText('t').toString()).toBe('stored')
    expect(events).toEqual([])
    // Listeners are back: the next change is an event, and a joiner gets the current document.
    const a = fakeConnection()
    room.join(a.connection)
    const edit = new Y.Doc()
    Y.applyUpdate(edit, Y.encodeStateAsUpdate(room.doc))
    edit.getText('t').insert(6, '!')
    room.receive(a.connection, frame(encodeSyncUpdate(Y.encodeStateAsUpdate(edit, Y.encodeStateVector(room.doc)))))
    expect(events).toEqual([a.connection])
    const b = fakeConnection()
    room.join(b.connection)
    room.receive(b.connection, frame(encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))))
    const step2 = b.socket.sent.map((f) => decodeFrame(f)).find((f) => f.type === 'sync-step2')
    const copy = new Y.Doc()
    if (step2?.type === 'sync-step2') Y.applyUpdate(copy, step2.update)
    expect(copy.getText('t').toString()).toBe('stored!')
  })

  it('fans out the same bytes to everyone but the sender and queues them once', async () => {
    const room = new Room('doc', options, (r) => closed.push(r))
    const [a, b, c] = [fakeConnection(), fakeConnection(), fakeConnection()]
    for (const x of [a, b, c]) room.join(x.connection)
    await timers.advance(0)
    for (const x of [a, b, c]) x.socket.sent.length = 0

    const edit = new Y.Doc()
    edit.getText('t').insert(0, 'hi ')
    room.receive(a.connection, frame(encodeSyncUpdate(Y.encodeStateAsUpdate(edit))))
    expect(a.socket.sent).toEqual([])
    expect(b.socket.sent).toHaveLength(1)
    expect(c.socket.sent[0]).toBe(b.socket.sent[0]) // one encoding, shared
    await timers.advance(50)
    expect(store.appendCalls).toEqual([{ docId: 'doc', updates: 1 }])
  })

  it('refuses an invalid update: closes only the sender, nothing applied, queued or sent', async () => {
    const room = new Room('doc', options, (r) => closed.push(r))
    const [a, b] = [fakeConnection(), fakeConnection()]
    room.join(a.connection)
    room.join(b.connection)
    await timers.advance(0)
    b.socket.sent.length = 0
    const before = Y.encodeStateAsUpdate(room.doc)
    room.receive(a.connection, { type: 'sync-update', update: Uint8Array.of(1, 1, 5, 0, 31) })
    expect(a.socket.closedWith).toBe(CloseCode.InvalidUpdate)
    expect(b.socket.closedWith).toBeNull()
    expect(b.socket.sent).toEqual([])
    expect(Y.encodeStateAsUpdate(room.doc)).toEqual(before)
    await timers.advance(100)
    expect(store.appendCalls).toEqual([])
  })

  it('unloads after the grace period: flushed, compacted, closed, no timers left', async () => {
    const room = new Room('doc', options, (r) => closed.push(r))
    const a = fakeConnection()
    room.join(a.connection)
    await timers.advance(0)
    const edit = new Y.Doc()
    edit.getText('t').insert(0, 'new ')
    room.receive(a.connection, frame(encodeSyncUpdate(Y.encodeStateAsUpdate(edit))))
    room.leave(a.connection)
    await timers.advance(499)
    expect(room.state).toBe('ready')
    await timers.advance(1)
    await room.closed
    expect(room.state).toBe('closed')
    expect(closed).toEqual([room])
    expect(store.appendCalls).toHaveLength(1)
    expect(store.snapshotCalls).toHaveLength(1)
    expect(timers.pending).toBe(0)
    expect(room.doc.isDestroyed).toBe(true)
  })

  it('a joiner revives a room whose unload is stuck on failing storage; nothing is lost', async () => {
    const room = new Room('doc', options, (r) => closed.push(r))
    const a = fakeConnection()
    room.join(a.connection)
    await timers.advance(0)
    store.failAppendsWith = new StorageUnavailableError('disk full', 'SQLITE_FULL')
    const edit = new Y.Doc()
    Y.applyUpdate(edit, Y.encodeStateAsUpdate(room.doc)) // typed after seeing 'stored': ordered
    edit.getText('t').insert(0, 'unsaved ')
    room.receive(a.connection, frame(encodeSyncUpdate(Y.encodeStateAsUpdate(edit))))
    room.leave(a.connection)
    await timers.advance(500) // grace over: unloading, but the flush keeps failing
    await timers.advance(1_000)
    expect(room.state).toBe('closing')

    expect(room.revive()).toBe(true)
    expect(room.state).toBe('ready')
    const b = fakeConnection()
    room.join(b.connection)
    expect(typesOf(b.socket)).toContain('sync-step1')
    expect(room.doc.getText('t').toString()).toBe('unsaved stored')

    store.failAppendsWith = null
    await timers.advance(60_000)
    const saved = new Y.Doc()
    const stored = await store.load('doc')
    if (stored.snapshot) Y.applyUpdate(saved, stored.snapshot)
    for (const update of stored.updates) Y.applyUpdate(saved, update)
    expect(saved.getText('t').toString()).toBe('unsaved stored')
    expect(closed).toEqual([])
  })

  it('a shutdown overtakes an unload stuck on failing storage and gives up at its deadline', async () => {
    const room = new Room('doc', options, (r) => closed.push(r))
    const a = fakeConnection()
    room.join(a.connection)
    await timers.advance(0)
    store.failAppendsWith = new StorageUnavailableError('disk full', 'SQLITE_FULL')
    const edit = new Y.Doc()
    edit.getText('t').insert(0, 'x')
    room.receive(a.connection, frame(encodeSyncUpdate(Y.encodeStateAsUpdate(edit))))
    room.leave(a.connection)
    await timers.advance(600)
    expect(room.state).toBe('closing')
    const shutdown = room.close({ reason: 'shutdown', code: CloseCode.ServiceRestart, compact: false, deadlineMs: timers.now() + 1_000 })
    expect(room.revive()).toBe(false)
    await timers.advance(2_000)
    await shutdown
    expect(room.state).toBe('closed')
    expect(timers.pending).toBe(0)
  })

  it('a failed load closes its connections with 4503 and the room', async () => {
    store.load = async () => {
      throw new Error('cannot read')
    }
    const room = new Room('doc', options, (r) => closed.push(r))
    const a = fakeConnection()
    room.join(a.connection)
    await room.closed
    expect(room.state).toBe('closed')
    expect(a.socket.closedWith).toBe(CloseCode.StorageUnavailable)
  })

  it('drops a read-only connection\'s changes and tells it once; it keeps receiving', async () => {
    const room = new Room('doc', options, (r) => closed.push(r))
    const [viewer, writer] = [fakeConnection({ role: 'read' }), fakeConnection()]
    room.join(viewer.connection)
    room.join(writer.connection)
    await timers.advance(0)
    viewer.socket.sent.length = 0
    const before = Y.encodeStateAsUpdate(room.doc)
    for (const text of ['a', 'b']) {
      const edit = new Y.Doc()
      edit.getText('t').insert(0, text)
      room.receive(viewer.connection, frame(encodeSyncUpdate(Y.encodeStateAsUpdate(edit))))
    }
    expect(Y.encodeStateAsUpdate(room.doc)).toEqual(before)
    expect(viewer.socket.closedWith).toBeNull()
    const denied = viewer.socket.sent.map((f) => decodeFrame(f)).filter((f) => f.type === 'auth-permission-denied')
    expect(denied).toEqual([{ type: 'auth-permission-denied', reason: READ_ONLY_REASON }])
    const edit = new Y.Doc()
    edit.getText('t').insert(0, 'w')
    room.receive(writer.connection, frame(encodeSyncUpdate(Y.encodeStateAsUpdate(edit))))
    expect(typesOf(viewer.socket)).toContain('sync-update')
    await timers.advance(100)
    expect(store.appendCalls).toEqual([{ docId: 'doc', updates: 1 }])
  })

  it('holds an update whose dependency is missing, then applies it with its sender as origin', async () => {
    const room = new Room('doc', options, (r) => closed.push(r))
    const [a, b, c] = [fakeConnection(), fakeConnection(), fakeConnection()]
    for (const x of [a, b, c]) room.join(x.connection)
    await timers.advance(0)
    for (const x of [a, b, c]) x.socket.sent.length = 0
    const writer = new Y.Doc()
    writer.getText('other').insert(0, 'one ')
    const first = Y.encodeStateAsUpdate(writer)
    const sv = Y.encodeStateVector(writer)
    writer.getText('other').insert(4, 'two')
    room.receive(b.connection, frame(encodeSyncUpdate(Y.encodeStateAsUpdate(writer, sv))))
    expect(room.doc.getText('other').toString()).toBe('')
    expect(room.doc.store.pendingStructs).toBeNull()
    expect(a.socket.sent).toEqual([])
    // a supplies the dependency; b's held update follows, fanned out to a too.
    room.receive(a.connection, frame(encodeSyncUpdate(first)))
    expect(room.doc.getText('other').toString()).toBe('one two')
    expect(typesOf(a.socket)).toEqual(['sync-update'])
    expect(typesOf(c.socket)).toEqual(['sync-update', 'sync-update'])
  })

  it('an update that throws inside Yjs is not committed: the room resets and reloads from storage', async () => {
    const room = new Room('doc', options, (r) => closed.push(r))
    const [a, b] = [fakeConnection(), fakeConnection()]
    room.join(a.connection)
    room.join(b.connection)
    await timers.advance(0)
    b.socket.sent.length = 0
    // Simulate Yjs throwing after integrating: an observer that throws (Yjs rethrows after cleanup).
    room.doc.on('afterTransaction', () => {
      throw new Error('integration failed halfway')
    })
    const edit = new Y.Doc()
    edit.getText('t').insert(0, 'half ')
    room.receive(a.connection, frame(encodeSyncUpdate(Y.encodeStateAsUpdate(edit))))
    expect(a.socket.closedWith).toBe(CloseCode.InvalidUpdate)
    expect(typesOf(b.socket)).toEqual([]) // nothing of it was broadcast
    await timers.advance(1_000)
    await room.closed
    expect(b.socket.closedWith).toBe(CloseCode.ServiceRestart)
    expect(store.appendCalls).toEqual([])
    expect(store.snapshotCalls).toEqual([])
    expect(room.revive()).toBe(false)
  })

  it('stops queueing updates to a connection past its soft limit and resyncs it with one diff once it drains', async () => {
    const room = new Room('doc', options, (r) => closed.push(r))
    const sendBuffer = { softLimitBytes: 100, hardLimitBytes: 10_000, maxBehindMs: 60_000 }
    const [writer, slow] = [fakeConnection(), fakeConnection({ timers, sendBuffer })]
    room.join(writer.connection)
    room.join(slow.connection)
    await timers.advance(0)
    slow.socket.sent.length = 0
    slow.socket.bufferedAmount = 500 // the peer stopped reading
    const edit = new Y.Doc()
    const send = (text: string) => {
      const sv = Y.encodeStateVector(edit)
      edit.getText('t').insert(0, text)
      room.receive(writer.connection, frame(encodeSyncUpdate(Y.encodeStateAsUpdate(edit, sv))))
    }
    send('one ')
    expect(slow.connection.behind).toBe(true)
    send('two ')
    send('three ')
    expect(typesOf(slow.socket)).toEqual(['sync-update']) // only the one that crossed the limit
    slow.socket.bufferedAmount = 0
    await timers.advance(50)
    expect(slow.connection.behind).toBe(false)
    expect(typesOf(slow.socket)).toEqual(['sync-update', 'sync-step2'])
    const replica = new Y.Doc()
    for (const f of slow.socket.sent.map((bytes) => decodeFrame(bytes))) {
      if (f.type === 'sync-update' || f.type === 'sync-step2') Y.applyUpdate(replica, f.update)
    }
    Y.applyUpdate(replica, Y.encodeStateAsUpdate(room.doc, Y.encodeStateVector(edit))) // the stored part
    expect(replica.getText('t').toString()).toBe(room.doc.getText('t').toString())
  })
})
