import { describe, expect, it } from 'vitest'
import { apply, code, cursorState, doc, link, p, pre, run, selectState, txt } from '../test/builders'
import { currentLinkHref, linkRangeAt, removeLink, setLink } from './link-commands'
import { schema } from './schema'
import { isMarkActive } from './state-queries'

const unsafe = ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'java\tscript:alert(1)', 'data:text/html,x', 'vbscript:x', '']

describe('setLink', () => {
  it('links the selected text', () => {
    const next = apply(selectState(doc(p('see site now')), 'site'), setLink('https://example.com'))
    expect(next.doc.eq(doc(p('see ', txt('site', link('https://example.com')), ' now')))).toBe(true)
    expect(isMarkActive(next, schema.marks.link)).toBe(true)
  })

  it('keeps other marks and replaces an existing link over the range', () => {
    const start = doc(p(txt('ab', code, link('https://old.example'))))
    const next = apply(selectState(start, 'ab'), setLink('/new'))
    expect(next.doc.eq(doc(p(txt('ab', code, link('/new')))))).toBe(true)
  })

  it('with a cursor inside a link changes that whole link', () => {
    const start = doc(p('x ', txt('link', link('https://a.example')), ' y'))
    const next = apply(cursorState(start, 'link', 2), setLink('https://b.example'))
    expect(next.doc.eq(doc(p('x ', txt('link', link('https://b.example')), ' y')))).toBe(true)
  })

  it('with a cursor outside a link inserts the href as linked text', () => {
    const next = apply(cursorState(doc(p('ab')), 'b'), setLink('https://example.com'))
    expect(next.doc.eq(doc(p('a', txt('https://example.com', link('https://example.com')), 'b')))).toBe(true)
  })

  it.each(unsafe)('refuses %j and changes nothing', (href) => {
    expect(run(selectState(doc(p('text')), 'text'), setLink(href))).toBeNull()
    expect(run(cursorState(doc(p('text')), 'text'), setLink(href))).toBeNull()
  })

  it('stores the trimmed href', () => {
    const next = apply(selectState(doc(p('t')), 't'), setLink('  https://example.com  '))
    expect(next.doc.eq(doc(p(txt('t', link('https://example.com')))))).toBe(true)
  })

  it('declines inside a code block', () => {
    expect(run(selectState(doc(pre('code')), 'code'), setLink('https://example.com'))).toBeNull()
    expect(run(cursorState(doc(pre('code')), 'code'), setLink('https://example.com'))).toBeNull()
  })
})

describe('removeLink and link lookup', () => {
  const linked = doc(p('x ', txt('link', link('https://a.example')), ' y'))

  it('removes the whole link around a cursor', () => {
    const state = cursorState(linked, 'link', 1)
    expect(currentLinkHref(state)).toBe('https://a.example')
    expect(linkRangeAt(state)).toMatchObject({ from: 3, to: 7 })
    expect(apply(state, removeLink).doc.eq(doc(p('x link y')))).toBe(true)
  })

  it('finds the link from its edges', () => {
    expect(currentLinkHref(cursorState(linked, 'link', 0))).toBe('https://a.example')
    expect(currentLinkHref(cursorState(linked, 'link', 4))).toBe('https://a.example')
    expect(currentLinkHref(cursorState(linked, 'y'))).toBeNull()
  })

  it('removes links over a selection only', () => {
    const next = apply(selectState(linked, 'li'), removeLink)
    expect(next.doc.eq(doc(p('x li', txt('nk', link('https://a.example')), ' y')))).toBe(true)
  })

  it('declines when there is no link', () => {
    expect(run(cursorState(doc(p('plain')), 'plain'), removeLink)).toBeNull()
    expect(run(selectState(doc(p('plain')), 'plain'), removeLink)).toBeNull()
  })
})
