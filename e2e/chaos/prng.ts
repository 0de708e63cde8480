// A small seeded PRNG, so a chaos run's whole action and fault schedule follows from one number.

/** Largest seed accepted: seeds are printed and typed back by people, so keep them 32-bit. */
export const MAX_SEED = 0xffff_ffff

/** Thrown for a seed that is not an integer in [0, MAX_SEED]. */
export class InvalidSeedError extends Error {
  override readonly name = 'InvalidSeedError'
  constructor(value: unknown) {
    super(`Seed ${JSON.stringify(value)} is not an integer between 0 and ${MAX_SEED}`)
  }
}

/** Parses a seed from the environment or a command line; throws InvalidSeedError. */
export function parseSeed(text: string): number {
  const trimmed = text.trim()
  if (!/^\d+$/.test(trimmed)) throw new InvalidSeedError(text)
  const seed = Number(trimmed)
  if (!Number.isSafeInteger(seed) || seed > MAX_SEED) throw new InvalidSeedError(text)
  return seed
}

/** A fresh seed for a run nobody asked to reproduce. */
export function randomSeed(): number {
  return Math.floor(Math.random() * MAX_SEED)
}

/** Mixes a 32-bit value (the finaliser of MurmurHash3): nearby seeds give unrelated streams. */
function mix32(value: number): number {
  let h = value >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35)
  return (h ^ (h >>> 16)) >>> 0
}

function hashLabel(label: string): number {
  let h = 0x811c_9dc5
  for (let index = 0; index < label.length; index++) h = Math.imul(h ^ label.charCodeAt(index), 0x0100_0193)
  return h >>> 0
}

/**
 * Deterministic random numbers (mulberry32 state stepping). `fork(label)` gives an independent
 * stream, so adding draws to one page's script does not shift another page's.
 */
export class Random {
  private state: number

  constructor(readonly seed: number) {
    this.state = mix32(seed ^ 0x9e37_79b9)
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b_79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }

  chance(probability: number): boolean {
    return this.next() < probability
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Cannot pick from an empty list')
    return items[Math.floor(this.next() * items.length)] as T
  }

  /** Picks a key of `weights` with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as Array<[K, number]>
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0)
    let roll = this.next() * total
    for (const [key, weight] of entries) {
      roll -= weight
      if (roll < 0) return key
    }
    return (entries[entries.length - 1] as [K, number])[0]
  }

  /** An independent stream named `label`, derived from this generator's seed (not its state). */
  fork(label: string): Random {
    return new Random(mix32(this.seed ^ hashLabel(label)))
  }
}
