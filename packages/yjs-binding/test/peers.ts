// Simulated editors for the binding's tests: real EditorViews (happy-dom) on real Y.Docs, with a
// network whose delivery the test controls.
import { buildEditorPlugins, schema } from '@collab/editor'
import { EditorState } from 'prosemirror-state'
import { EditorView } from 'prosemirror-view'
import * as Y from 'yjs'
import { Binding, bindDoc, syncPlugin, undo, undoPlugin, redo, createUndoManager } from '../src/index'

export interface Peer {
  readonly name: string
  readonly ydoc: Y.Doc
  readonly binding: Binding
  readonly view: EditorView
  readonly undoManager: Y.UndoManager
  /** Updates this peer made that the others have not received yet. */
  readonly outbox: Uint8Array[]
  online: boolean
  /** Updates from others that arrived while this peer was offline, applied when it is back. */
  readonly inbox: Uint8Array[]
}

const NETWORK = Symbol('network')

export function makePeer(name: string, clientId?: number): Peer {
  const ydoc = new Y.Doc()
  if (clientId !== undefined) ydoc.clientID = clientId
  const outbox: Uint8Array[] = []
  ydoc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== NETWORK) outbox.push(update)
  })
  // Every partial read of a remote change and every write is checked against a full read.
  const binding = bindDoc(ydoc, schema, { verify: true })
  const undoManager = createUndoManager(binding)
  const state = EditorState.create({
    schema,
    doc: binding.syncedDoc,
    plugins: [syncPlugin(binding), undoPlugin(binding, undoManager), ...buildEditorPlugins({ schema, undo, redo })],
  })
  const view = new EditorView(document.body.appendChild(document.createElement('div')), { state })
  return { name, ydoc, binding, view, undoManager, outbox, online: true, inbox: [] }
}

/** Delivers everything `from` has sent to every other online peer. */
export function deliver(from: Peer, peers: readonly Peer[]): void {
  if (!from.online || from.outbox.length === 0) return
  const update = Y.mergeUpdates(from.outbox.splice(0))
  for (const peer of peers) {
    if (peer === from) continue
    // Like a relay, the network keeps order: a peer offline now gets this when it is back.
    if (peer.online) Y.applyUpdate(peer.ydoc, update, NETWORK)
    else peer.inbox.push(update)
  }
}

/** Takes a peer offline or brings it back (applying what it missed, in order). */
export function setOnline(peer: Peer, online: boolean): void {
  peer.online = online
  if (online) for (const update of peer.inbox.splice(0)) Y.applyUpdate(peer.ydoc, update, NETWORK)
}

/** Brings every peer online and exchanges full states until all have everything. */
export function heal(peers: readonly Peer[]): void {
  for (const peer of peers) setOnline(peer, true)
  for (const a of peers) {
    for (const b of peers) {
      if (a === b) continue
      Y.applyUpdate(b.ydoc, Y.encodeStateAsUpdate(a.ydoc, Y.encodeStateVector(b.ydoc)), NETWORK)
    }
  }
  for (const peer of peers) peer.outbox.splice(0)
}

export function destroyPeer(peer: Peer): void {
  peer.view.destroy()
  peer.ydoc.destroy()
}
