import { chainCommands, exitCode, newlineInCode, setBlockType, toggleMark } from 'prosemirror-commands'
import { undoInputRule } from 'prosemirror-inputrules'
import { liftListItem, sinkListItem, splitListItem } from 'prosemirror-schema-list'
import type { Command } from 'prosemirror-state'
import { insertHardBreak, moveToDocumentEdge } from './commands'
import type { EditorSchema } from './schema'

/** Undo/redo come from outside so the web app can pass the Yjs binding's (undo only your own edits). */
export interface HistoryCommands {
  undo: Command
  redo: Command
}

/** Key name (prosemirror-keymap syntax) → command. */
export type KeyBindings = Record<string, Command>

/**
 * The editor's own key bindings, meant to sit before `baseKeymap` (see `buildEditorPlugins`).
 * Letters are bound in both cases so the shortcut also works with Caps Lock or Shift held.
 */
export function buildKeymap(schema: EditorSchema, history: HistoryCommands): KeyBindings {
  const keys: KeyBindings = {}
  const bind = (names: readonly string[], command: Command): void => {
    for (const name of names) keys[name] = command
  }

  bind(['Mod-z', 'Mod-Z'], history.undo)
  bind(['Shift-Mod-z', 'Shift-Mod-Z', 'Mod-y', 'Mod-Y'], history.redo)
  // Backspace right after an input rule fired restores what was typed ("# " instead of a heading).
  bind(['Backspace'], undoInputRule)

  bind(['Mod-b', 'Mod-B'], toggleMark(schema.marks.strong))
  bind(['Mod-i', 'Mod-I'], toggleMark(schema.marks.em))
  bind(['Mod-Shift-s', 'Mod-Shift-S'], toggleMark(schema.marks.strike))
  bind(['Mod-e', 'Mod-E'], toggleMark(schema.marks.code))

  // In a code block Mod-Enter leaves the block, and Shift-Enter stays a newline.
  bind(['Mod-Enter'], chainCommands(exitCode, insertHardBreak))
  bind(['Shift-Enter'], chainCommands(newlineInCode, insertHardBreak))

  const item = schema.nodes.list_item
  bind(['Enter'], splitListItem(item))
  bind(['Tab'], sinkListItem(item))
  bind(['Shift-Tab'], liftListItem(item))

  // Start and end of the document (Cmd-Up/Down on macOS), moved by ProseMirror rather than by the
  // browser, whose move needs layout that long documents skip off screen (see the command).
  bind(['Mod-Home', 'Meta-ArrowUp'], moveToDocumentEdge('start'))
  bind(['Mod-End', 'Meta-ArrowDown'], moveToDocumentEdge('end'))
  bind(['Shift-Mod-Home', 'Shift-Meta-ArrowUp'], moveToDocumentEdge('start', true))
  bind(['Shift-Mod-End', 'Shift-Meta-ArrowDown'], moveToDocumentEdge('end', true))

  bind(['Mod-Alt-0'], setBlockType(schema.nodes.paragraph))
  for (const level of [1, 2, 3] as const) {
    bind([`Mod-Alt-${level}`], setBlockType(schema.nodes.heading, { level }))
  }
  return keys
}
