import { connect } from 'node:net'
import { openDocStore } from '@collab/storage'
import { CloseCode } from '@collab/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import {
  ControllableStore,
  connectClient,
  loadStoredDoc,
  removeDir,
  startRelay,
  tempDir,
  textOf,
  waitFor,
  waitForSync,
  type StartedRelay,
  type TestClient,
} from './helpers'

describe('room lifecycle', () => {
  let relay: StartedRelay | undefined
  const clients: TestClient[] = []
  const dirs: string[] = []

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy()
    await relay?.close()
    relay = undefined
    for (const dir of dirs.splice(0)) removeDir(dir)
  })

  function client(docId: string): TestClient {
    const created = connectClient(relay!.syncUrl, docId)
    clients.push(created)
    return created
  }

  /** Stores `text` in doc `docId` under a fresh data dir through a first relay session. */
  async function seed(docId: string, text: string): Promise<string> {
    const dataDir = tempDir()
    dirs.push(dataDir)
    relay = await startRelay({ dataDir })
    const writer = client(docId)
    await waitForSync(writer.provider)
    writer.doc.getText('text').insert(0, text)
    await waitFor(async () => textOf(await loadStoredDoc(relay!.store, docId)) === text)
    for (const c of clients.splice(0)) c.destroy()
    await relay.close()
    relay = undefined
    return dataDir
  }

  it('unloads rooms after the last client leaves, after flushing and compacting', async () => {
    relay = await startRelay()
    dirs.push(relay.dataDir)
    const { rooms } = relay.app.relay
    const docs = ['one', 'two', 'three']
    const writers = docs.map((docId) => client(docId))
    await Promise.all(writers.map((w) => waitForSync(w.provider)))
    expect(rooms.openRoomCount).toBe(3)
    writers.forEach((w, i) => w.doc.getText('text').insert(0, `content of ${docs[i]}`))
    await waitFor(() => rooms.list().every((room) => room.connections === 1))
    for (const c of clients.splice(0)) c.destroy()

    await waitFor(() => rooms.openRoomCount === 0, { message: 'every room to unload' })
    expect(relay.app.relay.connections.size).toBe(0)
    for (const docId of docs) {
      expect(textOf(await loadStoredDoc(relay.store, docId))).toBe(`content of ${docId}`)
      const stats = await relay.store.stats(docId)
      expect(stats.logEntries).toBe(0) // folded into the snapshot on unload
      expect(stats.snapshotBytes).toBeGreaterThan(0)
    }
  })

  it('connect/disconnect churn leaves no rooms or connections behind', async () => {
    relay = await startRelay({ config: { roomUnloadDelayMs: 0 } })
    dirs.push(relay.dataDir)
    for (let round = 0; round < 20; round++) {
      const batch = Array.from({ length: 5 }, (_, i) => client(`churn-${(round + i) % 4}`))
      await Promise.all(batch.map((c) => waitForSync(c.provider)))
      batch[0]!.doc.getText('text').insert(0, `${round} `)
      for (const c of clients.splice(0)) c.destroy()
    }
    await waitFor(() => relay!.app.relay.rooms.openRoomCount === 0 && relay!.app.relay.connections.size === 0, {
      message: 'every room and connection to be gone',
    })
    const stored = await Promise.all([0, 1, 2, 3].map(async (i) => textOf(await loadStoredDoc(relay!.store, `churn-${i}`))))
    expect(stored.join('').split(' ').filter(Boolean)).toHaveLength(20)
  })

  it('a client joining during the unload grace period keeps the room', async () => {
    relay = await startRelay({ config: { roomUnloadDelayMs: 60_000 } })
    dirs.push(relay.dataDir)
    const first = client('grace')
    await waitForSync(first.provider)
    first.doc.getText('text').insert(0, 'kept in memory')
    clients.splice(0).forEach((c) => c.destroy())
    await waitFor(() => relay!.app.relay.rooms.list()[0]?.connections === 0)
    const second = client('grace')
    await waitForSync(second.provider)
    expect(textOf(second.doc)).toBe('kept in memory')
    expect(relay.app.relay.rooms.openRoomCount).toBe(1)
  })

  it('a client arriving while a room unloads (flush still in flight) is served from memory', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    const store = new ControllableStore(await openDocStore({ dataDir }))
    relay = await startRelay({ dataDir, store, config: { roomUnloadDelayMs: 0 } })
    const writer = client('revive')
    await waitForSync(writer.provider)
    store.appendGate.close()
    writer.doc.getText('text').insert(0, 'not yet stored')
    await waitFor(() => store.appendGate.waiting === 1, { message: 'the append to hang' })
    clients.splice(0).forEach((c) => c.destroy())
    await waitFor(() => relay!.app.relay.rooms.get('revive')?.state === 'closing', { message: 'the unload to start' })

    const late = client('revive')
    await waitForSync(late.provider)
    expect(textOf(late.doc)).toBe('not yet stored')
    expect(relay.app.relay.rooms.get('revive')?.state).toBe('ready')
    store.appendGate.open()
    await waitFor(async () => textOf(await loadStoredDoc(store.inner, 'revive')) === 'not yet stored')
    expect(relay.app.relay.rooms.openRoomCount).toBe(1)
  })

  it('concurrent joiners during a slow load wait for the same load and never see an empty document', async () => {
    const dataDir = await seed('slow', 'stored before the restart')
    const store = new ControllableStore(await openDocStore({ dataDir }))
    store.loadGate.close()
    relay = await startRelay({ dataDir, store })

    const joiners = [client('slow'), client('slow'), client('slow')]
    const textAtSync: string[] = []
    for (const joiner of joiners) {
      joiner.provider.on('sync', (synced: boolean) => {
        if (synced) textAtSync.push(textOf(joiner.doc))
      })
    }
    await waitFor(() => joiners.every((j) => j.provider.wsconnected), { message: 'sockets to open' })
    await waitFor(() => store.loadGate.waiting === 1, { message: 'the load to start' })
    // One of them even types while the document loads: its edit must wait too.
    joiners[0]!.doc.getText('text').insert(0, '>> ')
    // Absence can only be observed over time: give a wrong relay the chance to answer early.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(joiners.map((j) => j.provider.synced)).toEqual([false, false, false])
    expect(textOf(joiners[1]!.doc)).toBe('')

    store.loadGate.open()
    await Promise.all(joiners.map((j) => waitForSync(j.provider)))
    // The '>> ' was typed concurrently with the stored text (on an empty doc), so Yjs orders the
    // two by client id: either order is right, as long as everyone agrees.
    await waitFor(() => {
      const texts = joiners.map((j) => textOf(j.doc))
      return texts[0]!.length === 28 && texts.every((t) => t === texts[0]) && texts[0]!.includes('>> ')
    }, { message: 'joiners to converge on stored text plus the edit made while loading' })
    expect(store.loadCalls).toBe(1)
    expect(textAtSync).toHaveLength(3)
    for (const text of textAtSync) expect(text).toContain('stored before the restart')
  })

  it('closeAll (the SIGTERM path) flushes pending writes and closes sockets with 1012', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    // A long group-commit window: the writes are still queued when shutdown starts.
    relay = await startRelay({ dataDir, config: { flushIntervalMs: 60_000 } })
    const writer = client('shutdown')
    const reader = client('shutdown')
    await Promise.all([waitForSync(writer.provider), waitForSync(reader.provider)])
    const closeCodes: number[] = []
    for (const c of [writer, reader]) {
      c.provider.on('connection-close', (event: { code: number } | null) => {
        if (event) closeCodes.push(event.code)
      })
    }
    writer.doc.getText('text').insert(0, 'pending at shutdown')
    await waitFor(() => textOf(reader.doc) === 'pending at shutdown')
    expect((await relay.store.stats('shutdown')).logEntries).toBe(0)

    for (const c of clients) c.provider.shouldConnect = false // do not reconnect to a closed relay
    await relay.close()
    relay = undefined
    await waitFor(() => closeCodes.length === 2, { message: 'both sockets to be closed' })
    expect(closeCodes).toEqual([CloseCode.ServiceRestart, CloseCode.ServiceRestart])

    const store = await openDocStore({ dataDir })
    expect(textOf(await loadStoredDoc(store, 'shutdown'))).toBe('pending at shutdown')
    await store.close()
  })

  it('an upgrade during shutdown gets 503 and its socket closed at once: shutdown does not wait for it', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    const store = new ControllableStore(await openDocStore({ dataDir }))
    // A socket left open would be reaped only after this, and shutdown would wait for it.
    const stopping = await startRelay({ dataDir, store, config: { handshakeTimeoutMs: 60_000 } })
    relay = stopping
    const writer = client('restarting')
    await waitForSync(writer.provider)
    writer.provider.shouldConnect = false
    store.appendGate.close()
    writer.doc.getText('text').insert(0, 'flushed at shutdown')
    await waitFor(() => store.appendGate.waiting === 1, { message: 'the append to hang' })
    const closed = stopping.close()

    // Shutdown is flushing the room (the append hangs) when a reconnecting client arrives. It
    // reads the answer and waits for the relay to end the connection; it never closes it itself.
    const socket = connect(stopping.port, '127.0.0.1')
    let answer = ''
    socket.setEncoding('latin1').on('data', (chunk: string) => (answer += chunk))
    const ended = new Promise<void>((resolve) => socket.once('end', resolve))
    socket.write(
      [
        'GET /sync/restarting HTTP/1.1',
        `Host: 127.0.0.1:${stopping.port}`,
        'Upgrade: websocket',
        'Connection: Upgrade',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Version: 13',
        '',
        '',
      ].join('\r\n'),
    )
    await ended
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 503 Service Unavailable')
    socket.end()

    store.appendGate.open()
    await closed
    relay = undefined
    const reopened = await openDocStore({ dataDir })
    expect(textOf(await loadStoredDoc(reopened, 'restarting'))).toBe('flushed at shutdown')
    await reopened.close()
  })
})
