import { DEFAULT_LIMITS, outlineUpdate } from '@collab/protocol'
import * as prng from 'lib0/prng'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { coversAll, DocumentNovelty } from './update-novelty'

function pair(): [Y.Doc, Y.Doc] {
  const relay = new Y.Doc()
  const client = new Y.Doc()
  client.getText('t').insert(0, 'hello world')
  Y.applyUpdate(relay, Y.encodeStateAsUpdate(client))
  return [relay, client]
}

const outline = (update: Uint8Array) => outlineUpdate(update, DEFAULT_LIMITS)

/** A document with `count` separate deleted ranges (every other character deleted). */
function manyDeletions(count: number): [Y.Doc, Y.Doc] {
  const [relay, client] = pair()
  const text = client.getText('t')
  text.insert(0, 'x'.repeat(count * 2))
  for (let index = 0; index < count; index++) text.delete(index + 1, 1)
  Y.applyUpdate(relay, Y.encodeStateAsUpdate(client))
  return [relay, client]
}

describe('DocumentNovelty.changes', () => {
  it('is false for a full sync step 2 of content the relay already has', () => {
    const [relay, client] = pair()
    const novelty = new DocumentNovelty(relay)
    client.getText('t').delete(0, 6)
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(client))
    expect(novelty.changes(outline(Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))))).toBe(false)
    expect(novelty.changes(outline(Y.encodeStateAsUpdate(client)))).toBe(false)
  })

  it('is true for new structs', () => {
    const [relay, client] = pair()
    client.getText('t').insert(0, '!')
    expect(new DocumentNovelty(relay).changes(outline(Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))))).toBe(true)
  })

  it('is true for a deletion the relay has not seen, and false once it has it (the cache follows the document)', () => {
    const [relay, client] = pair()
    const novelty = new DocumentNovelty(relay)
    client.getText('t').delete(3, 2)
    const diff = Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))
    expect(novelty.changes(outline(diff))).toBe(true)
    Y.applyUpdate(relay, diff)
    expect(novelty.changes(outline(diff))).toBe(false)
    client.getText('t').delete(0, 1)
    expect(novelty.changes(outline(Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))))).toBe(true)
  })

  it('is true for a partly new deletion', () => {
    const [relay, client] = pair()
    const novelty = new DocumentNovelty(relay)
    client.getText('t').delete(0, 2)
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(client))
    expect(novelty.changes(outline(Y.encodeStateAsUpdate(client)))).toBe(false)
    client.getText('t').delete(0, 2)
    expect(novelty.changes(outline(Y.encodeStateAsUpdate(client)))).toBe(true)
  })
})

describe('DocumentNovelty.knownToChangeNothing', () => {
  it("is true for a reconnecting client's whole delete set the relay already has", () => {
    const [relay, client] = manyDeletions(40)
    const answer = outline(Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay)))
    expect(answer.structs).toBe(0)
    expect(answer.deleteRanges).toBeGreaterThanOrEqual(40)
    expect(new DocumentNovelty(relay).knownToChangeNothing(answer)).toBe(true)
  })

  it("is true for a client's whole state the relay already has (its answer after a relay without storage restarted)", () => {
    const [relay, client] = manyDeletions(40)
    const whole = outline(Y.encodeStateAsUpdate(client))
    expect(whole.structs).toBeGreaterThan(0)
    expect(new DocumentNovelty(relay).knownToChangeNothing(whole)).toBe(true)
    // One character more, typed after the relay's copy was taken: not known.
    client.getText('t').insert(0, '!')
    expect(new DocumentNovelty(relay).knownToChangeNothing(outline(Y.encodeStateAsUpdate(client)))).toBe(false)
  })

  it('is false when one of many ranges is new, or a struct is', () => {
    const [relay, client] = manyDeletions(40)
    const novelty = new DocumentNovelty(relay)
    client.getText('t').delete(0, 1)
    expect(novelty.knownToChangeNothing(outline(Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))))).toBe(false)
    client.getText('t').insert(0, '!')
    expect(novelty.knownToChangeNothing(outline(Y.encodeStateAsUpdate(client)))).toBe(false)
  })

  it('builds the document delete set for a large delete set, not for a small one (a typed backspace)', () => {
    const [relay, client] = manyDeletions(40)
    const novelty = new DocumentNovelty(relay, 16)
    let backspace: Uint8Array = new Uint8Array()
    client.once('update', (update: Uint8Array) => (backspace = update))
    client.getText('t').delete(0, 1)
    Y.applyUpdate(relay, backspace)
    expect(outline(backspace).deleteRanges).toBe(1)
    // Known, but only one range and nothing built since the change: left to Yjs.
    expect(novelty.knownToChangeNothing(outline(backspace))).toBe(false)
    // A whole delete set (41 ranges) builds it; after that the small one is judged too.
    expect(novelty.knownToChangeNothing(outline(Y.encodeStateAsUpdate(client, Y.encodeStateVector(relay))))).toBe(true)
    expect(novelty.knownToChangeNothing(outline(backspace))).toBe(true)
  })
})

describe('coversAll', () => {
  type Range = { clock: number; len: number }
  /** Every non-empty range inside one known range: the definition, checked the slow way. */
  const reference = (known: Range[], ranges: Range[]) =>
    ranges.every((r) => r.len <= 0 || known.some((k) => k.clock <= r.clock && r.clock + r.len <= k.clock + k.len))
  /** As an outline states them: clock, len, clock, len, … */
  const flat = (ranges: Range[]) => ranges.flatMap((r) => [r.clock, r.len])

  it('agrees with the definition on sorted, unsorted, covered and uncovered delete sets', () => {
    // Seeded, so a failure replays.
    const gen = prng.create(7)
    const next = () => prng.real53(gen)
    const int = (below: number) => Math.floor(next() * below)
    let covered = 0
    for (let trial = 0; trial < 2_000; trial++) {
      const known: Range[] = []
      let clock = int(3)
      for (let count = int(12); count > 0; count--) {
        const len = 1 + int(5)
        known.push({ clock, len })
        clock += len + 1 + int(4) // a gap: known ranges are maximal
      }
      const ranges: Range[] = []
      for (let count = int(10); count > 0; count--) {
        const base = known[int(known.length)]
        if (base !== undefined && next() < 0.8) {
          const start = base.clock + int(base.len)
          ranges.push({ clock: start, len: int(base.clock + base.len - start + (next() < 0.2 ? 3 : 1)) })
        } else {
          ranges.push({ clock: int(clock + 5), len: int(6) })
        }
      }
      if (next() < 0.7) ranges.sort((a, b) => a.clock - b.clock)
      const expected = reference(known, ranges)
      if (expected) covered++
      expect(coversAll(known, flat(ranges)), JSON.stringify({ known, ranges })).toBe(expected)
    }
    // Both answers were exercised, not one of them 2,000 times.
    expect(covered).toBeGreaterThan(200)
    expect(covered).toBeLessThan(1_800)
  })

  it('refuses a range that spans two known ranges and the gap between them', () => {
    const known = [
      { clock: 0, len: 3 },
      { clock: 4, len: 3 },
    ]
    expect(coversAll(known, [1, 2, 4, 3])).toBe(true)
    expect(coversAll(known, [2, 3])).toBe(false)
    expect(coversAll(known, [5, 1, 0, 4])).toBe(false)
    expect(coversAll([], [0, 0])).toBe(true)
  })
})
