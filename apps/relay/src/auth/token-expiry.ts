import type { TimerHandle, Timers } from '../timers'

/** setTimeout cannot wait longer than this (longer delays fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1

/** What ends when its access token expires (a sync session). */
export interface Expiring {
  /** Its token expired: close it. */
  expired(): void
}

/**
 * When each open session's access token expires, with one timer for all of them: sessions are
 * kept sorted by expiry and the timer waits for the first. A timer per session (its Timeout, the
 * closure, Node's timer list per distinct delay) was ~400 bytes of every connection with
 * AUTH_SECRET set. Tokens are usually minted with one lifetime, so a new one sorts last.
 */
export class TokenExpiries {
  /** Expiry of each entry, wall clock ms, ascending (a packed array of doubles, 8 bytes each). */
  private readonly expiresAtMs: number[] = []
  private readonly sessions: Expiring[] = []
  private timer: TimerHandle | null = null

  constructor(
    private readonly timers: Timers,
    /** Wall clock, ms since the epoch (token expiry is wall-clock time). */
    private readonly wallClockMs: () => number,
  ) {}

  /** Sessions waiting for their expiry (tests: nothing leaks). */
  get size(): number {
    return this.sessions.length
  }

  /** Calls `session.expired()` once `expiresAtMs` has passed, unless {@link delete}d first. */
  add(session: Expiring, expiresAtMs: number): void {
    // After every entry expiring at the same time or sooner: usually the end.
    let index = this.expiresAtMs.length
    while (index > 0 && this.expiresAtMs[index - 1]! > expiresAtMs) index--
    this.expiresAtMs.splice(index, 0, expiresAtMs)
    this.sessions.splice(index, 0, session)
    if (index === 0) this.arm()
  }

  /** Forgets the session (it closed); `expiresAtMs` as given to {@link add}. */
  delete(session: Expiring, expiresAtMs: number): void {
    let index = this.firstIndexAt(expiresAtMs)
    while (index < this.sessions.length && this.sessions[index] !== session) {
      if (this.expiresAtMs[index]! > expiresAtMs) return
      index++
    }
    if (index === this.sessions.length) return
    this.expiresAtMs.splice(index, 1)
    this.sessions.splice(index, 1)
    if (index === 0) this.arm()
  }

  /** Stops the timer; nothing expires after this. */
  dispose(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer)
    this.timer = null
    this.expiresAtMs.length = 0
    this.sessions.length = 0
  }

  /** Index of the first entry expiring at `atMs` or later (binary search). */
  private firstIndexAt(atMs: number): number {
    let low = 0
    let high = this.expiresAtMs.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.expiresAtMs[middle]! < atMs) low = middle + 1
      else high = middle
    }
    return low
  }

  /** (Re)arms the timer for the first expiry, if any. */
  private arm(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer)
    this.timer = null
    const first = this.expiresAtMs[0]
    if (first === undefined) return
    const delayMs = Math.min(Math.max(0, first - this.wallClockMs()), MAX_TIMER_MS)
    this.timer = this.timers.setTimeout(() => this.expire(), delayMs)
  }

  private expire(): void {
    this.timer = null
    const nowMs = this.wallClockMs()
    let due = 0
    while (due < this.expiresAtMs.length && this.expiresAtMs[due]! <= nowMs) due++
    this.expiresAtMs.splice(0, due)
    const expired = this.sessions.splice(0, due)
    this.arm()
    for (const session of expired) session.expired()
  }
}
