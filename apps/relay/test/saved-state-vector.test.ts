import { decodeFrame, encodeSavedStateVectorRequest, encodeSyncUpdate } from '@collab/protocol'
import { StorageUnavailableError, openDocStore } from '@collab/storage'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import {
  ControllableStore,
  loadStoredDoc,
  openRawClient,
  removeDir,
  startRelay,
  tempDir,
  textOf,
  waitFor,
  type StartedRelay,
} from './helpers'

const isSavedStateVector = (frame: Uint8Array) => frame[0] === 100

describe('extension 100: saved state vector', () => {
  let relay: StartedRelay | undefined

  afterEach(async () => {
    await relay?.close()
    if (relay) removeDir(relay.dataDir)
    relay = undefined
  })

  it('answers only after everything received before the request is durable', async () => {
    const dataDir = tempDir()
    const store = new ControllableStore(await openDocStore({ dataDir }))
    relay = await startRelay({ dataDir, store })
    const writer = await openRawClient(relay.syncUrl, 'saving')
    const bystander = await openRawClient(relay.syncUrl, 'saving')
    await waitFor(() => writer.frames.length >= 1 && bystander.frames.length >= 1, { message: 'handshakes' })

    store.appendGate.close()
    const doc = new Y.Doc()
    doc.getText('text').insert(0, 'is this saved?')
    writer.send(encodeSyncUpdate(Y.encodeStateAsUpdate(doc)))
    writer.send(encodeSavedStateVectorRequest())
    await waitFor(() => store.appendGate.waiting === 1, { message: 'the append to start' })
    // The update is applied and fanned out, but not durable: no answer yet.
    await waitFor(() => bystander.frames.some((f) => f[0] === 0 && f[1] === 2), { message: 'fan-out' })
    expect(writer.frames.filter(isSavedStateVector)).toHaveLength(0)

    store.appendGate.open()
    const answer = await waitFor(() => writer.frames.find(isSavedStateVector), { message: 'the saved state vector' })
    const decoded = decodeFrame(answer)
    if (decoded.type !== 'saved-state-vector') throw new Error(`unexpected ${decoded.type}`)
    expect(Y.decodeStateVector(decoded.stateVector).get(doc.clientID)).toBe(14)
    // When the answer came, the store already had it.
    expect(textOf(await loadStoredDoc(store.inner, 'saving'))).toBe('is this saved?')
    expect(bystander.frames.filter(isSavedStateVector)).toHaveLength(0)
    writer.socket.close()
    bystander.socket.close()
  })

  it('answers at once when nothing is pending', async () => {
    relay = await startRelay()
    const client = await openRawClient(relay.syncUrl, 'idle-doc')
    client.send(encodeSavedStateVectorRequest())
    const answer = await waitFor(() => client.frames.find(isSavedStateVector))
    expect(decodeFrame(answer)).toEqual({ type: 'saved-state-vector', stateVector: Y.encodeStateVector(new Y.Doc()) })
    client.socket.close()
  })

  it('does not answer while storage fails, and answers once it recovers', async () => {
    const dataDir = tempDir()
    const store = new ControllableStore(await openDocStore({ dataDir }))
    relay = await startRelay({ dataDir, store })
    const client = await openRawClient(relay.syncUrl, 'failing')
    await waitFor(() => client.frames.length >= 1)
    store.appendError = new StorageUnavailableError('disk full', 'SQLITE_FULL')
    const doc = new Y.Doc()
    doc.getText('text').insert(0, 'pending')
    client.send(encodeSyncUpdate(Y.encodeStateAsUpdate(doc)))
    client.send(encodeSavedStateVectorRequest())
    await waitFor(() => store.appendCalls >= 2, { message: 'a retry' })
    expect(client.frames.filter(isSavedStateVector)).toHaveLength(0)
    // The client is told that changes are not being saved.
    expect(client.frames.some((f) => f[0] === 2)).toBe(true)

    store.appendError = null
    const answer = await waitFor(() => client.frames.find(isSavedStateVector), { message: 'the answer after recovery' })
    const decoded = decodeFrame(answer)
    if (decoded.type !== 'saved-state-vector') throw new Error(`unexpected ${decoded.type}`)
    expect(Y.decodeStateVector(decoded.stateVector).get(doc.clientID)).toBe(7)
    expect(textOf(await loadStoredDoc(store.inner, 'failing'))).toBe('pending')
    client.socket.close()
  })
})
