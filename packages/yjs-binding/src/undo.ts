// Undo that only undoes this client's own edits: a Y.UndoManager tracking only the binding's
// transactions. Undoing never touches what others typed, even inside a block you created.
import { Plugin, PluginKey, TextSelection } from 'prosemirror-state'
import type { Command, EditorState } from 'prosemirror-state'
import * as Y from 'yjs'
import type { Binding, RelativeSelection } from './binding'

/** Plugin key of the undo plugin; its state holds the undo manager. */
export const undoPluginKey = new PluginKey<{ undoManager: Y.UndoManager }>('collab-undo')

/** Edits closer together than this (ms) undo as one step. */
export const UNDO_CAPTURE_MS = 500

const SELECTION_META = 'collab-selection'

export function createUndoManager(binding: Binding): Y.UndoManager {
  return new Y.UndoManager(binding.text, { trackedOrigins: new Set([binding.origin]), captureTimeout: UNDO_CAPTURE_MS })
}

function managerOf(state: EditorState): Y.UndoManager | null {
  return undoPluginKey.getState(state)?.undoManager ?? null
}

/** Undo this client's last change (false when there is nothing to undo). */
export const undo: Command = (state, dispatch) => {
  const manager = managerOf(state)
  if (manager === null || !manager.canUndo()) return false
  if (dispatch !== undefined) manager.undo()
  return true
}

/** Redo what `undo` undid (false when there is nothing to redo). */
export const redo: Command = (state, dispatch) => {
  const manager = managerOf(state)
  if (manager === null || !manager.canRedo()) return false
  if (dispatch !== undefined) manager.redo()
  return true
}

/** Keeps the undo manager in the editor state and restores selections on undo/redo. */
export function undoPlugin(binding: Binding, undoManager: Y.UndoManager = createUndoManager(binding)): Plugin {
  return new Plugin({
    key: undoPluginKey,
    state: {
      init: () => ({ undoManager }),
      apply: (_tr, value) => value,
    },
    view(view) {
      const added = (event: { stackItem: { meta: Map<unknown, unknown> }; type: 'undo' | 'redo' }): void => {
        if (event.stackItem.meta.has(SELECTION_META)) return
        const selection =
          event.type === 'undo' ? binding.selectionBefore : binding.relativeSelection(view.state.selection.anchor, view.state.selection.head)
        if (selection !== null) event.stackItem.meta.set(SELECTION_META, selection)
      }
      const popped = (event: { stackItem: { meta: Map<unknown, unknown> } }): void => {
        const selection = event.stackItem.meta.get(SELECTION_META) as RelativeSelection | undefined
        if (selection === undefined || view.isDestroyed || view.state.doc !== binding.syncedDoc) return
        const anchor = binding.resolve(selection.anchor)
        const head = binding.resolve(selection.head)
        if (anchor === null || head === null) return
        const doc = view.state.doc
        const clamp = (pos: number): number => Math.max(0, Math.min(pos, doc.content.size))
        view.dispatch(view.state.tr.setSelection(TextSelection.between(doc.resolve(clamp(anchor)), doc.resolve(clamp(head)))).setMeta('addToHistory', false))
      }
      undoManager.on('stack-item-added', added)
      undoManager.on('stack-item-popped', popped)
      return {
        destroy() {
          undoManager.off('stack-item-added', added)
          undoManager.off('stack-item-popped', popped)
          undoManager.destroy()
        },
      }
    },
  })
}
