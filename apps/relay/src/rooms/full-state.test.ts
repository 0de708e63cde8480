import { decodeFrame } from '@collab/protocol'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { FullStateCache, MIN_CACHED_WHOLE_BYTES } from './full-state'

const EMPTY = Y.encodeStateVector(new Y.Doc())

function applyStep2(frame: Uint8Array): Y.Doc {
  const decoded = decodeFrame(frame)
  if (decoded.type !== 'sync-step2') throw new Error(`expected sync step 2, got ${decoded.type}`)
  const doc = new Y.Doc()
  Y.applyUpdate(doc, decoded.update)
  return doc
}

describe('FullStateCache', () => {
  it('answers every empty state vector with the same bytes until the document changes', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'hello')
    const cache = new FullStateCache(doc, 0)
    const first = cache.step2For(EMPTY)
    expect(cache.step2For(EMPTY)).toBe(first)
    expect(applyStep2(first).getText('t').toString()).toBe('hello')
    doc.getText('t').insert(5, ' world')
    const second = cache.step2For(EMPTY)
    expect(second).not.toBe(first)
    expect(applyStep2(second).getText('t').toString()).toBe('hello world')
    cache.dispose()
  })

  it('keeps the whole-document answer only for documents of MIN_CACHED_WHOLE_BYTES or more', () => {
    const small = new Y.Doc()
    small.getText('t').insert(0, 'small')
    const smallCache = new FullStateCache(small)
    const first = smallCache.step2For(EMPTY)
    expect(smallCache.step2For(EMPTY)).not.toBe(first)
    expect(smallCache.step2For(EMPTY)).toEqual(first)
    const large = new Y.Doc()
    large.getText('t').insert(0, 'x'.repeat(MIN_CACHED_WHOLE_BYTES))
    const largeCache = new FullStateCache(large)
    expect(largeCache.step2For(EMPTY)).toBe(largeCache.step2For(EMPTY))
    smallCache.dispose()
    largeCache.dispose()
  })

  it('shares one encoding between the snapshot (wholeUpdate) and the whole-document answer', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'hello')
    const cache = new FullStateCache(doc, 0)
    const update = cache.wholeUpdate()
    expect(update).toEqual(Y.encodeStateAsUpdate(doc))
    const frame = cache.step2For(EMPTY)
    // The same bytes: the snapshot is a view of the cached frame's end.
    expect(update.buffer).toBe(frame.buffer)
    expect(update.byteOffset + update.byteLength).toBe(frame.byteOffset + frame.byteLength)
    expect(cache.wholeUpdate()).toBe(update)
    doc.getText('t').insert(5, '!')
    const changed = cache.wholeUpdate()
    expect(changed).toEqual(Y.encodeStateAsUpdate(doc))
    expect(changed.buffer).not.toBe(frame.buffer)
    cache.dispose()
  })

  it("answers the document's own state vector (an up-to-date client) from the cache until it changes", () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'hello world')
    doc.getText('t').delete(0, 6)
    const cache = new FullStateCache(doc, 0)
    const upToDate = Y.encodeStateVector(doc)
    const first = cache.step2For(upToDate)
    expect(cache.step2For(Y.encodeStateVector(doc))).toBe(first)
    // No structs, and the delete set, as Yjs itself would answer.
    const decoded = decodeFrame(first)
    if (decoded.type !== 'sync-step2') throw new Error('expected sync step 2')
    expect(decoded.update).toEqual(Y.encodeStateAsUpdate(doc, upToDate))
    doc.getText('t').insert(0, '!')
    expect(cache.step2For(upToDate)).not.toBe(first)
    cache.dispose()
  })

  it('answers a known state vector with just the difference, never from the cache', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'abc'.repeat(100))
    const cache = new FullStateCache(doc, 0)
    const replica = applyStep2(cache.step2For(EMPTY))
    doc.getText('t').insert(300, 'def')
    const diff = cache.step2For(Y.encodeStateVector(replica))
    expect(diff.byteLength).toBeLessThan(cache.step2For(EMPTY).byteLength)
    const decoded = decodeFrame(diff)
    if (decoded.type !== 'sync-step2') throw new Error('expected sync step 2')
    Y.applyUpdate(replica, decoded.update)
    expect(replica.getText('t').toString()).toBe(`${'abc'.repeat(100)}def`)
  })
})
