export { Binding, BindingMismatchError, IncrementalMismatchError } from './binding'
export type { BindingOptions, RelativeSelection, YjsReading } from './binding'
export { contentText, findContentText, FRAGMENT_NAME, GENESIS_CLIENT_ID, GENESIS_ORIGIN } from './root'
export { syncPlugin, syncPluginKey, replaceDocument, REMOTE_META } from './sync-plugin'
export { undoPlugin, undoPluginKey, undo, redo, createUndoManager, UNDO_CAPTURE_MS } from './undo'
export { cursorPlugin, cursorPluginKey, defaultCursor, CURSOR_FIELD } from './cursor-plugin'
export type { CursorPluginOptions, CursorUser } from './cursor-plugin'
export { flattenDoc } from './flatten'
export { readLines } from './read-y'
export { renderDoc } from './render'

import type { Schema } from 'prosemirror-model'
import type * as Y from 'yjs'
import { Binding } from './binding'
import type { BindingOptions } from './binding'
import { contentText } from './root'

/** A binding on `ydoc`'s content text (created when missing). */
export function bindDoc(ydoc: Y.Doc, schema: Schema, options: BindingOptions = {}): Binding {
  return new Binding(schema, contentText(ydoc), undefined, options)
}
