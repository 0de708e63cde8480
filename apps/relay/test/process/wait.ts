// Deadline polling, sleeping and seeded randomness shared by the process tests and benchmarks.

export interface WaitForOptions {
  timeoutMs: number
  /** What was awaited; a function is evaluated only on timeout (it may describe current state). */
  message: string | (() => string)
  intervalMs?: number
}

/** Thrown by {@link waitFor} when its predicate stayed false until the deadline. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError'
  constructor(message: string, timeoutMs: number) {
    super(`Timed out after ${timeoutMs} ms waiting for: ${message}`)
  }
}

/** Polls `predicate` until it returns true, or throws {@link WaitTimeoutError} at the deadline. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, options: WaitForOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs
  const intervalMs = options.intervalMs ?? 25
  for (;;) {
    if (await predicate()) return
    if (Date.now() >= deadline) {
      const message = typeof options.message === 'function' ? options.message() : options.message
      throw new WaitTimeoutError(message, options.timeoutMs)
    }
    await sleep(intervalMs)
  }
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Lets timers and socket I/O run between bursts of synchronous work. */
export async function yieldToEventLoop(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve))
}

/** mulberry32: a small deterministic PRNG, returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

/** The seed from environment variable `name` when set (to reproduce a run), else a fresh one. */
export function seedFromEnv(name: string): number {
  const fromEnv = process.env[name]
  if (fromEnv !== undefined && fromEnv !== '') {
    const seed = Number(fromEnv)
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new Error(`${name}=${JSON.stringify(fromEnv)} is not an integer seed in 0..4294967295`)
    }
    return seed
  }
  return Math.floor(Math.random() * 0xffffffff)
}

/** An integer in [min, max] drawn from `random`. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1))
}
