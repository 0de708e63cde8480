import type { EditorState, Transaction } from 'prosemirror-state'
import type { EditorView } from 'prosemirror-view'
import { describe, expect, it } from 'vitest'
import { apply, cursorState, doc, h, hr, li, link, p, pre, run, selectState, strong, txt, ul } from '../test/builders'
import { UnsafeHrefError } from './href'
import { applyLink, buildToolbarItems, toolbarItemIds } from './toolbar'
import type { ToolbarItem, ToolbarItemId } from './toolbar'

function item(id: ToolbarItemId, items: ToolbarItem[] = buildToolbarItems({ mac: false })): ToolbarItem {
  const found = items.find((i) => i.id === id)
  if (found === undefined) throw new Error(`no toolbar item ${id}`)
  return found
}

function click(state: EditorState, target: ToolbarItem): EditorState {
  return apply(state, (s, d, v) => target.run(s, d, v))
}

describe('toolbar items', () => {
  it('has the UI contract ids in order, each with label and title', () => {
    const items = buildToolbarItems({ mac: false })
    expect(items.map((i) => i.id)).toEqual([...toolbarItemIds])
    expect(toolbarItemIds).toEqual([
      'bold', 'italic', 'strike', 'code', 'link', 'paragraph', 'heading-1', 'heading-2', 'heading-3',
      'bullet-list', 'ordered-list', 'blockquote', 'code-block', 'horizontal-rule',
    ])
    for (const i of items) {
      expect(i.label.length).toBeGreaterThan(0)
      expect(i.title.length).toBeGreaterThan(0)
    }
    expect(item('bold').title).toBe('Bold (Ctrl+B)')
    expect(item('strike').title).toBe('Strikethrough (Ctrl+Shift+S)')
    expect(item('bold', buildToolbarItems({ mac: true })).title).toBe('Bold (⌘B)')
    expect(item('heading-2').title).toBe('Heading 2 (Ctrl+Alt+2)')
  })

  it('bold toggles and reports active state', () => {
    const start = selectState(doc(p('word')), 'word')
    const bold = item('bold')
    expect(bold.isActive(start)).toBe(false)
    expect(bold.isEnabled(start)).toBe(true)
    const on = click(start, bold)
    expect(on.doc.eq(doc(p(txt('word', strong))))).toBe(true)
    expect(bold.isActive(on)).toBe(true)
    expect(bold.isActive(click(on, bold))).toBe(false)
  })

  it('marks are disabled in a code block', () => {
    const state = selectState(doc(pre('x')), 'x')
    for (const id of ['bold', 'italic', 'strike', 'code', 'link'] as const) {
      expect(item(id, buildToolbarItems({ promptHref: () => 'https://e.example' })).isEnabled(state)).toBe(false)
    }
    expect(item('code-block').isActive(state)).toBe(true)
  })

  it('block type buttons show the current type, stay enabled, and clicking it again is a no-op', () => {
    const state = cursorState(doc(h(2, 't')), 't')
    expect(item('heading-2').isActive(state)).toBe(true)
    expect(item('heading-1').isActive(state)).toBe(false)
    expect(item('paragraph').isActive(state)).toBe(false)
    expect(item('heading-2').isEnabled(state)).toBe(true)
    expect(click(state, item('heading-2')).doc.eq(state.doc)).toBe(true)
    const para = click(state, item('paragraph'))
    expect(para.doc.eq(doc(p('t')))).toBe(true)
    expect(item('paragraph').isActive(para)).toBe(true)
    expect(click(para, item('heading-3')).doc.eq(doc(h(3, 't')))).toBe(true)
    expect(item('code-block').isActive(click(para, item('code-block')))).toBe(true)
  })

  it('list buttons toggle, convert and show which list is innermost', () => {
    const start = cursorState(doc(p('a')), 'a')
    const bullets = click(start, item('bullet-list'))
    expect(bullets.doc.eq(doc(ul(li(p('a')))))).toBe(true)
    expect(item('bullet-list').isActive(bullets)).toBe(true)
    expect(item('ordered-list').isActive(bullets)).toBe(false)
    const numbered = click(bullets, item('ordered-list'))
    expect(item('ordered-list').isActive(numbered)).toBe(true)
    expect(item('bullet-list').isActive(numbered)).toBe(false)
    expect(click(numbered, item('ordered-list')).doc.eq(doc(p('a')))).toBe(true)
  })

  it('blockquote toggles; horizontal rule inserts and is never active', () => {
    const start = cursorState(doc(p('a')), 'a')
    const quoted = click(start, item('blockquote'))
    expect(item('blockquote').isActive(quoted)).toBe(true)
    expect(item('blockquote').isActive(click(quoted, item('blockquote')))).toBe(false)
    const ruled = click(start, item('horizontal-rule'))
    expect(ruled.doc.eq(doc(hr(), p('a')))).toBe(true)
    expect(item('horizontal-rule').isActive(ruled)).toBe(false)
    expect(item('horizontal-rule').toggle).toBe(false)
  })
})

