// The ProseMirror side of the binding: writes local transactions to Yjs and renders Yjs changes
// made by anyone else (peers, the undo manager, IndexedDB) into the view.
import type { Node as PMNode } from 'prosemirror-model'
import { Plugin, PluginKey, TextSelection } from 'prosemirror-state'
import type { EditorState, Transaction } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import type * as Y from 'yjs'
import type { Binding, ChangedRange, RelativeSelection } from './binding'

/** Plugin key of the sync plugin. */
export const syncPluginKey = new PluginKey<SyncState>('collab-sync')

/** Transaction meta set on transactions that show Yjs changes (never written back). */
export const REMOTE_META = 'collab-sync-remote'

/** Replaces only the part of `from` that differs from `to`, so the selection maps naturally. */
export function replaceDocument(tr: Transaction, from: PMNode, to: PMNode): Transaction {
  const start = from.content.findDiffStart(to.content)
  if (start === null) return tr
  const end = from.content.findDiffEnd(to.content)
  let endA = end?.a ?? from.content.size
  let endB = end?.b ?? to.content.size
  const overlap = start - Math.min(endA, endB)
  if (overlap > 0) {
    endA += overlap
    endB += overlap
  }
  tr.replace(start, endA, to.slice(start, endB))
  if (!tr.doc.eq(to)) tr.replaceWith(0, tr.doc.content.size, to.content)
  return tr
}

/** The sync plugin's state: the binding, and where the document changed since it was synced. */
export interface SyncState {
  readonly binding: Binding
  /** The document `changed` is relative to (the binding's synced document at the time). */
  readonly since: PMNode
  readonly changed: ChangedRange | null
}

/** Grows `range` by what `tr` changed, in the coordinates of `tr.doc`. */
function accumulate(range: ChangedRange | null, tr: Transaction): ChangedRange | null {
  let result = range
  for (const map of tr.mapping.maps) {
    if (result !== null) result = { from: map.map(result.from, -1), to: map.map(result.to, 1) }
    map.forEach((_oldStart, _oldEnd, newStart, newEnd) => {
      result = result === null ? { from: newStart, to: newEnd } : { from: Math.min(result.from, newStart), to: Math.max(result.to, newEnd) }
    })
  }
  return result
}

/** Binds the view to the binding's content text. Create the state with `binding.syncedDoc`. */
export function syncPlugin(binding: Binding): Plugin<SyncState> {
  return new Plugin<SyncState>({
    key: syncPluginKey,
    state: {
      init: () => ({ binding, since: binding.syncedDoc, changed: null }),
      apply(tr, value, oldState) {
        // Once the binding has written (or rendered) a document, start over from it.
        const fresh = value.since !== binding.syncedDoc || oldState.doc === binding.syncedDoc
        const base = fresh ? null : value.changed
        if (!tr.docChanged || tr.getMeta(REMOTE_META) === true) return { binding, since: binding.syncedDoc, changed: fresh ? null : base }
        return { binding, since: binding.syncedDoc, changed: accumulate(base, tr) }
      },
    },
    view(view) {
      let rendering = false
      let destroyed = false
      // The local selection as Yjs positions, taken whenever the view and Yjs agree: a remote
      // change then puts the caret back next to the same characters (ProseMirror's mapping would
      // push a caret past text inserted exactly at it, interleaving two people's typing).
      let selection: RelativeSelection | null = null
      const remember = (): void => {
        const { anchor, head } = view.state.selection
        selection = view.state.selection instanceof TextSelection ? binding.relativeSelection(anchor, head, true) : null
      }
      const restore = (): void => {
        if (selection === null || !(view.state.selection instanceof TextSelection)) return
        const anchor = binding.resolve(selection.anchor)
        const head = binding.resolve(selection.head)
        const doc = view.state.doc
        if (anchor === null || head === null || anchor > doc.content.size || head > doc.content.size) return
        if (anchor === view.state.selection.anchor && head === view.state.selection.head) return
        view.dispatch(view.state.tr.setSelection(TextSelection.between(doc.resolve(anchor), doc.resolve(head))).setMeta('addToHistory', false))
      }
      const render = (events?: readonly Y.YEvent<Y.AbstractType<unknown>>[]): void => {
        if (destroyed || view.isDestroyed) return
        const reading = binding.readYjs(events)
        const doc = reading.doc
        const tr = replaceDocument(view.state.tr, view.state.doc, doc)
        tr.setMeta('addToHistory', false).setMeta(REMOTE_META, true)
        rendering = true
        try {
          view.dispatch(tr)
        } finally {
          rendering = false
        }
        const shown = view.state.doc
        if (shown.eq(doc)) {
          binding.adoptReading(reading, shown)
        } else {
          // Another plugin changed the document in response: write that change as our own.
          binding.adopt(reading.lines, doc)
          binding.writeDoc(shown)
        }
        restore()
      }
      const observer = (events: Y.YEvent<Y.AbstractType<unknown>>[], transaction: Y.Transaction): void => {
        if (transaction.origin !== binding.origin) render(events)
      }
      binding.text.observeDeep(observer)
      // Yjs may have changed between building the state and mounting the view.
      if (!view.state.doc.eq(binding.readYjs().doc)) render()
      remember()
      return {
        update(updated: EditorView, previous: EditorState) {
          if (rendering) return
          if (updated.state.doc !== binding.syncedDoc) {
            // Where the selection was before this change, for the undo manager to restore.
            binding.selectionBefore = binding.relativeSelection(previous.selection.anchor, previous.selection.head)
            binding.writeDoc(updated.state.doc, syncPluginKey.getState(updated.state)?.changed ?? null)
          }
          if (updated.state.doc !== previous.doc || !updated.state.selection.eq(previous.selection)) remember()
        },
        destroy() {
          destroyed = true
          binding.text.unobserveDeep(observer)
        },
      }
    },
  })
}
