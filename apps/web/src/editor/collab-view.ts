import { buildEditorPlugins, schema } from '@collab/editor'
import type { SyncClient } from '@collab/sync-client'
import { bindDoc, cursorPlugin, redo, REMOTE_META, syncPlugin, undo, undoPlugin } from '@collab/yjs-binding'
import { EditorState } from 'prosemirror-state'
import { EditorView } from 'prosemirror-view'
import { placeholderPlugin } from './placeholder-plugin'
import { readAwarenessUser } from './presence'
import { remoteSelectionAttrs } from './remote-cursors'

/**
 * How long the UI may lag behind a collaborator's change. A remote keystroke is one transaction
 * on every open page, and publishing it re-rendered the toolbar (every button's command asked
 * whether it applies) before the keystroke could paint — ~1–2 ms of a receiving page's ~10 ms of
 * script per remote keystroke (scenario 7 profile). Remote edits seldom change what the toolbar
 * shows for this user's selection, so they are published at most once per this interval; this
 * user's own transactions are still published at once (and carry any pending remote one).
 */
export const REMOTE_STATE_DELAY_MS = 200

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
        extraPlugins: [placeholderPlugin('Start writing…')],
      }),
    ],
  })
  let pendingRemote: ReturnType<typeof setTimeout> | null = null
  const publish = (): void => {
    if (pendingRemote !== null) clearTimeout(pendingRemote)
    pendingRemote = null
    // A delayed publish can fire after the view is gone.
    if (!view.isDestroyed) options.onStateChange(view.state)
  }
  const view: EditorView = new EditorView(mount, {
    state,
    attributes: { 'aria-label': options.ariaLabel, 'aria-multiline': 'true', role: 'textbox', spellcheck: 'true' },
    dispatchTransaction(transaction) {
      // Awareness redraws run on a timer that can fire after the view is gone.
      if (view.isDestroyed) return
      const next = view.state.apply(transaction)
      view.updateState(next)
      // React shows the document, the selection and stored marks (toolbar state, undo/redo);
      // transactions that only redraw remote cursors change none of them.
      if (!transaction.docChanged && !transaction.selectionSet && !transaction.storedMarksSet) return
      if (transaction.getMeta(REMOTE_META) === true) pendingRemote ??= setTimeout(publish, REMOTE_STATE_DELAY_MS)
      else publish()
    },
  })
  return view
}
