import { describe, expect, it } from 'vitest'
import { apply, bq, br, cursorState, doc, em, h, hr, li, nodeSelectState, ol, p, posOf, pre, run, selectState, strong, txt, ul } from '../test/builders'
import {
  insertHardBreak,
  insertHorizontalRule,
  setCodeBlock,
  setHeading,
  setParagraph,
  toggleBlockquote,
  toggleBold,
  toggleBulletList,
  toggleCode,
  toggleItalic,
  toggleOrderedList,
  toggleStrike,
} from './commands'
import { schema } from './schema'
import type { HeadingLevel } from './schema'
import { isBlockActive, isInList, isMarkActive } from './state-queries'

const { marks, nodes } = schema

describe('mark toggles', () => {
  it.each([
    ['bold', toggleBold, marks.strong],
    ['italic', toggleItalic, marks.em],
    ['strike', toggleStrike, marks.strike],
    ['code', toggleCode, marks.code],
  ] as const)('%s toggles on and off over a range', (_name, command, markType) => {
    const start = selectState(doc(p('hello world')), 'world')
    expect(isMarkActive(start, markType)).toBe(false)
    const on = apply(start, command)
    expect(on.doc.eq(doc(p('hello ', txt('world', markType.create()))))).toBe(true)
    expect(isMarkActive(on, markType)).toBe(true)
    const off = apply(on, command)
    expect(off.doc.eq(doc(p('hello world')))).toBe(true)
    expect(isMarkActive(off, markType)).toBe(false)
  })

  it('adds the mark over a partly marked range first, across blocks', () => {
    const state = selectState(doc(p('ab', txt('cd', strong)), p('ef')), 'b', 'e')
    expect(isMarkActive(state, marks.strong)).toBe(true)
    const off = apply(state, toggleBold)
    expect(off.doc.eq(doc(p('abcd'), p('ef')))).toBe(true)
  })

  it('with an empty selection sets a stored mark that typing uses', () => {
    const state = cursorState(doc(p('ab')), 'b')
    const next = apply(state, toggleItalic)
    expect(next.doc.eq(state.doc)).toBe(true)
    expect(isMarkActive(next, marks.em)).toBe(true)
    const typed = next.apply(next.tr.insertText('X'))
    expect(typed.doc.eq(doc(p('a', txt('X', em), 'b')))).toBe(true)
  })

  it('detects a mark at the cursor inside marked text', () => {
    const state = cursorState(doc(p(txt('bold', strong))), 'bold', 2)
    expect(isMarkActive(state, marks.strong)).toBe(true)
    expect(isMarkActive(state, marks.em)).toBe(false)
  })

  it('refuses marks inside a code block', () => {
    const state = selectState(doc(pre('let x')), 'let')
    expect(run(state, toggleBold)).toBeNull()
  })
})

describe('block types', () => {
  it.each([1, 2, 3] as HeadingLevel[])('setHeading(%i) and back to paragraph', (level) => {
    const state = cursorState(doc(p('title'), p('body')), 'title')
    const heading = apply(state, setHeading(level))
    expect(heading.doc.eq(doc(h(level, 'title'), p('body')))).toBe(true)
    expect(isBlockActive(heading, nodes.heading, { level })).toBe(true)
    expect(isBlockActive(heading, nodes.heading, { level: level === 1 ? 2 : 1 })).toBe(false)
    expect(isBlockActive(heading, nodes.paragraph)).toBe(false)
    const back = apply(heading, setParagraph)
    expect(back.doc.eq(state.doc)).toBe(true)
    expect(isBlockActive(back, nodes.paragraph)).toBe(true)
  })

  it('changes heading level and declines setting the same level again', () => {
    const state = cursorState(doc(h(1, 'x')), 'x')
    expect(run(state, setHeading(1))).toBeNull()
    expect(apply(state, setHeading(3)).doc.eq(doc(h(3, 'x')))).toBe(true)
  })

  it('heading spanning selection over two blocks converts both', () => {
    const state = selectState(doc(p('one'), p('two')), 'one', 'two')
    expect(apply(state, setHeading(2)).doc.eq(doc(h(2, 'one'), h(2, 'two')))).toBe(true)
  })

  it('isBlockActive is false when only one end of the selection is in the block', () => {
    const state = selectState(doc(h(1, 'one'), p('two')), 'one', 'two')
    expect(isBlockActive(state, nodes.heading, { level: 1 })).toBe(false)
  })

  it('setCodeBlock drops marks and turns hard breaks into newlines', () => {
    const state = cursorState(doc(p(txt('a', strong), br(), 'b')), 'a')
    const next = apply(state, setCodeBlock)
    expect(next.doc.eq(doc(pre('a\nb')))).toBe(true)
    expect(isBlockActive(next, nodes.code_block)).toBe(true)
    expect(apply(next, setParagraph).doc.eq(doc(p('a', br(), 'b')))).toBe(true)
  })
})

