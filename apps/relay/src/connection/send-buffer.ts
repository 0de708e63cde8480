import type { TimerHandle, Timers } from '../timers'

/** Send-buffer limits of one connection (see README "Backpressure"). */
export interface SendBufferLimits {
  /** Past this many buffered bytes the connection is "behind": updates and awareness are not queued. */
  softLimitBytes: number
  /** Past this many (beyond the last mandatory frame) the connection is closed with 4508. */
  hardLimitBytes: number
  /** A connection behind for longer than this is closed with 4508. */
  maxBehindMs: number
}

/** How the send buffer reports to its owner. */
export interface SendBufferEvents {
  /** Bytes the socket holds that the peer has not taken yet (ws `bufferedAmount`). */
  bufferedBytes(): number
  /** Stopped queueing droppable frames; remember what the peer has. */
  fellBehind(): void
  /** Drained below the low-water mark after falling behind: send it what it missed. */
  caughtUp(): void
  /** Hard limit or behind too long. */
  overflow(reason: string): void
}

/** How often a connection that is behind is checked (drain, hard limit, timeout). */
export const BEHIND_CHECK_INTERVAL_MS = 25

/**
 * The backpressure state machine of one connection: `ok` → (buffer past the soft limit) →
 * `behind` → (buffer below a quarter of the soft limit) → `ok` + one resync; `behind` too long or
 * past the hard limit → overflow. Polls only while behind.
 */
export class SendBuffer {
  private behindSinceMs: number | null = null
  private timer: TimerHandle | null = null
  /** Size of the last frame queued regardless of backpressure (handshake, resync). */
  private lastMandatoryBytes = 0

  constructor(
    private readonly limits: SendBufferLimits,
    private readonly timers: Timers,
    private readonly events: SendBufferEvents,
  ) {}

  get behind(): boolean {
    return this.behindSinceMs !== null
  }

  /** After a frame was queued: fall behind past the soft limit. */
  afterSend(frameBytes: number, mandatory: boolean): void {
    if (mandatory) this.lastMandatoryBytes = frameBytes
    if (this.behindSinceMs !== null) return
    if (this.events.bufferedBytes() > this.limits.softLimitBytes) {
      this.behindSinceMs = this.timers.now()
      this.events.fellBehind()
      this.timer = this.timers.setInterval(() => this.check(), BEHIND_CHECK_INTERVAL_MS)
    }
  }

  /** Stops polling (the connection closed). */
  dispose(): void {
    if (this.timer !== null) this.timers.clearInterval(this.timer)
    this.timer = null
  }

  private check(): void {
    if (this.behindSinceMs === null) return
    const buffered = this.events.bufferedBytes()
    if (buffered > this.limits.hardLimitBytes + this.lastMandatoryBytes) {
      this.dispose()
      this.events.overflow(`send buffer ${buffered} bytes exceeds the hard limit ${this.limits.hardLimitBytes}`)
      return
    }
    if (buffered <= this.limits.softLimitBytes / 4) {
      this.behindSinceMs = null
      this.dispose()
      this.lastMandatoryBytes = 0
      this.events.caughtUp()
      return
    }
    if (this.timers.now() - this.behindSinceMs > this.limits.maxBehindMs) {
      this.dispose()
      this.events.overflow(`behind for more than ${this.limits.maxBehindMs} ms`)
    }
  }
}
