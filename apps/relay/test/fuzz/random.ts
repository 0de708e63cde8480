// Seeded randomness for the fuzz: one sfc32 stream per concern (actions, each proxy, each
// connection), so the same seed draws the same action sequence however the network behaved.

/** A seed is a 32-bit unsigned integer; this says which value was not one. */
export class InvalidSeedError extends Error {
  override readonly name = 'InvalidSeedError'
  constructor(source: string, value: string) {
    super(`${source}=${JSON.stringify(value)} is not an integer seed in 0..4294967295`)
  }
}

/** Parses a seed from an environment variable (or other text); throws {@link InvalidSeedError}. */
export function parseSeed(source: string, value: string): number {
  const seed = /^\s*\d+\s*$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(seed) || seed > 0xffffffff) throw new InvalidSeedError(source, value)
  return seed
}

/** A fresh seed when none was given (Math.random is fine here: the seed is printed). */
export function freshSeed(): number {
  return Math.floor(Math.random() * 0x1_0000_0000) >>> 0
}

/** FNV-1a over the label, mixed with the parent seed: stable names for derived streams. */
function deriveSeed(seed: number, label: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash
}

const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz'

/** sfc32 (Chris Doty-Humphrey's small fast counter), seeded from one 32-bit integer. */
export class Random {
  private a: number
  private b: number
  private c: number
  private d = 1

  constructor(readonly seed: number) {
    this.a = 0x9e3779b9
    this.b = 0x243f6a88
    this.c = seed >>> 0
    // The first outputs of a freshly seeded sfc32 are weak; discard them.
    for (let i = 0; i < 15; i++) this.nextUint32()
  }

  /** An independent stream named `label` (same seed and label → same stream). */
  fork(label: string): Random {
    return new Random(deriveSeed(this.seed, label))
  }

  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0
    this.d = (this.d + 1) >>> 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) >>> 0
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0
    this.c = (this.c + t) >>> 0
    return t
  }

  /** A float in [0, 1). */
  float(): number {
    return this.nextUint32() / 0x1_0000_0000
  }

  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new RangeError(`Random.int needs integers min <= max, got ${min}..${max}`)
    }
    return min + Math.floor(this.float() * (max - min + 1))
  }

  /** True with probability `p`. */
  bool(p = 0.5): boolean {
    return this.float() < p
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Random.pick from an empty list')
    return items[this.int(0, items.length - 1)]!
  }

  /** A key drawn by weight: `{ insert: 5, delete: 2 }` picks insert 5 times as often. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0)
    if (!(total > 0)) throw new RangeError('Random.weighted needs a positive total weight')
    let point = this.float() * total
    for (const [key, weight] of entries) {
      point -= weight
      if (point < 0) return key
    }
    return entries[entries.length - 1]![0]
  }

  /** `length` characters drawn from `alphabet` (lowercase letters by default). */
  string(length: number, alphabet = LOWERCASE): string {
    let out = ''
    for (let i = 0; i < length; i++) out += alphabet[this.int(0, alphabet.length - 1)]
    return out
  }
}