describe('lists', () => {
  it('wraps a paragraph in a bullet list and lifts it out again', () => {
    const state = cursorState(doc(p('item')), 'item')
    const listed = apply(state, toggleBulletList)
    expect(listed.doc.eq(doc(ul(li(p('item')))))).toBe(true)
    expect(isInList(listed, nodes.bullet_list)).toBe(true)
    expect(isInList(listed, nodes.ordered_list)).toBe(false)
    const lifted = apply(listed, toggleBulletList)
    expect(lifted.doc.eq(doc(p('item')))).toBe(true)
    expect(isInList(lifted, nodes.bullet_list)).toBe(false)
  })

  it('wraps several paragraphs into one ordered list starting at 1', () => {
    const state = selectState(doc(p('a'), p('b')), 'a', 'b')
    const next = apply(state, toggleOrderedList)
    expect(next.doc.eq(doc(ol(li(p('a')), li(p('b')))))).toBe(true)
    expect(next.doc.firstChild?.attrs.order).toBe(1)
  })

  it('converts a bullet list into an ordered list and back, keeping items', () => {
    const state = cursorState(doc(ul(li(p('a')), li(p('b')))), 'b')
    const ordered = apply(state, toggleOrderedList)
    expect(ordered.doc.eq(doc(ol(li(p('a')), li(p('b')))))).toBe(true)
    expect(isInList(ordered, nodes.ordered_list)).toBe(true)
    const bullets = apply(ordered, toggleBulletList)
    expect(bullets.doc.eq(state.doc)).toBe(true)
  })

  it('converts only the innermost list of a nested list', () => {
    const state = cursorState(doc(ul(li(p('outer'), ul(li(p('inner')))))), 'inner')
    const next = apply(state, toggleOrderedList)
    expect(next.doc.eq(doc(ul(li(p('outer'), ol(li(p('inner')))))))).toBe(true)
    expect(isInList(next, nodes.ordered_list)).toBe(true)
  })

  it('toggling the inner list type lifts an item out of the nested list only', () => {
    const state = cursorState(doc(ul(li(p('outer'), ul(li(p('inner')))))), 'inner')
    const next = apply(state, toggleBulletList)
    expect(next.doc.eq(doc(ul(li(p('outer')), li(p('inner')))))).toBe(true)
  })

  it('lifts only the selected item out of a list', () => {
    const state = cursorState(doc(ul(li(p('a')), li(p('b')), li(p('c')))), 'b')
    const next = apply(state, toggleBulletList)
    expect(next.doc.eq(doc(ul(li(p('a'))), p('b'), ul(li(p('c')))))).toBe(true)
  })
})

