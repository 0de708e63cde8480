import { describe, expect, it } from 'vitest'
import * as prng from 'lib0/prng'
import { backoffCeilingMs, fullJitterDelayMs, validateBackoff } from './backoff'
import { InvalidSyncClientOptionError } from './errors'

const SEED = Number(process.env['SEED'] ?? 0x5eed)

describe('backoffCeilingMs', () => {
  it('doubles from baseMs and stops at maxMs', () => {
    const options = { baseMs: 100, maxMs: 1000 }
    expect([0, 1, 2, 3, 4, 5, 50, 5000].map((n) => backoffCeilingMs(n, options))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000, 1000,
    ])
  })
})

describe('fullJitterDelayMs', () => {
  it(`keeps every delay in [0, min(cap, base·2^n)] (seed ${SEED})`, () => {
    const gen = prng.create(SEED)
    const options = { baseMs: 250, maxMs: 5000 }
    for (let attempt = 0; attempt < 40; attempt++) {
      const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** attempt)
      for (let i = 0; i < 200; i++) {
        const delay = fullJitterDelayMs(attempt, options, () => prng.real53(gen))
        expect(delay).toBeGreaterThanOrEqual(0)
        expect(delay).toBeLessThanOrEqual(ceiling)
      }
    }
  })

  it(`spreads delays over the whole window, not around the ceiling (seed ${SEED})`, () => {
    const gen = prng.create(SEED)
    const options = { baseMs: 1000, maxMs: 1000 }
    const samples = Array.from({ length: 10_000 }, () => fullJitterDelayMs(3, options, () => prng.real53(gen)))
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length
    // Uniform on [0, 1000): mean 500, standard error ≈ 2.9 — ±25 is > 8 sigma.
    expect(mean).toBeGreaterThan(475)
    expect(mean).toBeLessThan(525)
    const buckets = new Array<number>(10).fill(0)
    for (const s of samples) buckets[Math.min(9, Math.floor(s / 100))]!++
    for (const count of buckets) {
      expect(count).toBeGreaterThan(800)
      expect(count).toBeLessThan(1200)
    }
  })

  it('uses the random value linearly and clamps a broken random source', () => {
    const options = { baseMs: 100, maxMs: 10_000 }
    expect(fullJitterDelayMs(2, options, () => 0)).toBe(0)
    expect(fullJitterDelayMs(2, options, () => 0.5)).toBe(200)
    expect(fullJitterDelayMs(2, options, () => 7)).toBe(400)
    expect(fullJitterDelayMs(2, options, () => -1)).toBe(0)
    expect(fullJitterDelayMs(2, options, () => Number.NaN)).toBe(0)
  })
})

describe('validateBackoff', () => {
  it('refuses non-positive base and a cap below the base, naming the value', () => {
    expect(() => validateBackoff({ baseMs: 0, maxMs: 10 })).toThrow(InvalidSyncClientOptionError)
    expect(() => validateBackoff({ baseMs: 100, maxMs: 50 })).toThrow(/backoff\.maxMs: 50/)
    expect(validateBackoff({ baseMs: 100, maxMs: 100 })).toEqual({ baseMs: 100, maxMs: 100 })
  })
})
