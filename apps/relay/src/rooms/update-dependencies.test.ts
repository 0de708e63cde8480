import { validateUpdate, DEFAULT_LIMITS } from '@collab/protocol'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { conflictBomb, craftUpdate } from '../../test/hostile/support'
import { dependenciesMet, estimateConflictSteps, findMissingDependencies, overlapsKnownClocks } from './update-dependencies'

const decoded = (update: Uint8Array) => validateUpdate(update, { ...DEFAULT_LIMITS, maxUpdateClientIds: 100_000 }).decoded

describe('overlapsKnownClocks', () => {
  it('is true for clocks the document has, whole or in part, and false for what follows them', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'abc')
    const state = Y.encodeStateAsUpdate(doc)
    const replica = new Y.Doc()
    Y.applyUpdate(replica, state)
    expect(overlapsKnownClocks(replica, decoded(state)), 'the whole document again').toBe(true)
    const before = Y.encodeStateVector(doc)
    doc.getText('t').insert(3, 'def')
    expect(overlapsKnownClocks(replica, decoded(Y.encodeStateAsUpdate(doc))), 'known and new in one struct').toBe(true)
    expect(overlapsKnownClocks(replica, decoded(Y.encodeStateAsUpdate(doc, before))), 'only what is new').toBe(false)
  })
})

describe('findMissingDependencies', () => {
  it('finds nothing missing in an update that follows from the document', () => {
    const doc = new Y.Doc()
    doc.getText('t').insert(0, 'abc')
    const peer = new Y.Doc()
    Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc))
    const sv = Y.encodeStateVector(peer)
    peer.getText('t').insert(1, 'x')
    peer.getText('t').delete(0, 1)
    expect(findMissingDependencies(doc, decoded(Y.encodeStateAsUpdate(peer, sv))).size).toBe(0)
  })

  it('finds a gap, a missing origin of another client and a deletion beyond the state', () => {
    const doc = new Y.Doc()
    const gap = craftUpdate([{ client: 5, clock: 3, items: [{ parentKey: 't', text: 'x' }] }])
    expect([...findMissingDependencies(doc, decoded(gap))]).toEqual([[5, 3]])
    const origin = craftUpdate([{ client: 6, clock: 0, items: [{ origin: [9, 4], text: 'y' }] }])
    expect([...findMissingDependencies(doc, decoded(origin))]).toEqual([[9, 5]])
    const deletion = craftUpdate([], [{ client: 7, clock: 0, len: 2 }])
    expect([...findMissingDependencies(doc, decoded(deletion))]).toEqual([[7, 2]])
    // Exactly what Yjs would keep pending.
    for (const update of [gap, origin, deletion]) {
      const copy = new Y.Doc()
      Y.applyUpdate(copy, update)
      expect(copy.store.pendingStructs !== null || copy.store.pendingDs !== null).toBe(true)
    }
    expect(dependenciesMet(doc, new Map([[5, 3]]))).toBe(false)
  })

  it('counts what the update itself supplies', () => {
    const doc = new Y.Doc()
    const chained = craftUpdate([
      { client: 3, clock: 0, items: [{ parentKey: 't', text: 'a' }] },
      { client: 4, clock: 0, items: [{ origin: [3, 0], text: 'b' }] },
    ], [{ client: 3, clock: 0, len: 1 }])
    expect(findMissingDependencies(doc, decoded(chained)).size).toBe(0)
  })
})

describe('estimateConflictSteps', () => {
  it('grows with concurrent inserts at one map key times those already there', () => {
    const doc = new Y.Doc()
    const first = conflictBomb(1_000, 500)
    const firstSteps = estimateConflictSteps(doc, decoded(first), Number.MAX_SAFE_INTEGER)
    expect(firstSteps).toBe((500 * 499) / 2)
    Y.applyUpdate(doc, first)
    const second = estimateConflictSteps(doc, decoded(conflictBomb(2_000, 500)), Number.MAX_SAFE_INTEGER)
    expect(second).toBeGreaterThanOrEqual(firstSteps + 500 * 500)
    expect(estimateConflictSteps(doc, decoded(conflictBomb(3_000, 500)), 1_000)).toBeGreaterThan(1_000)
  })

  it('costs an honest typing session next to nothing', () => {
    const doc = new Y.Doc()
    const typist = new Y.Doc()
    for (let i = 0; i < 200; i++) typist.getText('t').insert(i, 'x')
    expect(estimateConflictSteps(doc, decoded(Y.encodeStateAsUpdate(typist)), 1_000_000)).toBeLessThan(10)
  })
})
