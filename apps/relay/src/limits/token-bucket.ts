/** The clock a bucket reads, in milliseconds (`Timers` is one). */
export interface Clock {
  now(): number
}

/**
 * A token bucket on an injected clock: `ratePerSecond` tokens flow in, at most `burst` are kept.
 * {@link take} pays up front (refused when the bucket cannot cover it); {@link charge} bills work
 * after it was done and may leave the bucket in debt, which later takes wait out.
 */
export class TokenBucket {
  private tokens: number
  private lastMs: number

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    // An object shared by every bucket rather than a closure: a connection's bucket would
    // otherwise hold a closure and its context of its own (~100 bytes).
    private readonly clock: Clock,
  ) {
    this.tokens = burst
    this.lastMs = clock.now()
  }

  /** Tokens available right now (negative while in debt). */
  get available(): number {
    this.refill()
    return this.tokens
  }

  /** True when the bucket has never been drawn from or has fully refilled. */
  get full(): boolean {
    return this.available >= this.burst
  }

  /** Takes `cost` tokens if the bucket holds them; false (nothing taken) otherwise. */
  take(cost = 1): boolean {
    this.refill()
    if (this.tokens < cost) return false
    this.tokens -= cost
    return true
  }

  /** Bills `cost` tokens for work already done; the debt is capped at one burst. */
  charge(cost: number): void {
    if (!(cost > 0)) return
    this.refill()
    this.tokens = Math.max(this.tokens - cost, -this.burst)
  }

  private refill(): void {
    const nowMs = this.clock.now()
    const elapsedMs = nowMs - this.lastMs
    this.lastMs = nowMs
    if (elapsedMs > 0) this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSecond) / 1000)
  }
}
