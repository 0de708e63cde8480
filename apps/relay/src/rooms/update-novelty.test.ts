import { DEFAULT_LIMITS, validateUpdate } from '@collab/protocol'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DocumentNovelty } from './update-novelty'

function pair(): [Y.Doc, Y.Doc] {
  const relay = new Y.Doc()
  const client = new Y.Doc()
  client.getText('t').insert(0, 'hello world')
  Y.applyUpdate(relay, Y.encodeStateAsUpdate(client))
  return [relay, client]
}

const decoded = (update: Uint8Array) => validateUpdate(update, DEFAULT_LIMITS).decoded

/** A document with `count` separate deleted ranges (every other character deleted). */
function manyDeletions(count: number): [Y.Doc, Y.Doc] {
  const [relay, client] = pair()
  const text = client.getText('t')
  text.insert(0, 'x'.repeat(count * 2))
  for (let index = 0; index < count; index++) text.delete(index + 1, 1)
  Y.applyUpdate(relay, Y.encodeStateAsUpdate(client))
  return [relay, client]
}

describe('DocumentNovelty.changes', () => {
  it('is false for a full sync step 2 of content the relay already has', () => {
    const [relay, client] = pair()
    const novelty = new DocumentNovelty(relay)
    client.getText('t').delete(0, 6)
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(client))
    expect(novelty.changes(decoded(Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))))).toBe(false)
    expect(novelty.changes(decoded(Y.encodeStateAsUpdate(client)))).toBe(false)
  })

  it('is true for new structs', () => {
    const [relay, client] = pair()
    client.getText('t').insert(0, '!')
    expect(new DocumentNovelty(relay).changes(decoded(Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))))).toBe(true)
  })

  it('is true for a deletion the relay has not seen, and false once it has it (the cache follows the document)', () => {
    const [relay, client] = pair()
    const novelty = new DocumentNovelty(relay)
    client.getText('t').delete(3, 2)
    const diff = Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))
    expect(novelty.changes(decoded(diff))).toBe(true)
    Y.applyUpdate(relay, diff)
    expect(novelty.changes(decoded(diff))).toBe(false)
    client.getText('t').delete(0, 1)
    expect(novelty.changes(decoded(Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))))).toBe(true)
  })

  it('is true for a partly new deletion', () => {
    const [relay, client] = pair()
    const novelty = new DocumentNovelty(relay)
    client.getText('t').delete(0, 2)
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(client))
    expect(novelty.changes(decoded(Y.encodeStateAsUpdate(client)))).toBe(false)
    client.getText('t').delete(0, 2)
    expect(novelty.changes(decoded(Y.encodeStateAsUpdate(client)))).toBe(true)
  })
})

describe('DocumentNovelty.knownToChangeNothing', () => {
  it("is true for a reconnecting client's whole delete set the relay already has", () => {
    const [relay, client] = manyDeletions(40)
    const answer = decoded(Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay)))
    expect(answer.structs.length).toBe(0)
    expect([...answer.deletes.values()].flat().length).toBeGreaterThanOrEqual(40)
    expect(new DocumentNovelty(relay).knownToChangeNothing(answer)).toBe(true)
  })

  it('is false when one of many ranges is new, or a struct is', () => {
    const [relay, client] = manyDeletions(40)
    const novelty = new DocumentNovelty(relay)
    client.getText('t').delete(0, 1)
    expect(novelty.knownToChangeNothing(decoded(Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))))).toBe(false)
    client.getText('t').insert(0, '!')
    expect(novelty.knownToChangeNothing(decoded(Y.encodeStateAsUpdate(client)))).toBe(false)
  })

  it('builds the document delete set for a large delete set, not for a small one (a typed backspace)', () => {
    const [relay, client] = manyDeletions(40)
    const novelty = new DocumentNovelty(relay, 16)
    let backspace: Uint8Array = new Uint8Array()
    client.once('update', (update: Uint8Array) => (backspace = update))
    client.getText('t').delete(0, 1)
    Y.applyUpdate(relay, backspace)
    expect([...decoded(backspace).deletes.values()].flat()).toHaveLength(1)
    // Known, but only one range and nothing built since the change: left to Yjs.
    expect(novelty.knownToChangeNothing(decoded(backspace))).toBe(false)
    // A whole delete set (41 ranges) builds it; after that the small one is judged too.
    expect(novelty.knownToChangeNothing(decoded(Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))))).toBe(true)
    expect(novelty.knownToChangeNothing(decoded(backspace))).toBe(true)
  })
})
