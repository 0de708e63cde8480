// Reading part of the content text: deltaBetween must give exactly what the text's full delta
// holds between two line starts, and refuse offsets that are not line starts.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { deltaBetween, linesIn } from '../src/read-y'
import type { DeltaOp } from '../src/read-y'

function boundary(type: string): Y.Map<unknown> {
  const map = new Y.Map<unknown>()
  map.set('type', type)
  map.set('attrs', {})
  map.set('path', [])
  return map
}

/**
 * A text of four lines: formatted runs, an inline atom, a deleted run, a removed mark, a mark
 * running across a boundary, and trailing content no boundary ends.
 */
function sampleText(): { text: Y.XmlText; lineStarts: number[] } {
  const doc = new Y.Doc()
  const text = new Y.XmlText()
  doc.getXmlFragment('prosemirror').insert(0, [text])
  text.insert(0, 'plain ')
  text.insert(6, 'bold', { strong: true })
  text.insertEmbed(10, boundary('paragraph'))
  text.insert(11, 'linked text', { link: { href: 'https://example.com' } })
  text.insertEmbed(22, { type: 'hard_break', attrs: {} }, { link: { href: 'https://example.com' } })
  text.insert(23, 'gone')
  text.delete(23, 4)
  text.insertEmbed(23, boundary('heading'))
  text.insert(24, 'was ')
  text.insert(28, 'em', { em: true })
  text.format(28, 2, { em: null })
  text.insertEmbed(30, boundary('paragraph'))
  text.insert(31, 'tail')
  // From line 1's bold run into line 3: line 2 starts with `code` in force.
  text.format(8, 18, { code: true })
  return { text, lineStarts: [0, 11, 24, 31, 35] }
}

describe('deltaBetween', () => {
  it('gives the lines the full delta gives, between any two line starts', () => {
    const { text, lineStarts } = sampleText()
    const full = text.toDelta() as DeltaOp[]
    for (const from of lineStarts) {
      for (const to of [...lineStarts.filter((start) => start >= from), Infinity]) {
        const ops = deltaBetween(text, from, to)
        expect(ops, `${from}..${to}`).not.toBeNull()
        expect(linesIn(ops as DeltaOp[], from, to, from), `${from}..${to}`).toEqual(linesIn(full, from, to))
      }
    }
    expect(linesIn(deltaBetween(text, 0, Infinity) as DeltaOp[], 0, Infinity)).toHaveLength(4)
  })

  it('keeps the formatting in force where the range starts', () => {
    const { text } = sampleText()
    const ops = deltaBetween(text, 11, 24) as DeltaOp[]
    expect(ops[0]).toEqual({ insert: 'linked text', attributes: { code: true, link: { href: 'https://example.com' } } })
    expect(ops.at(-1)?.insert).toBeInstanceOf(Y.Map)
  })

  it('refuses a start that does not follow a boundary, and offsets inside an item', () => {
    const { text } = sampleText()
    // After the atom, inside line 2.
    expect(deltaBetween(text, 23, Infinity)).toBeNull()
    // Between two runs of line 1 (an item boundary, not a line start).
    expect(deltaBetween(text, 6, Infinity)).toBeNull()
    // Inside a run.
    expect(deltaBetween(text, 2, Infinity)).toBeNull()
    expect(deltaBetween(text, 0, 3)).toBeNull()
  })
})
