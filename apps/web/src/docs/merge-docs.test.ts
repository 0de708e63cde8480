import { describe, expect, it } from 'vitest'
import { mergeDocLists } from './merge-docs'
import { parseRelayDocs } from './relay-docs'

describe('parseRelayDocs', () => {
  it('accepts a bare list or a { docs } object and drops malformed entries', () => {
    const item = { docId: 'a', updatedAtMs: 10, storedBytes: 99 }
    expect(parseRelayDocs([item])).toEqual([item])
    expect(parseRelayDocs({ docs: [item, { docId: 'no good' }, 'x', null] })).toEqual([item])
    expect(parseRelayDocs({ docs: [{ docId: 'b', updatedAtMs: 'soon' }] })).toEqual([
      { docId: 'b', updatedAtMs: 0, storedBytes: 0 },
    ])
    expect(parseRelayDocs('nope')).toEqual([])
  })
})

describe('mergeDocLists', () => {
  it('merges by id and sorts by the latest open or edit', () => {
    const merged = mergeDocLists(
      [
        { docId: 'local-only', title: 'Mine', lastOpenedAtMs: 50 },
        { docId: 'both', title: 'Shared', lastOpenedAtMs: 10 },
      ],
      [
        { docId: 'both', updatedAtMs: 100, storedBytes: 5 },
        { docId: 'relay-only', updatedAtMs: 20, storedBytes: 7 },
      ],
    )
    expect(merged.map((entry) => [entry.docId, entry.onDevice, entry.onRelay])).toEqual([
      ['both', true, true],
      ['local-only', true, false],
      ['relay-only', false, true],
    ])
    expect(merged[0]?.title).toBe('Shared')
  })
})
