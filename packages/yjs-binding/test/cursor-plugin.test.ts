// @vitest-environment happy-dom
import { schema } from '@collab/editor'
import { EditorState, TextSelection, type Transaction } from 'prosemirror-state'
import { EditorView } from 'prosemirror-view'
import { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { bindDoc, cursorPlugin, cursorPluginKey, CURSOR_FIELD, syncPlugin } from '../src/index'

const REFRESH_META = 'collab-cursors-refresh'
const views: EditorView[] = []

afterEach(() => {
  for (const view of views.splice(0)) view.destroy()
})

function editor(settleMs = 40) {
  const ydoc = new Y.Doc()
  const awareness = new Awareness(ydoc)
  const binding = bindDoc(ydoc, schema)
  const transactions: Transaction[] = []
  const state = EditorState.create({
    schema,
    doc: binding.syncedDoc,
    plugins: [syncPlugin(binding), cursorPlugin(binding, awareness, { readUser: () => ({ name: 'Ada', color: '#ff0000' }), settleMs })],
  })
  const view: EditorView = new EditorView(document.body.appendChild(document.createElement('div')), {
    state,
    dispatchTransaction(tr) {
      transactions.push(tr)
      view.updateState(view.state.apply(tr))
    },
  })
  views.push(view)
  const type = (text: string) => view.dispatch(view.state.tr.insertText(text))
  const redraws = () => transactions.filter((tr) => tr.getMeta(REFRESH_META) === true).length
  return { ydoc, awareness, binding, view, type, redraws }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

/** A second client whose awareness state (with a caret at `index`) the editor has received. */
function addRemoteCaret(target: ReturnType<typeof editor>, index: number): void {
  const remote = new Awareness(new Y.Doc())
  const position = Y.createRelativePositionFromTypeIndex(target.binding.text, index)
  remote.setLocalState({ user: { name: 'Ada', color: '#ff0000' }, [CURSOR_FIELD]: { anchor: Y.relativePositionToJSON(position), head: Y.relativePositionToJSON(position) } })
  target.awareness.states.set(remote.clientID, remote.getLocalState() as Record<string, unknown>)
  target.awareness.emit('change', [{ added: [remote.clientID], updated: [], removed: [] }, 'remote'])
}

describe('cursor plugin', () => {
  it('does not redraw remote cursors after a local edit when nobody else has a cursor', async () => {
    const ed = editor()
    ed.view.dispatch(ed.view.state.tr.setSelection(TextSelection.create(ed.view.state.doc, 1)))
    for (const letter of 'hello') {
      ed.type(letter)
      await settle()
    }
    expect(ed.view.state.doc.textContent).toBe('hello')
    expect(ed.redraws()).toBe(0)
    expect(cursorPluginKey.getState(ed.view.state)?.find()).toEqual([])
  })

  it('maps a shown remote cursor through edits and redraws it once the document is quiet', async () => {
    const ed = editor()
    ed.view.dispatch(ed.view.state.tr.setSelection(TextSelection.create(ed.view.state.doc, 1)))
    ed.type('ab')
    await settle()
    addRemoteCaret(ed, 1) // between "a" and "b": document position 2
    await settle()
    const caretAt = () => cursorPluginKey.getState(ed.view.state)?.find().map((decoration) => decoration.from)
    expect(caretAt()).toEqual([2])
    const before = ed.redraws()
    // A burst of edits before the caret: it moves with the text at once, without a redraw.
    ed.view.dispatch(ed.view.state.tr.setSelection(TextSelection.create(ed.view.state.doc, 1)))
    for (const letter of 'xyz') {
      ed.type(letter)
      await settle()
    }
    expect(caretAt()).toEqual([5])
    expect(ed.redraws()).toBe(before)
    // Quiet for settleMs: one redraw from the Yjs positions, which agrees.
    await new Promise((resolve) => setTimeout(resolve, 80))
    expect(ed.redraws()).toBe(before + 1)
    expect(caretAt()).toEqual([5])
    expect(ed.view.state.doc.textContent).toBe('xyzab')
  })
})
