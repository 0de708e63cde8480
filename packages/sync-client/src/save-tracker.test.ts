import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { SaveTracker } from './save-tracker'

function setup() {
  const doc = new Y.Doc()
  const relay = new Y.Doc()
  const tracker = new SaveTracker()
  doc.on('update', (_u: Uint8Array, _origin: unknown, _d: Y.Doc, tr: Y.Transaction) =>
    tracker.noteChange(tr.beforeState, tr.afterState, true),
  )
  const text = doc.getText('t')
  /** The relay receives everything and answers with its state vector. */
  const relaySync = () => Y.applyUpdate(relay, Y.encodeStateAsUpdate(doc))
  const relayVector = () => Y.decodeStateVector(Y.encodeStateVector(relay))
  return { doc, tracker, text, relaySync, relayVector }
}

describe('SaveTracker', () => {
  it('counts local edits and confirms them with a covering reply sent after they went out', () => {
    const { tracker, text, relaySync, relayVector } = setup()
    expect(tracker.allSaved).toBe(true)
    text.insert(0, 'a')
    text.insert(1, 'b')
    expect(tracker.pendingChanges).toBe(2)
    expect(tracker.allSaved).toBe(false)
    tracker.markAllSent()
    tracker.noteRequestSent()
    relaySync()
    expect(tracker.noteReply(relayVector())).toEqual({ relayIsMissingData: false })
    expect(tracker.pendingChanges).toBe(0)
    expect(tracker.allSaved).toBe(true)
  })

  it('does not confirm from a request sent before the state went out on this socket', () => {
    const { tracker, text, relaySync, relayVector } = setup()
    text.insert(0, 'a')
    tracker.noteRequestSent()
    relaySync()
    tracker.noteReply(relayVector())
    expect(tracker.pendingChanges).toBe(1)
    expect(tracker.allSaved).toBe(false)
  })

  it('confirms only up to the request: later edits stay pending', () => {
    const { tracker, text, relaySync, relayVector } = setup()
    tracker.markAllSent()
    text.insert(0, 'a')
    tracker.noteRequestSent()
    relaySync()
    const reply = relayVector()
    text.insert(1, 'b')
    expect(tracker.noteReply(reply)).toEqual({ relayIsMissingData: false })
    expect(tracker.pendingChanges).toBe(1)
    expect(tracker.allSaved).toBe(false)
  })

  it('keeps a delete-only edit pending although the state vector does not move', () => {
    const { tracker, text, relaySync, relayVector } = setup()
    tracker.markAllSent()
    text.insert(0, 'abc')
    tracker.noteRequestSent()
    relaySync()
    tracker.noteReply(relayVector())
    expect(tracker.allSaved).toBe(true)
    text.delete(0, 1)
    expect(tracker.pendingChanges).toBe(1)
    expect(tracker.allSaved).toBe(false)
    tracker.noteRequestSent()
    relaySync()
    tracker.noteReply(relayVector())
    expect(tracker.allSaved).toBe(true)
  })

  it('reports a relay that lacks what was sent, and confirms nothing', () => {
    const { tracker, text } = setup()
    tracker.markAllSent()
    text.insert(0, 'a')
    tracker.noteRequestSent()
    expect(tracker.noteReply(new Map())).toEqual({ relayIsMissingData: true })
    expect(tracker.pendingChanges).toBe(1)
  })

  it('forgets requests of a closed socket and ignores malformed replies', () => {
    const { tracker, text, relaySync, relayVector } = setup()
    tracker.markAllSent()
    text.insert(0, 'a')
    tracker.noteRequestSent()
    tracker.resetConnection()
    relaySync()
    tracker.noteReply(relayVector())
    expect(tracker.pendingChanges).toBe(1)
    tracker.markAllSent()
    tracker.noteRequestSent()
    tracker.noteReply(null)
    expect(tracker.pendingChanges).toBe(1)
  })

  it('restores a backlog, and treats replica content the relay never confirmed as unsaved', () => {
    const doc = new Y.Doc()
    const relay = new Y.Doc()
    const tracker = new SaveTracker()
    doc.on('update', (_u: Uint8Array, _o: unknown, _d: Y.Doc, tr: Y.Transaction) =>
      tracker.noteChange(tr.beforeState, tr.afterState, false),
    )
    const earlier = new Y.Doc()
    earlier.getText('t').insert(0, 'from an earlier visit')
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(earlier), 'replica')
    tracker.restore({ pendingChanges: 0, savedStateVector: null })
    expect(tracker.allSaved).toBe(false)
    expect(tracker.pendingChanges).toBe(1)
    tracker.restore({ pendingChanges: 3, savedStateVector: null })
    expect(tracker.pendingChanges).toBe(3)
    tracker.markAllSent()
    tracker.noteRequestSent()
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(doc))
    tracker.noteReply(Y.decodeStateVector(Y.encodeStateVector(relay)))
    expect(tracker.allSaved).toBe(true)
    expect(tracker.savedState.pendingChanges).toBe(0)
  })

  it('knows a replica is saved when the stored relay state vector covers it', () => {
    const doc = new Y.Doc()
    const tracker = new SaveTracker()
    doc.on('update', (_u: Uint8Array, _o: unknown, _d: Y.Doc, tr: Y.Transaction) =>
      tracker.noteChange(tr.beforeState, tr.afterState, false),
    )
    doc.getText('t').insert(0, 'synced last time')
    tracker.restore({ pendingChanges: 0, savedStateVector: Y.decodeStateVector(Y.encodeStateVector(doc)) })
    expect(tracker.allSaved).toBe(true)
    expect(tracker.pendingChanges).toBe(0)
  })
})
