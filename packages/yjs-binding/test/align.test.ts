import { describe, expect, it } from 'vitest'
import { align } from '../src/align'
import type { Token } from '../src/model'

const chars = (text: string): Token[] => text.split('').map((char) => ({ kind: 'char', char, marks: [] }))

/** Applies segments to `before` as text, showing kept runs in brackets. */
function show(before: string, after: string, limits?: { prefix: number; suffix: number }): string {
  return align(chars(before), chars(after), limits)
    .map((segment) => (segment.keep ? `[${before.slice(segment.oldFrom, segment.oldFrom + segment.length)}]` : `-${before.slice(segment.oldFrom, segment.oldTo)}+${after.slice(segment.newFrom, segment.newTo)}`))
    .join('')
}

describe('align', () => {
  it('keeps the text between two changed places (an input rule removing ** on both sides)', () => {
    expect(show('say **bold** now', 'say bold now')).toBe('[say ]-**+[bold]-**+[ now]')
  })

  it('puts an insertion where ProseMirror says it happened, not where the text repeats', () => {
    // Typing "ab" at offset 1 of "xab": without limits the common prefix would swallow "ab".
    expect(show('xab', 'xabab', { prefix: 1, suffix: 2 })).toBe('[x]-+ab[ab]')
    expect(show('xab', 'xabab')).toBe('[xab]-+ab')
  })

  it('never keeps half of a surrogate pair', () => {
    const segments = show('a😀b', 'a😁b')
    expect(segments).toBe('[a]-😀+😁[b]')
  })

  it('replaces everything when the texts have nothing in common', () => {
    expect(show('abc', 'xyz')).toBe('-abc+xyz')
    expect(show('', 'xyz')).toBe('-+xyz')
    expect(show('abc', '')).toBe('-abc+')
  })
})
