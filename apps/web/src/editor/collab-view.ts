import { buildEditorPlugins, schema } from '@collab/editor'
import type { SyncClient } from '@collab/sync-client'
import { EditorState } from 'prosemirror-state'
import { EditorView } from 'prosemirror-view'
import { initProseMirrorDoc, redoCommand, undoCommand, yCursorPlugin, ySyncPlugin, yUndoPlugin } from 'y-prosemirror'
import { placeholderPlugin } from './placeholder-plugin'
import { remoteCursorFilter, remoteSelectionAttrs } from './remote-cursors'

/** Name of the shared XML fragment the editor binds to (public contract). */
export const PROSEMIRROR_FRAGMENT = 'prosemirror'

export interface CollabViewOptions {
  /** Called with the new state after every transaction, local or remote. */
  onStateChange: (state: EditorState) => void
  /** Accessible label of the editable area. */
  ariaLabel: string
}

/**
 * Mounts a ProseMirror view on the client's Y.Doc. Plugin order matters: the sync plugin first
 * (it must see every transaction), then remote cursors, then the Yjs undo manager (tracks only
 * this client's edits), then the editor's input rules and keymaps with Yjs undo/redo.
 */
export function createCollabView(mount: HTMLElement, client: SyncClient, options: CollabViewOptions): EditorView {
  const fragment = client.doc.getXmlFragment(PROSEMIRROR_FRAGMENT)
  // Rendering the Yjs content up front (with its mapping) means the view starts on the real
  // document instead of re-rendering it in its first update.
  const { doc, mapping } = initProseMirrorDoc(fragment, schema)
  const state = EditorState.create({
    schema,
    doc,
    plugins: [
      ySyncPlugin(fragment, { mapping }),
      yCursorPlugin(client.awareness, {
        awarenessStateFilter: remoteCursorFilter,
        selectionBuilder: remoteSelectionAttrs,
      }),
      yUndoPlugin(),
      ...buildEditorPlugins({
        schema,
        undo: undoCommand,
        redo: redoCommand,
        extraPlugins: [placeholderPlugin('Start writing…')],
      }),
    ],
  })
  const view: EditorView = new EditorView(mount, {
    state,
    attributes: { 'aria-label': options.ariaLabel, 'aria-multiline': 'true', role: 'textbox', spellcheck: 'true' },
    dispatchTransaction(transaction) {
      // y-prosemirror batches awareness redraws on a timer that can fire after the view is gone.
      if (view.isDestroyed) return
      const next = view.state.apply(transaction)
      view.updateState(next)
      options.onStateChange(view.state)
    },
  })
  return view
}
