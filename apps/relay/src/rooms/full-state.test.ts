import { inflateRawSync, constants as zlibConstants } from 'node:zlib'
import { decodeFrame } from '@collab/protocol'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DEFLATE_AT_REQUEST, FullStateCache, MIN_CACHED_WHOLE_BYTES } from './full-state'

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

  it('answers a known state vector with just the difference', () => {
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

  it('keeps the large answer to a repeated other state vector (an editor joiner: genesis item only) until the document changes or another is asked', () => {
    const doc = new Y.Doc()
    const genesis = new Y.Doc()
    genesis.clientID = 42
    genesis.getText('genesis').insert(0, 'g')
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(genesis))
    doc.getText('t').insert(0, 'x'.repeat(MIN_CACHED_WHOLE_BYTES))
    const cache = new FullStateCache(doc)
    const joiner = Y.encodeStateVector(genesis)
    const first = cache.step2For(joiner)
    expect(cache.step2For(Uint8Array.from(joiner))).toBe(first)
    expect(applyStep2(first).getText('t').toString()).toBe('x'.repeat(MIN_CACHED_WHOLE_BYTES))
    // Another state vector takes its place (one kept at a time).
    const partial = new Y.Doc()
    Y.applyUpdate(partial, Y.encodeStateAsUpdate(genesis))
    partial.getText('other').insert(0, 'o')
    const otherAnswer = cache.step2For(Y.encodeStateVector(partial))
    expect(cache.step2For(Y.encodeStateVector(partial))).toBe(otherAnswer)
    expect(cache.step2For(joiner)).not.toBe(first)
    // A change drops it.
    const again = cache.step2For(joiner)
    doc.getText('t').insert(0, '!')
    const changed = cache.step2For(joiner)
    expect(changed).not.toBe(again)
    expect(applyStep2(changed).getText('t').toString()).toBe(`!${'x'.repeat(MIN_CACHED_WHOLE_BYTES)}`)
    cache.dispose()
  })

  it('does not keep a small answer to another state vector', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'small')
    const cache = new FullStateCache(doc)
    const partial = new Y.Doc()
    partial.getText('p').insert(0, 'p')
    const first = cache.step2For(Y.encodeStateVector(partial))
    expect(cache.step2For(Y.encodeStateVector(partial))).not.toBe(first)
    expect(cache.step2For(Y.encodeStateVector(partial))).toEqual(first)
    cache.dispose()
  })
})

/** A permessage-deflate payload inflated as a client would (RFC 7692: the sync-flush tail appended). */
function inflateMessage(payload: Uint8Array): Uint8Array {
  return new Uint8Array(inflateRawSync(Buffer.concat([payload, Buffer.from([0x00, 0x00, 0xff, 0xff])]), { finishFlush: zlibConstants.Z_SYNC_FLUSH }))
}

/** A document whose whole-document answer is kept, of text that compresses (typed prose). */
function largeDoc(): Y.Doc {
  const doc = new Y.Doc()
  doc.getText('t').insert(0, 'the quick brown fox jumps over the lazy dog; '.repeat(Math.ceil(MIN_CACHED_WHOLE_BYTES / 40)))
  return doc
}

/** Asks for the compressed whole-document answer until it is ready (compression runs on zlib's thread pool). */
async function deflatedWhenReady(cache: FullStateCache): Promise<Buffer> {
  for (let attempt = 0; attempt < 200; attempt++) {
    cache.step2For(EMPTY)
    const deflated = cache.deflatedStep2For(EMPTY)
    if (deflated !== null) return deflated
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('the whole-document answer was never compressed')
}

describe('FullStateCache compressed answers', () => {
  it('compresses the kept whole-document answer from its second request on, once, to the same message', async () => {
    const doc = largeDoc()
    const cache = new FullStateCache(doc)
    const frame = cache.step2For(EMPTY)
    for (let request = 1; request <= DEFLATE_AT_REQUEST; request++) expect(cache.deflatedStep2For(EMPTY)).toBeNull()
    const deflated = await deflatedWhenReady(cache)
    expect(deflated.byteLength).toBeLessThan(frame.byteLength / 2)
    expect(inflateMessage(deflated)).toEqual(frame)
    expect(cache.deflatedStep2For(EMPTY)).toBe(deflated)
    cache.dispose()
  })

  it('drops the compressed answer when the document changes, and a compression of an older version', async () => {
    const doc = largeDoc()
    const cache = new FullStateCache(doc)
    cache.step2For(EMPTY)
    const old = await deflatedWhenReady(cache)
    doc.getText('t').insert(0, 'new ')
    cache.step2For(EMPTY)
    expect(cache.deflatedStep2For(EMPTY)).toBeNull()
    expect(cache.deflatedStep2For(EMPTY)).toBeNull()
    // The compression just started is of this version; a change now makes it stale.
    doc.getText('t').insert(0, 'newer ')
    const current = cache.step2For(EMPTY)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(cache.deflatedStep2For(EMPTY)).toBeNull()
    const deflated = await deflatedWhenReady(cache)
    expect(inflateMessage(deflated)).toEqual(current)
    expect(inflateMessage(old)).not.toEqual(current)
    cache.dispose()
  })

  it('compresses the kept answer to a shared state vector too, and nothing for another', async () => {
    const doc = largeDoc()
    const genesis = new Y.Doc()
    genesis.getText('genesis').insert(0, 'g')
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(genesis))
    const cache = new FullStateCache(doc)
    const joiner = Y.encodeStateVector(genesis)
    const frame = cache.step2For(joiner)
    for (let request = 1; request <= DEFLATE_AT_REQUEST; request++) expect(cache.deflatedStep2For(joiner)).toBeNull()
    let deflated: Buffer | null = null
    for (let attempt = 0; attempt < 200 && deflated === null; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      cache.step2For(joiner)
      deflated = cache.deflatedStep2For(joiner)
    }
    expect(deflated).not.toBeNull()
    expect(inflateMessage(deflated!)).toEqual(frame)
    const stranger = new Y.Doc()
    stranger.getText('s').insert(0, 's')
    expect(cache.deflatedStep2For(Y.encodeStateVector(stranger))).toBeNull()
    cache.dispose()
  })

  it('compresses nothing but kept answers', async () => {
    const small = new Y.Doc()
    small.getText('t').insert(0, 'small')
    const smallCache = new FullStateCache(small)
    const doc = largeDoc()
    const cache = new FullStateCache(doc)
    cache.step2For(EMPTY)
    const upToDate = Y.encodeStateVector(doc)
    for (let request = 0; request < 3; request++) {
      smallCache.step2For(EMPTY)
      expect(smallCache.deflatedStep2For(EMPTY)).toBeNull()
      cache.step2For(upToDate)
      expect(cache.deflatedStep2For(upToDate)).toBeNull()
    }
    // Had those requests counted, a compression would have started and be done by now.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(cache.deflatedStep2For(EMPTY)).toBeNull()
    expect(smallCache.deflatedStep2For(EMPTY)).toBeNull()
    smallCache.dispose()
    cache.dispose()
  })
})
