import type { Node } from 'prosemirror-model'
import { EditorState, TextSelection } from 'prosemirror-state'
import type { Command, Plugin } from 'prosemirror-state'
import { EditorView } from 'prosemirror-view'
import { buildEditorPlugins } from '../src/plugins'
import { posOf } from './builders'

export interface HistorySpy {
  undo: Command
  redo: Command
  calls: string[]
}

/** Undo/redo stand-ins that record calls (the real ones come from the Yjs binding in the app). */
export function historySpy(): HistorySpy {
  const calls: string[] = []
  return {
    calls,
    undo: () => {
      calls.push('undo')
      return true
    },
    redo: () => {
      calls.push('redo')
      return true
    },
  }
}

/** A real EditorView (needs a DOM environment) with the editor plugins and the cursor at `text`+offset. */
export function makeView(d: Node, text?: string, offset = 0, history: HistorySpy = historySpy(), plugins?: Plugin[]): EditorView {
  const state = EditorState.create({ doc: d, plugins: plugins ?? buildEditorPlugins({ undo: history.undo, redo: history.redo }) })
  const view = new EditorView(document.body.appendChild(document.createElement('div')), { state })
  const pos = text === undefined ? 1 : posOf(d, text, offset)
  view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, pos)))
  return view
}

const isMac = typeof navigator !== 'undefined' && /Mac|iP(hone|[oa]d)/.test(navigator.platform)

/**
 * Press a key through the view's keydown handlers, as a browser keydown would reach them.
 * `keys` is like "Mod-Shift-s"; returns whether a handler took it.
 */
export function press(view: EditorView, keys: string): boolean {
  const parts = keys.split(/-(?!$)/)
  const key = parts[parts.length - 1] ?? ''
  const mods = new Set(parts.slice(0, -1))
  const shift = mods.has('Shift')
  const init: KeyboardEventInit = {
    key: shift && key.length === 1 ? key.toUpperCase() : key,
    shiftKey: shift,
    altKey: mods.has('Alt'),
    ctrlKey: mods.has('Ctrl') || (mods.has('Mod') && !isMac),
    metaKey: mods.has('Meta') || (mods.has('Mod') && isMac),
    bubbles: true,
    cancelable: true,
  }
  const event = new KeyboardEvent('keydown', init)
  return view.someProp('handleKeyDown', (handler) => handler(view, event)) === true
}

/** Type text one character at a time, the way input rules see browser text input. */
export function type(view: EditorView, text: string): void {
  for (const ch of text) {
    const { from, to } = view.state.selection
    const deflt = () => view.state.tr.insertText(ch, from, to)
    const handled = view.someProp('handleTextInput', (handler) => handler(view, from, to, ch, deflt)) === true
    if (!handled) view.dispatch(deflt())
  }
}
