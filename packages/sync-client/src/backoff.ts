import type { BackoffOptions } from './api'
import { InvalidSyncClientOptionError } from './errors'

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ baseMs: 250, maxMs: 5000 })

/**
 * Upper bound of the delay before retry number `attempt` (0 = first retry after a good
 * connection): `min(maxMs, baseMs · 2^attempt)`.
 */
export function backoffCeilingMs(attempt: number, { baseMs, maxMs }: BackoffOptions): number {
  // 2^attempt overflows to Infinity past ~1023, which min() then caps: still correct.
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.floor(attempt)))
}

/**
 * "Full jitter" delay: uniform in [0, ceiling). Spreads the reconnects of many clients that lost
 * the same relay at the same moment instead of having them retry in lockstep.
 */
export function fullJitterDelayMs(
  attempt: number,
  options: BackoffOptions,
  random: () => number,
): number {
  const r = random()
  // A misbehaving random source must not produce negative or overlong delays.
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0
  return unit * backoffCeilingMs(attempt, options)
}

/** Throws InvalidSyncClientOptionError unless 0 < baseMs ≤ maxMs, both finite. */
export function validateBackoff(options: BackoffOptions): BackoffOptions {
  const { baseMs, maxMs } = options
  if (!Number.isFinite(baseMs) || baseMs <= 0) {
    throw new InvalidSyncClientOptionError('backoff.baseMs', baseMs, 'a finite number > 0')
  }
  if (!Number.isFinite(maxMs) || maxMs < baseMs) {
    throw new InvalidSyncClientOptionError('backoff.maxMs', maxMs, `a finite number ≥ baseMs (${baseMs})`)
  }
  return { baseMs, maxMs }
}
