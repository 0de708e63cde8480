// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest'
import type { Node } from 'prosemirror-model'
import type { EditorView } from 'prosemirror-view'
import { bq, code, doc, em, h, hr, li, ol, p, pre, strike, strong, txt, ul } from '../test/builders'
import { makeView, press, type } from '../test/view'
import { buildEditorPlugins } from './plugins'
import { schema } from './schema'

let views: EditorView[] = []
afterEach(() => {
  for (const v of views) v.destroy()
  views = []
})

/** Type `text` into an empty paragraph (or at `at` in `start`) and return the document. */
function typed(text: string, start: Node = doc(p()), at?: string, offset = 0): EditorView {
  const view = makeView(start, at, offset)
  views.push(view)
  type(view, text)
  return view
}

const ordered = (order: number, ...items: Node[]): Node => schema.nodes.ordered_list.create({ order }, items)

describe('block input rules', () => {
  it.each([
    ['# ', 1],
    ['## ', 2],
    ['### ', 3],
  ] as const)('%j makes heading %i', (prefix, level) => {
    expect(typed(`${prefix}Title`).state.doc.eq(doc(h(level, 'Title')))).toBe(true)
  })

  it('#### is not a heading level and stays text', () => {
    expect(typed('#### x').state.doc.eq(doc(p('#### x')))).toBe(true)
  })

  it.each(['- ', '* ', '+ '])('%j starts a bullet list', (prefix) => {
    expect(typed(`${prefix}item`).state.doc.eq(doc(ul(li(p('item')))))).toBe(true)
  })

  it('"1. " starts an ordered list and "7. " keeps its number', () => {
    expect(typed('1. one').state.doc.eq(doc(ordered(1, li(p('one')))))).toBe(true)
    const seven = typed('7. seven').state.doc
    expect(seven.eq(doc(ordered(7, li(p('seven')))))).toBe(true)
  })

  it('"> " wraps in a blockquote', () => {
    expect(typed('> wise').state.doc.eq(doc(bq(p('wise'))))).toBe(true)
  })

  it('three backticks make a code block where later rules do not fire', () => {
    expect(typed('```**not bold** # x').state.doc.eq(doc(pre('**not bold** # x')))).toBe(true)
  })

  it('--- in an empty paragraph becomes a horizontal rule with the cursor after it', () => {
    const view = typed('---after')
    expect(view.state.doc.eq(doc(hr(), p('after')))).toBe(true)
  })

  it('--- after other text in the paragraph stays text', () => {
    expect(typed('a---').state.doc.eq(doc(p('a---')))).toBe(true)
  })

  it('block rules fire only at the start of a textblock', () => {
    expect(typed('x # y - z > w').state.doc.eq(doc(p('x # y - z > w')))).toBe(true)
  })

  it('Backspace right after a rule restores the typed text', () => {
    const view = typed('# ')
    expect(view.state.doc.eq(doc(h(1)))).toBe(true)
    expect(press(view, 'Backspace')).toBe(true)
    expect(view.state.doc.eq(doc(p('# ')))).toBe(true)
  })
})

describe('mark input rules', () => {
  it.each([
    ['**bold**', strong, 'bold'],
    ['__bold__', strong, 'bold'],
    ['*it*', em, 'it'],
    ['_it_', em, 'it'],
    ['~~gone~~', strike, 'gone'],
    ['`x = 1`', code, 'x = 1'],
    ['**two words**', strong, 'two words'],
  ] as const)('%j marks its content and drops the delimiters', (input, mark, content) => {
    const view = typed(`say ${input} more`)
    expect(view.state.doc.eq(doc(p('say ', txt(content, mark), ' more')))).toBe(true)
  })

  it('does not mark across whitespace-padded or empty delimiters', () => {
    expect(typed('a ** b ** c').state.doc.eq(doc(p('a ** b ** c')))).toBe(true)
    expect(typed('x ** y').state.doc.eq(doc(p('x ** y')))).toBe(true)
    expect(typed('``').state.doc.eq(doc(p('``')))).toBe(true)
  })

  it('leaves snake_case_words and 2*3*4 alone', () => {
    expect(typed('snake_case_word').state.doc.eq(doc(p('snake_case_word')))).toBe(true)
    expect(typed('2*3*4').state.doc.eq(doc(p('2*3*4')))).toBe(true)
  })

  it('keeps existing marks inside and does not carry the new mark on', () => {
    const start = doc(p('**a', txt('b', em), 'c*'))
    const view = makeView(start, 'c*', 2)
    views.push(view)
    type(view, '*x')
    expect(view.state.doc.eq(doc(p(txt('a', strong), txt('b', strong, em), txt('c', strong), 'x')))).toBe(true)
  })

  it('works inside list items and headings', () => {
    expect(typed('- **b**').state.doc.eq(doc(ul(li(p(txt('b', strong))))))).toBe(true)
    expect(typed('# *e*').state.doc.eq(doc(h(1, txt('e', em))))).toBe(true)
  })

  it('does not fire inside inline code', () => {
    const view = makeView(doc(p(txt('**x*', code))), '**x*', 4)
    views.push(view)
    type(view, '*')
    expect(view.state.doc.textContent).toBe('**x**')
    expect(view.state.doc.rangeHasMark(1, view.state.doc.content.size - 1, schema.marks.strong)).toBe(false)
  })

  it('typography rules are off by default and on with the option', () => {
    expect(typed('"hi"...').state.doc.eq(doc(p('"hi"...')))).toBe(true)
    const view = makeView(doc(p()), undefined, 0, undefined, buildEditorPlugins({ undo: () => false, redo: () => false, typography: true }))
    views.push(view)
    type(view, '"hi"...')
    expect(view.state.doc.eq(doc(p('\u201chi\u201d\u2026')))).toBe(true)
  })
})
