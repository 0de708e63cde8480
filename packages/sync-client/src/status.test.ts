import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { decodeStateVectorSafe, deriveConnectionState, stateVectorCovers } from './status'

const sv = (entries: Array<[number, number]>) => new Map(entries)

describe('stateVectorCovers', () => {
  it('requires every local client clock to be reached remotely', () => {
    expect(stateVectorCovers(sv([[1, 5], [2, 3]]), sv([[1, 5], [2, 3]]))).toBe(true)
    expect(stateVectorCovers(sv([[1, 6], [2, 3], [9, 1]]), sv([[1, 5]]))).toBe(true)
    expect(stateVectorCovers(sv([[1, 4], [2, 3]]), sv([[1, 5]]))).toBe(false)
    expect(stateVectorCovers(sv([[2, 3]]), sv([[1, 1]]))).toBe(false)
    expect(stateVectorCovers(sv([]), sv([]))).toBe(true)
    expect(stateVectorCovers(sv([]), sv([[1, 0]]))).toBe(true)
  })

  it('agrees with real documents after one side edits', () => {
    const local = new Y.Doc()
    const remote = new Y.Doc()
    local.getText('t').insert(0, 'hello')
    Y.applyUpdate(remote, Y.encodeStateAsUpdate(local))
    const read = (doc: Y.Doc) => Y.decodeStateVector(Y.encodeStateVector(doc))
    expect(stateVectorCovers(read(remote), read(local))).toBe(true)
    local.getText('t').insert(5, '!')
    expect(stateVectorCovers(read(remote), read(local))).toBe(false)
    remote.getText('t').insert(0, '>')
    expect(stateVectorCovers(read(local), read(remote))).toBe(false)
  })
})

describe('decodeStateVectorSafe', () => {
  it('decodes a real state vector and refuses garbage without throwing', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'abc')
    expect(decodeStateVectorSafe(Y.encodeStateVector(doc))).toEqual(new Map([[doc.clientID, 3]]))
    expect(decodeStateVectorSafe(new Uint8Array([5, 1]))).toBeNull()
    expect(decodeStateVectorSafe(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBeNull()
    expect(decodeStateVectorSafe(new Uint8Array([0]))).toEqual(new Map())
  })
})

describe('deriveConnectionState', () => {
  const base = { synced: false, browserOffline: false, stopped: false, failedAttempts: 0, offlineAfterFailedAttempts: 3 }
  it('is online only when synced, offline when the browser says so, stopped, or after repeated failures', () => {
    expect(deriveConnectionState({ ...base, synced: true, browserOffline: true })).toBe('online')
    expect(deriveConnectionState(base)).toBe('connecting')
    expect(deriveConnectionState({ ...base, failedAttempts: 2 })).toBe('connecting')
    expect(deriveConnectionState({ ...base, failedAttempts: 3 })).toBe('offline')
    expect(deriveConnectionState({ ...base, browserOffline: true })).toBe('offline')
    expect(deriveConnectionState({ ...base, stopped: true })).toBe('offline')
  })
})
