// @vitest-environment happy-dom
import { DOMParser, DOMSerializer, Node } from 'prosemirror-model'
import { describe, expect, it } from 'vitest'
import { bq, br, code, doc, em, h, hr, li, link, ol, p, pre, strike, strong, txt, ul } from '../test/builders'
import { schema, toHeadingLevel } from './schema'

function parse(html: string): Node {
  const container = document.createElement('div')
  container.innerHTML = html
  return DOMParser.fromSchema(schema).parse(container)
}

function serialize(node: Node): string {
  const container = document.createElement('div')
  container.appendChild(DOMSerializer.fromSchema(schema).serializeFragment(node.content))
  return container.innerHTML
}

const everything = doc(
  h(1, 'Title'),
  h(3, 'Sub'),
  p('plain ', txt('bold', strong), ' ', txt('both', strong, em), ' ', txt('gone', strike), ' ', txt('x = 1', code), br(), txt('site', link('https://example.com'))),
  ul(li(p('one'), ol(li(p('nested')))), li(p('two'))),
  schema.nodes.ordered_list.create({ order: 4 }, [li(p('four'))]),
  bq(p('quoted'), bq(p('deeper'))),
  pre('const a = 1\n  indented'),
  hr(),
  p(),
)

describe('schema', () => {
  it('has exactly the nodes and marks of the contract', () => {
    expect(Object.keys(schema.nodes).sort()).toEqual(
      ['blockquote', 'bullet_list', 'code_block', 'doc', 'hard_break', 'heading', 'horizontal_rule', 'list_item', 'ordered_list', 'paragraph', 'text'].sort(),
    )
    expect(Object.keys(schema.marks).sort()).toEqual(['code', 'em', 'link', 'strike', 'strong'])
    expect(schema.nodes.code_block.spec.code).toBe(true)
    expect(schema.nodes.code_block.allowsMarkType(schema.marks.strong)).toBe(false)
  })

  it('round-trips every node and mark through toJSON/fromJSON', () => {
    everything.check()
    const json: unknown = JSON.parse(JSON.stringify(everything.toJSON()))
    const back = Node.fromJSON(schema, json)
    expect(back.eq(everything)).toBe(true)
  })

  it('round-trips through HTML serialization and parsing', () => {
    const html = serialize(everything)
    expect(html).toContain('<h1>Title</h1>')
    expect(html).toContain('<ol start="4">')
    expect(html).toContain('<pre><code>const a = 1\n  indented</code></pre>')
    expect(parse(html).eq(everything)).toBe(true)
  })

  it('rejects invalid content when checking (list item must start with a paragraph)', () => {
    const bad = schema.nodes.list_item.create(null, [ul(li(p('x')))])
    expect(() => bad.check()).toThrow(RangeError)
  })
})

describe('parsing pasted HTML', () => {
  it('maps h1–h3 to their level and h4–h6 to heading 3', () => {
    const parsed = parse('<h1>a</h1><h2>b</h2><h3>c</h3><h4>d</h4><h5>e</h5><h6>f</h6>')
    expect(parsed.eq(doc(h(1, 'a'), h(2, 'b'), h(3, 'c'), h(3, 'd'), h(3, 'e'), h(3, 'f')))).toBe(true)
  })

  it('reads b/strong, i/em, s/del/strike and code as marks', () => {
    const parsed = parse('<p><b>1</b><strong>2</strong><i>3</i><em>4</em><s>5</s><del>6</del><strike>7</strike><code>8</code></p>')
    expect(
      parsed.eq(doc(p(txt('12', strong), txt('34', em), txt('567', strike), txt('8', code)))),
    ).toBe(true)
  })

  it('reads inline styles and ignores the normal-weight <b> wrapper of Google Docs', () => {
    const parsed = parse(
      '<b style="font-weight:normal"><p><span style="font-weight:700">bold</span> <span style="font-style:italic">it</span> <span style="text-decoration:line-through">x</span></p></b>',
    )
    expect(parsed.eq(doc(p(txt('bold', strong), ' ', txt('it', em), ' ', txt('x', strike))))).toBe(true)
  })

  it('keeps nested lists and ordered list start', () => {
    const parsed = parse('<ol start="3"><li>a<ul><li>b<ul><li>c</li></ul></li></ul></li><li>d</li></ol>')
    const expected = doc(
      schema.nodes.ordered_list.create({ order: 3 }, [li(p('a'), ul(li(p('b'), ul(li(p('c')))))), li(p('d'))]),
    )
    expect(parsed.eq(expected)).toBe(true)
  })

  it('ignores a garbage ol start', () => {
    expect(parse('<ol start="-5"><li>a</li></ol>').firstChild?.attrs.order).toBe(1)
    expect(parse('<ol start="nope"><li>a</li></ol>').firstChild?.attrs.order).toBe(1)
  })

  it('drops marks inside pre and keeps its whitespace', () => {
    const parsed = parse('<pre><b>x</b>  y\n<i>z</i></pre>')
    expect(parsed.eq(doc(pre('x  y\nz')))).toBe(true)
  })

  it('keeps safe links with their title', () => {
    const parsed = parse('<p><a href="https://example.com" title="Ex">site</a> <a href="/rel">rel</a> <a href="mailto:a@b.c">mail</a></p>')
    const linkMark = (href: string, title: string | null = null) => schema.marks.link.create({ href, title })
    expect(
      parsed.eq(doc(p(txt('site', linkMark('https://example.com', 'Ex')), ' ', txt('rel', linkMark('/rel')), ' ', txt('mail', linkMark('mailto:a@b.c'))))),
    ).toBe(true)
  })

  it.each([
    'javascript:alert(1)',
    ' JaVaScRiPt:alert(1)',
    'java&#9;script:alert(1)',
    '&#106;avascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
  ])('turns <a href="%s"> into plain text', (href) => {
    const parsed = parse(`<p><a href="${href.replace(/"/g, '&quot;').replace(/</g, '&lt;')}">click</a></p>`)
    expect(parsed.eq(doc(p('click')))).toBe(true)
    expect(JSON.stringify(parsed.toJSON())).not.toMatch(/script|data:/i)
  })
})

describe('rendering untrusted attributes', () => {
  it('never renders an unsafe href that arrived without parseDOM (e.g. from a peer)', () => {
    const d = doc(p(txt('x', schema.marks.link.create({ href: 'javascript:alert(1)' }))))
    const html = serialize(d)
    expect(html).not.toContain('javascript')
    expect(html).toContain('<a rel="noopener noreferrer nofollow">x</a>')
  })

  it('clamps heading levels outside 1–3 when rendering', () => {
    expect(serialize(doc(schema.nodes.heading.create({ level: 9 }, [schema.text('x')])))).toBe('<h3>x</h3>')
    expect(serialize(doc(schema.nodes.heading.create({ level: 'h1"><img' }, [schema.text('x')])))).toBe('<h1>x</h1>')
    expect(toHeadingLevel(2.7)).toBe(2)
    expect(toHeadingLevel(undefined)).toBe(1)
  })
})