describe('link item', () => {
  it('prompts with the current href and applies the answer', () => {
    const asked: (string | null)[] = []
    const items = buildToolbarItems({ promptHref: (current) => (asked.push(current), 'https://example.com') })
    const next = click(selectState(doc(p('go')), 'go'), item('link', items))
    expect(next.doc.eq(doc(p(txt('go', link('https://example.com')))))).toBe(true)
    expect(item('link', items).isActive(next)).toBe(true)
    click(cursorState(next.doc, 'go', 1), item('link', items))
    expect(asked).toEqual([null, 'https://example.com'])
  })

  it('an empty answer removes the link; null cancels', () => {
    const d = doc(p(txt('go', link('https://example.com'))))
    const remove = buildToolbarItems({ promptHref: () => '' })
    expect(click(cursorState(d, 'go', 1), item('link', remove)).doc.eq(doc(p('go')))).toBe(true)
    const cancel = buildToolbarItems({ promptHref: () => null })
    expect(run(cursorState(d, 'go', 1), (s, dispatch) => item('link', cancel).run(s, dispatch))).toBeNull()
  })

  it('refuses an unsafe answer, tells onRefusedHref, and changes nothing', () => {
    const refused: UnsafeHrefError[] = []
    const items = buildToolbarItems({ promptHref: () => 'javascript:alert(1)', onRefusedHref: (e) => refused.push(e) })
    expect(run(selectState(doc(p('go')), 'go'), (s, d) => item('link', items).run(s, d))).toBeNull()
    expect(refused).toHaveLength(1)
    expect(refused[0]?.href).toBe('javascript:alert(1)')
  })

  it('without promptHref only removes links', () => {
    const items = buildToolbarItems()
    expect(item('link', items).isEnabled(selectState(doc(p('go')), 'go'))).toBe(false)
    const d = doc(p(txt('go', link('/x'))))
    expect(item('link', items).isEnabled(cursorState(d, 'go', 1))).toBe(true)
    expect(click(cursorState(d, 'go', 1), item('link', items)).doc.eq(doc(p('go')))).toBe(true)
  })

  it('applies an asynchronous answer to the view state current when it arrives', async () => {
    let resolve: (href: string | null) => void = () => undefined
    const items = buildToolbarItems({ promptHref: () => new Promise((r) => (resolve = r)) })
    let state = selectState(doc(p('go')), 'go')
    const dispatch = (tr: Transaction): void => {
      state = state.apply(tr)
    }
    // Only the parts of EditorView the link item touches after the prompt resolves.
    const fakeView = {
      get state() {
        return state
      },
      dispatch,
      isDestroyed: false,
    } as unknown as EditorView
    expect(item('link', items).run(state, dispatch, fakeView)).toBe(true)
    resolve('https://later.example')
    await Promise.resolve()
    await Promise.resolve()
    expect(state.doc.eq(doc(p(txt('go', link('https://later.example')))))).toBe(true)
  })

  it('applyLink throws UnsafeHrefError for unsafe hrefs', () => {
    const state = selectState(doc(p('go')), 'go')
    expect(() => applyLink(state, undefined, 'data:text/html,x')).toThrow(UnsafeHrefError)
    expect(applyLink(state, undefined, 'https://ok.example')).toBe(true)
  })
})
