// Reading part of the content text: deltaBetween must give exactly what the text's full delta
// holds between two line starts, and refuse offsets that are not line starts.
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { deltaBetween, linesIn } from '../src/read-y'
import type { DeltaOp } from '../src/read-y'
import { prng } from './prng'

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

  it('agrees with the full delta on texts two peers edited at random (formats across lines, deletions)', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const random = prng(seed)
      // Without garbage collection deleted items keep their content, as they still do inside the
      // observers of the transaction that deleted them (where the binding reads).
      const gc = seed % 2 === 0
      const docs = [new Y.Doc({ gc }), new Y.Doc({ gc })]
      const texts = docs.map((doc) => {
        const content = new Y.XmlText()
        doc.getXmlFragment('prosemirror').insert(0, [content])
        return content
      })
      Y.applyUpdate(docs[1]!, Y.encodeStateAsUpdate(docs[0]!))
      const marks = [{}, { strong: true }, { em: true }, { link: { href: 'https://example.com' } }, { strong: true, em: true }]
      for (let step = 0; step < 60; step++) {
        const which = random.int(2)
        const content = texts[which]!
        const at = random.int(content.length + 1)
        const action = random.int(10)
        if (action < 4) content.insert(at, 'abcdefgh'.slice(0, 1 + random.int(8)), random.pick(marks))
        else if (action < 6) content.insertEmbed(at, boundary(random.pick(['paragraph', 'heading'])), random.int(3) === 0 ? random.pick(marks) : {})
        else if (action < 7) content.insertEmbed(at, { type: 'hard_break', attrs: {} }, random.pick(marks))
        else if (action < 9 && content.length > 0) content.delete(at === content.length ? at - 1 : at, 1 + random.int(Math.min(6, content.length - at)))
        else if (content.length > 0) {
          const from = random.int(content.length)
          content.format(from, 1 + random.int(content.length - from), { [random.pick(['strong', 'em'])]: random.int(2) === 0 ? true : null })
        }
        // Sometimes the peers exchange what they have (concurrent edits merge).
        if (random.int(4) === 0) {
          Y.applyUpdate(docs[1 - which]!, Y.encodeStateAsUpdate(docs[which]!, Y.encodeStateVector(docs[1 - which]!)))
        }
      }
      Y.applyUpdate(docs[0]!, Y.encodeStateAsUpdate(docs[1]!))
      Y.applyUpdate(docs[1]!, Y.encodeStateAsUpdate(docs[0]!))
      const content = texts[0]!
      const full = content.toDelta() as DeltaOp[]
      const lineStarts = [0]
      let offset = 0
      for (const op of full) {
        offset += typeof op.insert === 'string' ? op.insert.length : 1
        if (op.insert instanceof Y.Map) lineStarts.push(offset)
      }
      for (const from of lineStarts) {
        for (const to of [...lineStarts.filter((start) => start >= from), Infinity]) {
          const ops = deltaBetween(content, from, to)
          expect(ops, `seed ${seed}: ${from}..${to}`).not.toBeNull()
          expect(linesIn(ops as DeltaOp[], from, to, from), `seed ${seed}: ${from}..${to}`).toEqual(linesIn(full, from, to))
        }
      }
    }
  })
})
