// @vitest-environment happy-dom
// A horizontal rule inserted at the start, middle or end of a block in every kind of container,
// with and without a block after it, is written so that Yjs renders exactly the editor's document
// and the text around it (a marker) stays whole.
import { insertHorizontalRule, setCodeBlock, setHeading, toggleBlockquote, toggleBulletList, toggleOrderedList } from '@collab/editor'
import { TextSelection } from 'prosemirror-state'
import type { Command } from 'prosemirror-state'
import { expect, it } from 'vitest'
import { readLines, renderDoc } from '../src/index'
import { makePeer } from './peers'

const text = 'thistle [[D1x3]][[C1x3]]'
const wraps: [string, Command[]][] = [
  ['plain', []],
  ['list', [toggleBulletList]],
  ['olist', [toggleOrderedList]],
  ['quote', [toggleBlockquote]],
  ['quote+list', [toggleBlockquote, toggleBulletList]],
  ['heading', [setHeading(2)]],
  ['code', [setCodeBlock]],
  ['list+heading', [toggleBulletList, setHeading(1)]],
]
for (const [label, commands] of wraps) {
  for (const where of ['end', 'mid', 'start']) {
    for (const after of [true, false]) {
      it(`hr at ${where} of ${label} (${after ? 'with' : 'without'} a block after)`, () => {
        const a = makePeer('a')
        const { view } = a
        view.dispatch(view.state.tr.insertText(text + ' tail', 1))
        if (after) view.dispatch(view.state.tr.split(view.state.doc.content.size - 1).insertText('second', view.state.doc.content.size + 1))
        view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, 2)))
        for (const command of commands) command(view.state, view.dispatch)
        let pos = -1
        view.state.doc.descendants((node, p) => {
          if (node.isText && pos < 0 && node.text!.includes('thistle')) pos = p + (where === 'end' ? node.text!.length : where === 'start' ? 0 : 16)
          return pos < 0
        })
        view.dispatch(view.state.tr.setSelection(TextSelection.create(view.state.doc, pos)))
        insertHorizontalRule(view.state, view.dispatch)
        view.dispatch(view.state.tr.insertText('x'))
        const fromY = renderDoc(view.state.schema, readLines(a.binding.text))
        expect(fromY.toJSON()).toEqual(view.state.doc.toJSON())
        expect(a.binding.text.toString()).toContain('[[C1x3]]')
      })
    }
  }
}
