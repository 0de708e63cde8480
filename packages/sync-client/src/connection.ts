import type { WebsocketProvider } from 'y-websocket'
import type { BackoffOptions, NetworkEventSource, Timers } from './api'
import { fullJitterDelayMs } from './backoff'
import { deriveConnectionState, type ConnectionFacts } from './status'
import { createTimerSlot } from './timers'

export interface ConnectionManagerOptions {
  provider: WebsocketProvider
  backoff: BackoffOptions
  offlineAfterFailedAttempts: number
  random: () => number
  now: () => number
  timers: Timers
  heartbeatIntervalMs: number
  heartbeatTimeoutMs: number
  networkEvents: NetworkEventSource | null
  initiallyOffline: boolean
  /** Sends one heartbeat `[100]` on the open socket. */
  sendHeartbeat: () => void
  /** Something the status depends on changed. */
  onChange: () => void
}

/**
 * Drives the provider's connection: the stock reconnect (plain exponential backoff, no jitter)
 * is switched off at every close and replaced by full-jitter backoff; `offline`/`online` events
 * and a heartbeat catch sockets that die without closing.
 */
export class ConnectionManager {
  private readonly options: ConnectionManagerOptions
  private readonly retrySlot
  private readonly heartbeatSlot
  /** Armed while waiting for any frame: from socket creation, and after each heartbeat. */
  private readonly livenessSlot
  /** Armed from socket open until the first sync completes. */
  private readonly syncSlot
  private failedAttempts = 0
  private browserOffline: boolean
  /** No retries until the browser says `online` again. */
  private suspendedForOffline = false
  private stopped = false
  private started = false
  private nextRetryAt: number | null = null
  private permanentErrorText: string | null = null
  private readonly detach: Array<() => void> = []

  constructor(options: ConnectionManagerOptions) {
    this.options = options
    this.browserOffline = options.initiallyOffline
    this.retrySlot = createTimerSlot(options.timers)
    this.heartbeatSlot = createTimerSlot(options.timers)
    this.livenessSlot = createTimerSlot(options.timers)
    this.syncSlot = createTimerSlot(options.timers)
    const { provider, networkEvents } = options

    const onStatus = ({ status }: { status: 'connected' | 'disconnected' | 'connecting' }): void => {
      switch (status) {
        case 'connecting':
          this.expectFrameWithinTimeout()
          break
        case 'connected':
          // A socket that opened proves there is a network, whatever navigator.onLine said.
          this.browserOffline = false
          this.heartbeatSlot.arm(this.heartbeat, options.heartbeatIntervalMs)
          // Frames alone do not prove progress: a relay that lost our sync step 1 (or hangs
          // loading the document) answers heartbeats but never syncs us.
          this.syncSlot.arm(() => this.dropConnection(), options.heartbeatTimeoutMs)
          break
        case 'disconnected':
          break
        default: {
          const unknown: never = status
          return unknown
        }
      }
      options.onChange()
    }
    const onSync = (synced: boolean): void => {
      if (synced) {
        this.failedAttempts = 0
        this.syncSlot.clear()
      }
      options.onChange()
    }
    const onConnectionClose = (): void => {
      // The stock provider schedules its own jitter-less reconnect right after this event;
      // with shouldConnect false that timer finds nothing to do.
      provider.shouldConnect = false
      this.heartbeatSlot.clear()
      this.livenessSlot.clear()
      this.syncSlot.clear()
      // navigator.onLine may be wrong in the hopeful direction only rarely, so one attempt is
      // made anyway (it succeeds in a network-less container talking to a local relay); once
      // that fails, wait for the browser's `online` event instead of retrying into the void.
      if (this.browserOffline) this.suspendedForOffline = true
      if (!this.stopped && !this.suspendedForOffline) this.scheduleRetry()
      options.onChange()
    }
    const onClosed = ({ code, reason }: { code: number; reason: string }): void => {
      this.stop(`The relay refused this document (close code ${code}${reason === '' ? '' : `: ${reason}`})`)
    }
    provider.on('status', onStatus)
    provider.on('sync', onSync)
    provider.on('connection-close', onConnectionClose)
    provider.on('closed', onClosed)
    this.detach.push(() => {
      provider.off('status', onStatus)
      provider.off('sync', onSync)
      provider.off('connection-close', onConnectionClose)
      provider.off('closed', onClosed)
    })

    if (networkEvents !== null) {
      const onOffline = (): void => this.goOffline()
      const onOnline = (): void => this.goOnline()
      networkEvents.addEventListener('offline', onOffline)
      networkEvents.addEventListener('online', onOnline)
      this.detach.push(() => {
        networkEvents.removeEventListener('offline', onOffline)
        networkEvents.removeEventListener('online', onOnline)
      })
    }
  }

