import { CloseCode } from '@collab/protocol'
import { StorageUnavailableError, openDocStore } from '@collab/storage'
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest'
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

describe('storage: group commit, compaction, failures', () => {
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

  it('batches many updates into few appends', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    const store = new ControllableStore(await openDocStore({ dataDir }))
    relay = await startRelay({ dataDir, store, config: { flushIntervalMs: 50 } })
    const writer = client('batched')
    await waitForSync(writer.provider)
    const text = writer.doc.getText('text')
    for (let i = 0; i < 200; i++) text.insert(i, 'k') // 200 transactions, 200 frames
    await waitFor(async () => textOf(await loadStoredDoc(store.inner, 'batched')).length === 200)
    expect(store.appendCalls).toBeLessThan(20)
  })

  it('compacts past the log threshold without changing content', async () => {
    relay = await startRelay({ config: { compaction: { maxLogEntries: 25 } } })
    dirs.push(relay.dataDir)
    const writer = client('threshold')
    await waitForSync(writer.provider)
    const text = writer.doc.getText('text')
    for (let i = 0; i < 100; i++) {
      text.insert(text.length, `line ${i}\n`)
      // Wait for each tenth line to be stored, so group commit cuts many batches (log entries).
      if (i % 10 === 9) {
        await waitFor(async () => textOf(await loadStoredDoc(relay!.store, 'threshold')) === textOf(writer.doc))
      }
    }
    await waitFor(async () => textOf(await loadStoredDoc(relay!.store, 'threshold')) === textOf(writer.doc))
    // Stored content is visible as soon as SQLite committed it; the append resolves (and the
    // compaction it triggers starts) only after the WAL fsync, a moment later.
    await waitFor(
      async () => {
        const stats = await relay!.store.stats('threshold')
        return stats.snapshotBytes > 0 && stats.logEntries < 25
      },
      { message: 'a compaction folding the log below its threshold' },
    )
    expect(textOf(await loadStoredDoc(relay.store, 'threshold'))).toBe(textOf(writer.doc))
  })

  it('after many edits and deletes, unload compaction shrinks what is stored; content unchanged', async () => {
    relay = await startRelay({ config: { compaction: { maxLogEntries: 1_000_000, maxLogBytes: 1_000_000_000 } } })
    dirs.push(relay.dataDir)
    const writer = client('shrink')
    await waitForSync(writer.provider)
    const text = writer.doc.getText('text')
    for (let i = 0; i < 300; i++) text.insert(text.length, `word${i} `)
    for (let i = 0; i < 250; i++) text.delete(0, `word${i} `.length)
    const expected = textOf(writer.doc)
    await waitFor(async () => textOf(await loadStoredDoc(relay!.store, 'shrink')) === expected)
    const before = await relay.store.stats('shrink')
    expect(before.snapshotBytes).toBe(0)

    clients.splice(0).forEach((c) => c.destroy())
    await waitFor(() => relay!.app.relay.rooms.openRoomCount === 0, { message: 'the room to unload' })
    const after = await relay.store.stats('shrink')
    expect(after.logEntries).toBe(0)
    expect(after.snapshotBytes).toBeLessThan(before.logBytes / 2)
    expect(textOf(await loadStoredDoc(relay.store, 'shrink'))).toBe(expected)
  })

  it('on storage failure: tells clients, refuses writes with 4503, loses nothing, recovers', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    const store = new ControllableStore(await openDocStore({ dataDir }))
    relay = await startRelay({ dataDir, store })
    const writer = client('outage')
    const reader = client('outage')
    await Promise.all([waitForSync(writer.provider), waitForSync(reader.provider)])
    const writerCloses: number[] = []
    writer.provider.on('connection-close', (event: { code: number } | null) => {
      if (event) writerCloses.push(event.code)
    })
    const denied: string[] = []
    reader.provider.ws?.addEventListener('message', (event: { data: ArrayBuffer }) => {
      const bytes = new Uint8Array(event.data)
      if (bytes[0] === 2) denied.push(new TextDecoder().decode(bytes.subarray(3)))
    })

    // The stock provider prints every permission-denied message with console.warn.
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    onTestFinished(() => warn.mockRestore())
    store.appendError = new StorageUnavailableError('disk I/O error', 'SQLITE_IOERR')
    writer.doc.getText('text').insert(0, 'first ')
    await waitFor(() => !relay!.app.relay.rooms.get('outage')?.persistence.healthy, { message: 'storage to fail' })
    await waitFor(() => denied.length > 0, { message: 'clients to be told' })
    expect(denied[0]).toMatch(/not being saved/)
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('storage-unavailable: changes are not being saved'))
    expect(textOf(reader.doc)).toBe('first ') // accepted before the failure was known

    writer.doc.getText('text').insert(6, 'second')
    await waitFor(() => writerCloses.includes(CloseCode.StorageUnavailable), { message: 'the write to be refused' })
    expect(textOf(reader.doc)).toBe('first ')

    // A client with nothing new can still reconnect and sync while storage is down.
    reader.provider.disconnect()
    reader.provider.connect()
    await waitForSync(reader.provider)
    expect(reader.provider.wsconnected).toBe(true)

    store.appendError = null
    await waitFor(() => textOf(reader.doc) === 'first second', { message: 'the refused write to arrive after recovery' })
    await waitFor(async () => textOf(await loadStoredDoc(store.inner, 'outage')) === 'first second', {
      message: 'everything to be stored',
    })
  })
})
