import type { SyncClient } from '@collab/sync-client'
import type { EditorView } from 'prosemirror-view'
import type { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'

/** `window.__collab`: what the e2e suite reads through page.evaluate (UI contract). */
export interface CollabDebugHandle {
  docId: string
  ydoc: Y.Doc
  awareness: Awareness
  view: EditorView
  client: SyncClient
  /** `Y.encodeStateVector(ydoc)` as a plain array (serialisable through page.evaluate). */
  stateVector(): number[]
  /** The ProseMirror document as JSON. */
  docJSON(): unknown
}

declare global {
  interface Window {
    __collab?: CollabDebugHandle
  }
}

/** Publishes the handle; the returned function removes it again if it is still this one. */
export function installDebugHandle(client: SyncClient, view: EditorView): () => void {
  const handle: CollabDebugHandle = {
    docId: client.docId,
    ydoc: client.doc,
    awareness: client.awareness,
    view,
    client,
    stateVector: () => Array.from(Y.encodeStateVector(client.doc)),
    docJSON: () => view.state.doc.toJSON(),
  }
  window.__collab = handle
  return () => {
    if (window.__collab === handle) delete window.__collab
  }
}