  /** First connection attempt (after the local replica loaded). */
  start(): void {
    if (this.started || this.stopped) return
    this.started = true
    if (!this.suspendedForOffline) this.connect()
  }

  /** Any frame arrived on the socket: it is alive. */
  noteFrameReceived(): void {
    this.livenessSlot.clear()
  }

  /** Drops the current socket (e.g. it sent garbage) and reconnects with backoff. */
  dropConnection(): void {
    const { provider } = this.options
    if (provider.ws === null) return
    // disconnect() is the only public way to close the socket and stop the stock reconnect, but
    // it also leaves the BroadcastChannel: rejoin it, so tabs keep syncing with each other offline.
    provider.disconnect()
    if (!this.stopped) provider.connectBc()
  }

  /** Connect now: skips the backoff wait, an offline suspension and a permanent stop. */
  reconnectNow(): void {
    if (!this.started) return
    this.stopped = false
    this.permanentErrorText = null
    this.suspendedForOffline = false
    this.failedAttempts = 0
    this.connect()
    this.options.onChange()
  }

  /** Stops for good (until reconnectNow); `reason` is shown as the permanent error. */
  stop(reason: string | null): void {
    this.stopped = true
    this.permanentErrorText = reason
    this.cancelRetry()
    if (this.options.provider.ws !== null) this.options.provider.disconnect()
    this.options.onChange()
  }

  dispose(): void {
    this.stopped = true
    this.cancelRetry()
    this.heartbeatSlot.clear()
    this.livenessSlot.clear()
    this.syncSlot.clear()
    for (const undo of this.detach.splice(0)) undo()
  }

  get facts(): ConnectionFacts {
    const { provider } = this.options
    return {
      synced: provider.wsconnected && provider.synced,
      browserOffline: this.browserOffline,
      stopped: this.stopped,
      failedAttempts: this.failedAttempts,
      offlineAfterFailedAttempts: this.options.offlineAfterFailedAttempts,
    }
  }

  get connectionState(): ReturnType<typeof deriveConnectionState> {
    return deriveConnectionState(this.facts)
  }

  get nextRetryAtMs(): number | null {
    return this.nextRetryAt
  }

  get permanentError(): string | null {
    return this.permanentErrorText
  }

  private connect(): void {
    this.cancelRetry()
    const { provider } = this.options
    if (provider.ws === null) provider.connect()
  }

  private scheduleRetry(): void {
    const { backoff, random, now } = this.options
    const delayMs = fullJitterDelayMs(this.failedAttempts, backoff, random)
    this.failedAttempts++
    this.nextRetryAt = now() + delayMs
    this.retrySlot.arm(() => {
      this.nextRetryAt = null
      this.connect()
      this.options.onChange()
    }, delayMs)
  }

  private cancelRetry(): void {
    this.retrySlot.clear()
    this.nextRetryAt = null
  }

  private goOffline(): void {
    this.browserOffline = true
    this.suspendedForOffline = true
    this.cancelRetry()
    // The socket may stay "open" while nothing passes (Chromium keeps readyState 1): drop it.
    this.dropConnection()
    this.options.onChange()
  }

  private goOnline(): void {
    this.browserOffline = false
    const wasWaiting = this.suspendedForOffline || this.retrySlot.armed
    this.suspendedForOffline = false
    if (this.started && !this.stopped && wasWaiting) {
      this.failedAttempts = 0
      this.connect()
    }
    this.options.onChange()
  }

  private readonly heartbeat = (): void => {
    const { provider, heartbeatIntervalMs } = this.options
    if (!provider.wsconnected) return
    this.options.sendHeartbeat()
    this.expectFrameWithinTimeout()
    this.heartbeatSlot.arm(this.heartbeat, heartbeatIntervalMs)
  }

  private expectFrameWithinTimeout(): void {
    if (this.livenessSlot.armed) return
    this.livenessSlot.arm(() => this.dropConnection(), this.options.heartbeatTimeoutMs)
  }
}
