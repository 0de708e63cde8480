import { buildEditorPlugins, schema } from '@collab/editor'
import type { SyncClient } from '@collab/sync-client'
import { bindDoc, cursorPlugin, redo, syncPlugin, undo, undoPlugin } from '@collab/yjs-binding'
import { EditorState } from 'prosemirror-state'
import { EditorView } from 'prosemirror-view'
import { longDocumentPlugin } from './long-document-plugin'
import { placeholderPlugin } from './placeholder-plugin'
import { readAwarenessUser } from './presence'
import { remoteSelectionAttrs } from './remote-cursors'

export interface CollabViewOptions {
  /** Called with the new state after every transaction that changed what the UI shows. */
  onStateChange: (state: EditorState) => void
  /** Accessible label of the editable area. */
  ariaLabel: string
}

/**
 * Mounts a ProseMirror view on the client's Y.Doc (the `prosemirror` fragment's content text).
 * Plugin order matters: the sync plugin first (it must see every transaction), then remote
 * cursors, then undo (tracks only this client's edits), then the editor's input rules and
 * keymaps.
 */
export function createCollabView(mount: HTMLElement, client: SyncClient, options: CollabViewOptions): EditorView {
  const binding = bindDoc(client.doc, schema)
  const state = EditorState.create({
    schema,
    doc: binding.syncedDoc,
    plugins: [
      syncPlugin(binding),
      cursorPlugin(binding, client.awareness, { readUser: readAwarenessUser, selectionAttrs: remoteSelectionAttrs }),
      undoPlugin(binding),
      ...buildEditorPlugins({
        schema,
        undo,
        redo,
        extraPlugins: [placeholderPlugin('Start writing…'), longDocumentPlugin()],
      }),
    ],
  })
  const view: EditorView = new EditorView(mount, {
    state,
    attributes: { 'aria-label': options.ariaLabel, 'aria-multiline': 'true', role: 'textbox', spellcheck: 'true' },
    dispatchTransaction(transaction) {
      // Awareness redraws run on a timer that can fire after the view is gone.
      if (view.isDestroyed) return
      const next = view.state.apply(transaction)
      view.updateState(next)
      // React shows the document, the selection and stored marks (toolbar state, undo/redo);
      // transactions that only redraw remote cursors change none of them. Readers throttle
      // themselves (throttled-store.ts): publishing is only a store write.
      if (!transaction.docChanged && !transaction.selectionSet && !transaction.storedMarksSet) return
      // view.state, not `next`: a plugin view may have dispatched again inside updateState.
      options.onStateChange(view.state)
    },
  })
  return view
}
