// @vitest-environment happy-dom
import { DOMSerializer } from 'prosemirror-model'
import { afterEach, describe, expect, it } from 'vitest'
import type { EditorView } from 'prosemirror-view'
import { doc, p, pre } from '../test/builders'
import { makeView } from '../test/view'
import { schema } from './schema'

let views: EditorView[] = []
afterEach(() => {
  for (const v of views) v.destroy()
  views = []
})

function open(d: Parameters<typeof makeView>[0]): EditorView {
  const view = makeView(d)
  views.push(view)
  return view
}

describe('codeBlockViewPlugin', () => {
  it('draws a code block as one <pre> whose first position is content', () => {
    const view = open(doc(p('intro'), pre('const a = 1')))
    const block = view.dom.querySelector('pre')
    expect(block).not.toBeNull()
    expect(block?.querySelector('code')).toBeNull()
    expect(block?.textContent).toBe('const a = 1')
    // The very front of the <pre> is the block's first text position (8; 7 would be in front of the block).
    expect(view.posAtDOM(block as HTMLElement, 0)).toBe(8)
  })

  it('keeps <pre><code> for the clipboard and export', () => {
    const view = open(doc(pre('x')))
    const wrapper = document.createElement('div')
    wrapper.append(DOMSerializer.fromSchema(schema).serializeFragment(view.state.doc.content))
    expect(wrapper.innerHTML).toBe('<pre><code>x</code></pre>')
  })
})
