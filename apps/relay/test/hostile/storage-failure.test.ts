// Case 23: storage fails under the relay (disk full, read-only data directory). Clients are told,
// writes are refused (4503: the client keeps them and resends), no write is reported stored that
// is not, nothing already stored is lost, and writing resumes once storage recovers.
import { CloseCode, encodeSavedStateVectorRequest } from '@collab/protocol'
import { SqliteDocStore, StorageUnavailableError, openDocStore } from '@collab/storage'
import type * as decoding from 'lib0/decoding'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import * as authProtocol from 'y-protocols/auth'
import {
  ControllableStore,
  connectClient,
  loadStoredDoc,
  openRawClient,
  removeDir,
  startRelay,
  tempDir,
  textOf,
  waitFor,
  waitForSync,
  type StartedRelay,
  type TestClient,
} from '../helpers'
import { HonestPair, MeasurementLog, expectAlive } from './support'

const log = new MeasurementLog('storage-failure')

/** Keeps permission-denied reasons instead of letting y-websocket print them (tests are silent). */
const denialsOf = new WeakMap<TestClient, string[]>()

function recordDenials(client: TestClient): string[] {
  const existing = denialsOf.get(client)
  if (existing) return existing
  const reasons: string[] = []
  denialsOf.set(client, reasons)
  client.provider.messageHandlers[2] = (_encoder: unknown, decoder: decoding.Decoder) => {
    authProtocol.readAuthMessage(decoder, client.doc, (_doc, reason) => reasons.push(reason))
  }
  return reasons
}

function closeCodes(client: TestClient): number[] {
  const codes: number[] = []
  client.provider.on('connection-close', (event: { code: number } | null) => {
    if (event) codes.push(event.code)
  })
  return codes
}

describe('storage failure', () => {
  let relay: StartedRelay | undefined
  const clients: TestClient[] = []
  const dirs: string[] = []

  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy()
    await relay?.close()
    relay = undefined
    for (const dir of dirs.splice(0)) removeDir(dir)
  })

  afterAll(() => log.write())

  function client(docId: string): TestClient {
    const created = connectClient(relay!.syncUrl, docId)
    recordDenials(created)
    clients.push(created)
    return created
  }

  it('case 23a: disk full (SQLITE_FULL): clients are told, writes refused with 4503, nothing stored is lost or falsely reported saved', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    const store = SqliteDocStore.open({ dataDir, maxDatabaseBytes: 256 * 1024 })
    // Shutdown gives up flushing quickly: the disk stays full.
    relay = await startRelay({ dataDir, store, config: { shutdownTimeoutMs: 300 } })
    const docId = 'case-23a'
    const writer = client(docId)
    const reader = client(docId)
    await Promise.all([waitForSync(writer.provider), waitForSync(reader.provider)])
    const denials = recordDenials(reader)
    const writerCloses = closeCodes(writer)
    writer.doc.getText('text').insert(0, 'stored before the disk filled. ')
    await waitFor(async () => textOf(await loadStoredDoc(store, docId)).startsWith('stored before'), { message: 'the seed to be stored' })

    await log.measure(23, 'storage failure: disk full (SQLITE_FULL)', async () => {
      const probe = await openRawClient(relay!.syncUrl, docId)
      // 400 KB does not fit: the append fails with SQLITE_FULL.
      writer.doc.getText('text').insert(0, 'F'.repeat(400_000))
      await waitFor(() => !relay!.app.relay.rooms.get(docId)?.persistence.healthy, { message: 'storage to fail' })
      await waitFor(() => denials.some((reason) => reason.startsWith('storage-unavailable')), { message: 'clients to be told' })
      probe.send(encodeSavedStateVectorRequest())
      writer.doc.getText('text').insert(0, 'refused ')
      await waitFor(() => writerCloses.includes(CloseCode.StorageUnavailable), { message: 'the next write to be refused with 4503' })
      expect((await relay!.app.inject({ url: '/readyz' })).statusCode).toBe(503)
      // Reading still works: a client joining now gets the document.
      const late = client(docId)
      await waitForSync(late.provider)
      expect(textOf(late.doc)).toContain('stored before the disk filled.')
      await expectAlive(relay!)
      // Never answered: the write it would cover is not durable.
      expect(probe.frames.filter((frame) => frame[0] === 100)).toEqual([])
      probe.socket.close()
      return 'SQLITE_FULL: permission-denied to every client, 4503 for new writes, /readyz 503, readers still served, [100] unanswered'
    }, (outcome) => outcome)

    for (const c of clients.splice(0)) {
      c.provider.shouldConnect = false
      c.destroy()
    }
    await relay.close()
    relay = undefined
    const reopened = await openDocStore({ dataDir })
    try {
      const stored = textOf(await loadStoredDoc(reopened, docId))
      expect(stored).toBe('stored before the disk filled. ')
      expect(await (reopened as SqliteDocStore).integrityCheck()).toBe('ok')
    } finally {
      await reopened.close()
    }
  })

  it('case 23b: read-only data directory (SQLITE_READONLY): writes refused and told, then everything stored once it is writable again', async () => {
    const dataDir = tempDir()
    dirs.push(dataDir)
    const store = new ControllableStore(await openDocStore({ dataDir }))
    relay = await startRelay({ dataDir, store })
    const docId = 'case-23b'
    const pair = await HonestPair.connect(relay.syncUrl, docId)
    clients.push(pair.a, pair.b)
    recordDenials(pair.a)
    const denials = recordDenials(pair.b)
    const aCloses = closeCodes(pair.a)
    await waitFor(async () => textOf(await loadStoredDoc(store.inner, docId)).length > 0, { message: 'the first edits to be stored' })
    const storedBefore = textOf(await loadStoredDoc(store.inner, docId))

    await log.measure(23, 'storage failure: read-only data dir (SQLITE_READONLY)', async () => {
      store.appendError = new StorageUnavailableError('attempt to write a readonly database', 'SQLITE_READONLY')
      pair.a.doc.getText('text').insert(0, 'during ')
      await waitFor(() => denials.some((reason) => reason.startsWith('storage-unavailable')), { message: 'clients to be told' })
      pair.a.doc.getText('text').insert(0, 'outage ')
      await waitFor(() => aCloses.includes(CloseCode.StorageUnavailable), { message: 'the write to be refused with 4503' })
      expect(textOf(await loadStoredDoc(store.inner, docId))).toBe(storedBefore)
      await expectAlive(relay!)
      store.appendError = null
      await waitFor(() => textOf(pair.b.doc) === textOf(pair.a.doc) && textOf(pair.a.doc).startsWith('outage during '), {
        timeoutMs: 15_000,
        message: 'the refused write to be resent and reach the reader after recovery',
      })
      await waitFor(async () => textOf(await loadStoredDoc(store.inner, docId)) === textOf(pair.a.doc), { message: 'everything to be stored' })
      return 'SQLITE_READONLY: told, 4503, nothing lost; after recovery the client resent and everything was stored'
    }, (outcome) => outcome)
    await pair.keepsSyncing('after the outage')
  })
})