describe('blockquote', () => {
  it('wraps and unwraps', () => {
    const state = cursorState(doc(p('quote')), 'quote')
    const wrapped = apply(state, toggleBlockquote)
    expect(wrapped.doc.eq(doc(bq(p('quote'))))).toBe(true)
    expect(isBlockActive(wrapped, nodes.blockquote)).toBe(true)
    const unwrapped = apply(wrapped, toggleBlockquote)
    expect(unwrapped.doc.eq(state.doc)).toBe(true)
    expect(isBlockActive(unwrapped, nodes.blockquote)).toBe(false)
  })

  it('lifts only the selected paragraph out of a longer quote', () => {
    const state = cursorState(doc(bq(p('a'), p('b'), p('c'))), 'b')
    const next = apply(state, toggleBlockquote)
    expect(next.doc.eq(doc(bq(p('a')), p('b'), bq(p('c'))))).toBe(true)
  })

  it("quotes the list from an item's first paragraph (an item must start with a paragraph)", () => {
    const state = cursorState(doc(ul(li(p('a')), li(p('b')))), 'b')
    const next = apply(state, toggleBlockquote)
    expect(next.doc.eq(doc(bq(ul(li(p('a')), li(p('b'))))))).toBe(true)
  })

  it("quotes a later paragraph of an item inside the item", () => {
    const state = cursorState(doc(ul(li(p('a'), p('more')))), 'more')
    const next = apply(state, toggleBlockquote)
    expect(next.doc.eq(doc(ul(li(p('a'), bq(p('more'))))))).toBe(true)
  })

  it('quotes the whole list when the selection spans items', () => {
    const state = selectState(doc(ul(li(p('a')), li(p('b')))), 'a', 'b')
    const next = apply(state, toggleBlockquote)
    expect(next.doc.eq(doc(bq(ul(li(p('a')), li(p('b'))))))).toBe(true)
  })
})

describe('insertions', () => {
  it('inserts a horizontal rule at the end of a paragraph', () => {
    const state = cursorState(doc(p('above')), 'above', 5)
    const next = apply(state, insertHorizontalRule)
    expect(next.doc.eq(doc(p('above'), hr(), p()))).toBe(true)
    // The cursor waits in the new paragraph below the rule.
    expect(next.selection.empty && next.selection.$from.parent.type === nodes.paragraph).toBe(true)
    expect(next.selection.from).toBe(next.doc.content.size - 1)
  })

  it('replaces an empty paragraph with a rule and a paragraph to type in', () => {
    const next = apply(cursorState(doc(p())), insertHorizontalRule)
    expect(next.doc.eq(doc(hr(), p()))).toBe(true)
  })

  it('inserts before a paragraph when the cursor is at its start', () => {
    expect(apply(cursorState(doc(p('a')), 'a'), insertHorizontalRule).doc.eq(doc(hr(), p('a')))).toBe(true)
  })

  it('splits a paragraph around a horizontal rule', () => {
    const state = cursorState(doc(p('abcd')), 'cd')
    const next = apply(state, insertHorizontalRule)
    expect(next.doc.eq(doc(p('ab'), hr(), p('cd')))).toBe(true)
  })

  it('puts a horizontal rule beside a code block, never inside it', () => {
    const state = cursorState(doc(pre('code')), 'de')
    const next = apply(state, insertHorizontalRule)
    expect(next.doc.eq(doc(pre('co'), hr(), pre('de')))).toBe(true)
  })

  it('replaces a selected horizontal rule', () => {
    const d = doc(p('a'), hr(), p('b'))
    const state = nodeSelectState(d, posOf(d, 'a') + 2)
    expect(isBlockActive(state, nodes.horizontal_rule)).toBe(true)
    const next = apply(state, insertHorizontalRule)
    expect(next.doc.eq(d)).toBe(true)
  })

  it('inserts a hard break in text but not in a code block', () => {
    const state = cursorState(doc(p('ab')), 'b')
    expect(apply(state, insertHardBreak).doc.eq(doc(p('a', br(), 'b')))).toBe(true)
    expect(run(cursorState(doc(pre('ab')), 'b'), insertHardBreak)).toBeNull()
  })
})
