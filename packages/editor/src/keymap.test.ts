// @vitest-environment happy-dom
import { TextSelection } from 'prosemirror-state'
import { afterEach, describe, expect, it } from 'vitest'
import type { EditorView } from 'prosemirror-view'
import { br, doc, h, li, p, pre, strike, strong, txt, ul } from '../test/builders'
import { historySpy, makeView, press } from '../test/view'
import { buildKeymap } from './keymap'
import { schema } from './schema'

let views: EditorView[] = []
afterEach(() => {
  for (const v of views) v.destroy()
  views = []
})

function open(...args: Parameters<typeof makeView>): EditorView {
  const view = makeView(...args)
  views.push(view)
  return view
}

function textSelection(v: EditorView, from: number, to: number): TextSelection {
  return TextSelection.create(v.state.doc, from, to)
}

function selectText(v: EditorView, from: number, to: number): void {
  v.dispatch(v.state.tr.setSelection(textSelection(v, from, to)))
}

describe('buildKeymap', () => {
  it('binds every documented key', () => {
    const keys = buildKeymap(schema, historySpy())
    for (const name of [
      'Mod-z', 'Shift-Mod-z', 'Mod-y', 'Mod-b', 'Mod-i', 'Mod-Shift-s', 'Mod-e', 'Enter', 'Tab', 'Shift-Tab',
      'Mod-Enter', 'Shift-Enter', 'Mod-Alt-0', 'Mod-Alt-1', 'Mod-Alt-2', 'Mod-Alt-3', 'Backspace',
      'Mod-Home', 'Mod-End', 'Shift-Mod-Home', 'Shift-Mod-End', 'Meta-ArrowUp', 'Meta-ArrowDown', 'Shift-Meta-ArrowUp', 'Shift-Meta-ArrowDown',
    ]) {
      expect(typeof keys[name], name).toBe('function')
    }
  })

  it('routes undo and redo to the injected commands', () => {
    const history = historySpy()
    const v = open(doc(p('x')), 'x', 0, history)
    expect(press(v, 'Mod-z')).toBe(true)
    expect(press(v, 'Shift-Mod-z')).toBe(true)
    expect(press(v, 'Mod-y')).toBe(true)
    expect(history.calls).toEqual(['undo', 'redo', 'redo'])
  })
})

describe('key presses through a view', () => {
  it.each([
    ['Mod-b', strong],
    ['Mod-i', schema.marks.em.create()],
    ['Mod-Shift-s', strike],
    ['Mod-e', schema.marks.code.create()],
  ] as const)('%s marks the selection', (keys, mark) => {
    const v = open(doc(p('hello')))
    selectText(v, 1, 6)
    expect(press(v, keys)).toBe(true)
    expect(v.state.doc.eq(doc(p(txt('hello', mark))))).toBe(true)
    press(v, keys)
    expect(v.state.doc.eq(doc(p('hello')))).toBe(true)
  })

  it('Enter splits a list item, and on an empty item leaves the list', () => {
    const v = open(doc(ul(li(p('ab')))), 'b')
    expect(press(v, 'Enter')).toBe(true)
    expect(v.state.doc.eq(doc(ul(li(p('a')), li(p('b')))))).toBe(true)
    const w = open(doc(ul(li(p('a')), li(p()))), 'a', 1)
    w.dispatch(w.state.tr.setSelection(textSelection(w, w.state.doc.content.size - 3, w.state.doc.content.size - 3)))
    expect(press(w, 'Enter')).toBe(true)
    expect(w.state.doc.eq(doc(ul(li(p('a'))), p()))).toBe(true)
  })

  it('Enter outside a list falls through to baseKeymap (splits the paragraph)', () => {
    const v = open(doc(p('ab')), 'b')
    expect(press(v, 'Enter')).toBe(true)
    expect(v.state.doc.eq(doc(p('a'), p('b')))).toBe(true)
  })

  it('Tab sinks a list item and Shift-Tab lifts it back', () => {
    const v = open(doc(ul(li(p('a')), li(p('b')))), 'b')
    expect(press(v, 'Tab')).toBe(true)
    expect(v.state.doc.eq(doc(ul(li(p('a'), ul(li(p('b')))))))).toBe(true)
    expect(press(v, 'Shift-Tab')).toBe(true)
    expect(v.state.doc.eq(doc(ul(li(p('a')), li(p('b')))))).toBe(true)
  })

  it('Tab outside a list is left to the browser (focus moves on)', () => {
    const v = open(doc(p('a')))
    expect(press(v, 'Tab')).toBe(false)
  })

  it('Mod-Home and Mod-End move the caret to the start and end of the document', () => {
    const v = open(doc(h(1, 'Title'), ul(li(p('one')), li(p('two'))), p('last line')), 'two', 1)
    expect(press(v, 'Mod-End')).toBe(true)
    expect(v.state.selection.empty).toBe(true)
    expect(v.state.selection.head).toBe(v.state.doc.content.size - 1)
    expect(press(v, 'Mod-Home')).toBe(true)
    expect(v.state.selection.empty).toBe(true)
    expect(v.state.selection.head).toBe(1)
  })

  it('Shift-Mod-End and Shift-Mod-Home extend the selection from where it was', () => {
    const v = open(doc(p('first'), p('middle'), p('last')), 'middle', 3)
    const anchor = v.state.selection.anchor
    expect(press(v, 'Shift-Mod-End')).toBe(true)
    expect([v.state.selection.anchor, v.state.selection.head]).toEqual([anchor, v.state.doc.content.size - 1])
    expect(press(v, 'Shift-Mod-Home')).toBe(true)
    expect([v.state.selection.anchor, v.state.selection.head]).toEqual([anchor, 1])
    expect(v.state.doc.eq(doc(p('first'), p('middle'), p('last')))).toBe(true)
  })

  it('Mod-Enter and Shift-Enter insert hard breaks', () => {
    const v = open(doc(p('ab')), 'b')
    expect(press(v, 'Mod-Enter')).toBe(true)
    expect(press(v, 'Shift-Enter')).toBe(true)
    expect(v.state.doc.eq(doc(p('a', br(), br(), 'b')))).toBe(true)
  })

  it('in a code block Shift-Enter is a newline and Mod-Enter leaves the block', () => {
    const v = open(doc(pre('ab')), 'b')
    expect(press(v, 'Shift-Enter')).toBe(true)
    expect(v.state.doc.eq(doc(pre('a\nb')))).toBe(true)
    expect(press(v, 'Mod-Enter')).toBe(true)
    expect(v.state.doc.eq(doc(pre('a\nb'), p()))).toBe(true)
  })

  it('Mod-Alt-1..3 set headings and Mod-Alt-0 a paragraph', () => {
    const v = open(doc(p('t')))
    for (const level of [1, 2, 3] as const) {
      expect(press(v, `Mod-Alt-${level}`)).toBe(true)
      expect(v.state.doc.eq(doc(h(level, 't')))).toBe(true)
    }
    expect(press(v, 'Mod-Alt-0')).toBe(true)
    expect(v.state.doc.eq(doc(p('t')))).toBe(true)
  })

  it('baseKeymap is active (Mod-a selects all)', () => {
    const v = open(doc(p('a'), p('b')))
    expect(press(v, 'Mod-a')).toBe(true)
    expect(v.state.selection.from).toBe(0)
    expect(v.state.selection.to).toBe(v.state.doc.content.size)
  })
})
