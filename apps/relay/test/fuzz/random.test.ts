import { describe, expect, it } from 'vitest'
import { InvalidSeedError, Random, parseSeed } from './random'

const draw = (random: Random, count: number): number[] => Array.from({ length: count }, () => random.nextUint32())

describe('Random (sfc32)', () => {
  it('draws the same sequence for the same seed, another for another seed', () => {
    expect(draw(new Random(42), 50)).toEqual(draw(new Random(42), 50))
    expect(draw(new Random(42), 50)).not.toEqual(draw(new Random(43), 50))
  })

  it('forks stable, independent streams by label', () => {
    const root = new Random(7)
    const a = draw(root.fork('proxy-0'), 20)
    draw(root, 1_000) // the parent's position does not matter
    expect(draw(root.fork('proxy-0'), 20)).toEqual(a)
    expect(draw(root.fork('proxy-1'), 20)).not.toEqual(a)
  })

  it('keeps int() within its inclusive bounds and reaches both ends', () => {
    const random = new Random(1)
    const seen = new Set<number>()
    for (let i = 0; i < 2_000; i++) {
      const value = random.int(-3, 3)
      expect(value).toBeGreaterThanOrEqual(-3)
      expect(value).toBeLessThanOrEqual(3)
      seen.add(value)
    }
    expect([...seen].sort((x, y) => x - y)).toEqual([-3, -2, -1, 0, 1, 2, 3])
    expect(() => random.int(5, 4)).toThrow(RangeError)
  })

  it('picks by weight', () => {
    const random = new Random(9)
    const counts = { often: 0, rarely: 0, never: 0 }
    for (let i = 0; i < 10_000; i++) counts[random.weighted({ often: 9, rarely: 1, never: 0 })]++
    expect(counts.never).toBe(0)
    expect(counts.often / counts.rarely).toBeGreaterThan(6)
    expect(counts.often / counts.rarely).toBeLessThan(13)
  })

  it('parses seeds and names a bad one', () => {
    expect(parseSeed('FUZZ_SEED', '4294967295')).toBe(4_294_967_295)
    expect(() => parseSeed('FUZZ_SEED', '4294967296')).toThrow(InvalidSeedError)
    expect(() => parseSeed('FUZZ_SEED', '12abc')).toThrow('FUZZ_SEED="12abc" is not an integer seed in 0..4294967295')
  })
})
