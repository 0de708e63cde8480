// Writing a token diff to the content text: the result must be what the tokens say, and the text
// changes must reach Yjs as one delta (one walk of the text), not one call per run.
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import type { BlockData, Inline, MarkData, Token } from '../src/model'
import { lineTokens } from '../src/model'
import { readLines } from '../src/read-y'
import { applyTokenDiff } from '../src/write-y'

const PARAGRAPH: BlockData = { type: 'paragraph', attrs: {}, path: [] }
const HEADING: BlockData = { type: 'heading', attrs: { level: 2 }, path: [] }
const BOLD: MarkData = { type: 'strong', attrs: {} }
const LINK: MarkData = { type: 'link', attrs: { href: 'https://example.com', title: null } }

function text(value: string, marks: MarkData[] = []): Inline {
  return { kind: 'text', text: value, marks }
}

function tokens(lines: [Inline[], BlockData][]): Token[] {
  const result: Token[] = []
  for (const [inline, block] of lines) lineTokens(inline, block, result)
  return result
}

function contentText(): Y.XmlText {
  const doc = new Y.Doc()
  const content = new Y.XmlText()
  doc.getXmlFragment('prosemirror').insert(0, [content])
  return content
}

/**
 * Lines as `type:text` with marked runs in brackets, e.g. `paragraph:a[strong:b]`; adjacent runs
 * with the same marks are one (how Yjs splits its items is not what a reader sees).
 */
function shown(content: Y.XmlText): string[] {
  return readLines(content).map((line) => {
    const runs: { marks: string; body: string }[] = []
    for (const part of line.inline) {
      const marks = part.marks.map((mark) => mark.type).join('+')
      const body = part.kind === 'text' ? part.text : `<${part.type}>`
      const last = runs.at(-1)
      if (last !== undefined && last.marks === marks) last.body += body
      else runs.push({ marks, body })
    }
    const inline = runs.map((run) => (run.marks === '' ? run.body : `[${run.marks}:${run.body}]`))
    return `${line.block?.type ?? '(none)'}:${inline.join('')}`
  })
}

function write(content: Y.XmlText, at: number, before: Token[], maps: Y.Map<unknown>[], after: Token[]): Y.Map<unknown>[] {
  let written: Y.Map<unknown>[] = []
  content.doc!.transact(() => {
    written = applyTokenDiff(content, at, before, maps, after)
  })
  return written
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('applyTokenDiff', () => {
  it('writes a paste of many formatted lines as one delta', () => {
    const content = contentText()
    const lines: [Inline[], BlockData][] = []
    for (let index = 0; index < 50; index++) {
      lines.push([[text(`line ${index} `), text('bold', [BOLD]), text(' link', [LINK])], index % 7 === 0 ? HEADING : PARAGRAPH])
    }
    const applyDelta = vi.spyOn(content, 'applyDelta')
    const perRun = [vi.spyOn(content, 'insert'), vi.spyOn(content, 'insertEmbed'), vi.spyOn(content, 'format')]
    const maps = write(content, 0, [], [], tokens(lines))
    // Two: content that no boundary ends yet (the empty text's) gets its boundary on its own.
    expect(applyDelta).toHaveBeenCalledTimes(2)
    for (const spy of perRun) expect(spy).not.toHaveBeenCalled()
    expect(maps).toHaveLength(50)
    const read = shown(content)
    expect(read).toHaveLength(50)
    expect(read[0]).toBe('heading:line 0 [strong:bold][link: link]')
    expect(read[1]).toBe('paragraph:line 1 [strong:bold][link: link]')
    expect(readLines(content).map((line) => line.boundary)).toEqual(maps)
  })

  it('formats kept text, sets kept boundaries and replaces the rest, in one delta', () => {
    const content = contentText()
    const before = tokens([
      [[text('first line')], PARAGRAPH],
      [[text('second line')], PARAGRAPH],
      [[text('third')], PARAGRAPH],
    ])
    const maps = write(content, 0, [], [], before)
    const applyDelta = vi.spyOn(content, 'applyDelta')
    const after = tokens([
      [[text('first '), text('line', [BOLD])], HEADING],
      [[text('second '), text('changed', [LINK])], PARAGRAPH],
      [[text('third')], PARAGRAPH],
    ])
    const written = write(content, 0, before, maps, after)
    expect(applyDelta).toHaveBeenCalledTimes(1)
    expect(shown(content)).toEqual(['heading:first [strong:line]', 'paragraph:second [link:changed]', 'paragraph:third'])
    // Every boundary is kept (same Y.Map), the first one now says heading.
    expect(written).toEqual(maps)
    expect(maps[0]!.get('type')).toBe('heading')
  })

  it('writes at an offset inside the text, leaving what is before and after it alone', () => {
    const content = contentText()
    const maps = write(content, 0, [], [], tokens([[[text('keep')], PARAGRAPH], [[text('old')], PARAGRAPH], [[text('tail')], PARAGRAPH]]))
    const before = tokens([[[text('old')], PARAGRAPH]])
    const after = tokens([[[text('new', [BOLD])], PARAGRAPH], [[text('added')], PARAGRAPH]])
    const written = write(content, 5, before, [maps[1]!], after)
    expect(shown(content)).toEqual(['paragraph:keep', 'paragraph:[strong:new]', 'paragraph:added', 'paragraph:tail'])
    // The old line's boundary is kept for one of the two (whichever the diff aligned it with).
    const boundaries = readLines(content).map((line) => line.boundary)
    expect(boundaries.slice(1, 3)).toEqual(written)
    expect(written).toContain(maps[1])
    expect(boundaries[0]).toBe(maps[0])
    expect(boundaries[3]).toBe(maps[2])
  })
})
