import { baseKeymap } from 'prosemirror-commands'
import { dropCursor } from 'prosemirror-dropcursor'
import { gapCursor } from 'prosemirror-gapcursor'
import { inputRules } from 'prosemirror-inputrules'
import { keymap } from 'prosemirror-keymap'
import type { Plugin } from 'prosemirror-state'
import { codeBlockViewPlugin } from './code-block-view'
import { buildInputRules } from './input-rules'
import type { InputRuleOptions } from './input-rules'
import { buildKeymap } from './keymap'
import type { HistoryCommands } from './keymap'
import { schema as defaultSchema } from './schema'
import type { EditorSchema } from './schema'

/** Options for `buildEditorPlugins`. */
export interface EditorPluginOptions extends HistoryCommands, InputRuleOptions {
  /** Defaults to this package's `schema`. */
  schema?: EditorSchema
  /** Appended after the editor's own plugins (e.g. a placeholder or a read-only guard). */
  extraPlugins?: readonly Plugin[]
}

/**
 * The editor's plugins, in this order:
 *
 * 1. input rules — markdown shortcuts, seen before any key binding handles the text;
 * 2. the editor keymap (`buildKeymap`) — must precede baseKeymap so Enter splits list items and
 *    Backspace can undo an input rule before the generic Enter/Backspace run;
 * 3. `baseKeymap` — the generic editing keys;
 * 4. drop cursor and gap cursor;
 * 5. the code block's editing DOM (`codeBlockViewPlugin`: a single <pre>, so typed text cannot
 *    land outside the block's content);
 * 6. `extraPlugins`.
 *
 * The web app puts the Yjs binding's plugins *before* these:
 * `[syncPlugin(binding), cursorPlugin(…), undoPlugin(binding), ...buildEditorPlugins({ undo, redo })]`,
 * so the sync plugin sees every transaction and the history is the binding's (no
 * prosemirror-history here).
 */
export function buildEditorPlugins(options: EditorPluginOptions): Plugin[] {
  const schema = options.schema ?? defaultSchema
  const ruleOptions: InputRuleOptions = options.typography === undefined ? {} : { typography: options.typography }
  return [
    inputRules({ rules: buildInputRules(schema, ruleOptions) }),
    keymap(buildKeymap(schema, { undo: options.undo, redo: options.redo })),
    keymap(baseKeymap),
    dropCursor(),
    gapCursor(),
    codeBlockViewPlugin(),
    ...(options.extraPlugins ?? []),
  ]
}
