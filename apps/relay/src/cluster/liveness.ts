import type { Timers } from '../timers'

/** Why a peer relay is considered gone. */
export type RelayGoneReason =
  /** It said BYE: it shut down cleanly after flushing. */
  | 'left'
  /** Nothing heard from it for {@link missedHeartbeatsUntilDead} heartbeats: it died. */
  | 'timeout'

/** Heartbeats a relay may miss before its peers declare it dead. */
export const missedHeartbeatsUntilDead = 3

export interface RelayLivenessOptions {
  timers: Timers
  heartbeatMs: number
  onGone(relayId: string, reason: RelayGoneReason): void
}

/**
 * Which peer relays are alive, from anything heard from them (heartbeats every `heartbeatMs`,
 * and every other message). While this relay's own bus is disconnected nobody is declared dead
 * (we cannot tell); after it reconnects every peer gets a fresh window.
 */
export class RelayLiveness {
  private readonly lastSeenMs = new Map<string, number>()
  /** Heartbeat interval each peer announced (they may be configured differently). */
  private readonly intervalMs = new Map<string, number>()
  /** The process behind each relay id (from its heartbeats). */
  private readonly instances = new Map<string, string>()
  private paused = true

  constructor(private readonly options: RelayLivenessOptions) {}

  /** Peer relays heard from recently. */
  get alive(): string[] {
    return [...this.lastSeenMs.keys()]
  }

  /**
   * Something arrived from `relayId`. A heartbeat also says how often to expect the next and
   * which process sent it: a relay restarted under the same RELAY_ID faster than it could be
   * missed counts as the old process having died.
   */
  seen(relayId: string, heartbeat?: { intervalMs: number; instance: string }): void {
    if (heartbeat !== undefined) {
      const known = this.instances.get(relayId)
      this.instances.set(relayId, heartbeat.instance)
      if (known !== undefined && known !== heartbeat.instance && this.lastSeenMs.has(relayId)) {
        this.options.onGone(relayId, 'timeout')
      }
      if (heartbeat.intervalMs > 0) this.intervalMs.set(relayId, heartbeat.intervalMs)
    }
    this.lastSeenMs.set(relayId, this.options.timers.now())
  }

  left(relayId: string): void {
    this.intervalMs.delete(relayId)
    this.instances.delete(relayId)
    if (this.lastSeenMs.delete(relayId)) this.options.onGone(relayId, 'left')
  }

  pause(): void {
    this.paused = true
  }

  resume(): void {
    this.paused = false
    const now = this.options.timers.now()
    for (const relayId of this.lastSeenMs.keys()) this.lastSeenMs.set(relayId, now)
  }

  /** Declares every peer silent for too long dead; call about once per heartbeat. */
  check(): void {
    if (this.paused) return
    const now = this.options.timers.now()
    for (const [relayId, seenMs] of this.lastSeenMs) {
      const heartbeatMs = Math.max(this.options.heartbeatMs, this.intervalMs.get(relayId) ?? 0)
      if (now - seenMs > heartbeatMs * (missedHeartbeatsUntilDead + 0.5)) {
        this.lastSeenMs.delete(relayId)
        this.intervalMs.delete(relayId)
        this.instances.delete(relayId)
        this.options.onGone(relayId, 'timeout')
      }
    }
  }
}
