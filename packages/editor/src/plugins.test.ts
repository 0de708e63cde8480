import { baseKeymap } from 'prosemirror-commands'
import { EditorState, Plugin } from 'prosemirror-state'
import { describe, expect, it } from 'vitest'
import { buildEditorPlugins } from './plugins'
import { schema } from './schema'

describe('buildEditorPlugins', () => {
  const noop = () => false

  it('returns input rules, editor keymap, base keymap, drop cursor, gap cursor, code block view, then extras', () => {
    const extra = new Plugin({})
    const plugins = buildEditorPlugins({ undo: noop, redo: noop, extraPlugins: [extra] })
    expect(plugins).toHaveLength(7)
    // The input rules plugin is the one that handles text input and is flagged as such.
    expect((plugins[0]?.spec as { isInputRules?: boolean }).isInputRules).toBe(true)
    expect(typeof plugins[1]?.props.handleKeyDown).toBe('function')
    expect(typeof plugins[2]?.props.handleKeyDown).toBe('function')
    expect(plugins[6]).toBe(extra)
  })

  it('plugins build a valid state on the schema and leave history to the caller', () => {
    const state = EditorState.create({ schema, plugins: buildEditorPlugins({ undo: noop, redo: noop }) })
    expect(state.plugins).toHaveLength(6)
    expect(state.doc.type).toBe(schema.nodes.doc)
    expect(Object.keys(baseKeymap)).toContain('Enter')
  })
})
