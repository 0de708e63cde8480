import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { updateChangesDocument } from './update-novelty'

function pair(): [Y.Doc, Y.Doc] {
  const relay = new Y.Doc()
  const client = new Y.Doc()
  client.getText('t').insert(0, 'hello world')
  Y.applyUpdate(relay, Y.encodeStateAsUpdate(client))
  return [relay, client]
}

describe('updateChangesDocument', () => {
  it('is false for a full sync step 2 of content the relay already has', () => {
    const [relay, client] = pair()
    client.getText('t').delete(0, 6)
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(client))
    expect(updateChangesDocument(relay, Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay)))).toBe(false)
    expect(updateChangesDocument(relay, Y.encodeStateAsUpdate(client))).toBe(false)
  })

  it('is true for new structs', () => {
    const [relay, client] = pair()
    client.getText('t').insert(0, '!')
    expect(updateChangesDocument(relay, Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay)))).toBe(true)
  })

  it('is true for a deletion the relay has not seen', () => {
    const [relay, client] = pair()
    client.getText('t').delete(3, 2)
    const diff = Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))
    expect(updateChangesDocument(relay, diff)).toBe(true)
    Y.applyUpdate(relay, diff)
    expect(updateChangesDocument(relay, diff)).toBe(false)
  })

  it('is true for a partly new deletion', () => {
    const [relay, client] = pair()
    client.getText('t').delete(0, 2)
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(client))
    client.getText('t').delete(0, 2)
    expect(updateChangesDocument(relay, Y.encodeStateAsUpdate(client))).toBe(true)
  })
})
