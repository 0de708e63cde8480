// This relay's membership in the cluster: one bus (Redis), one channel per open document, a
// heartbeat on the relays channel, and the routing of incoming messages to room peers.
import { randomBytes } from 'node:crypto'
import type { ProtocolLimits } from '@collab/protocol'
import type { DocStore } from '@collab/storage'
import type { FastifyBaseLogger } from 'fastify'
import type { TimerHandle, Timers } from '../timers'
import type { ClusterBus } from './bus'
import type { ClusterRoom, RoomCluster, RoomPeer } from './cluster-room'
import { RelayLiveness, type RelayGoneReason } from './liveness'
import { ClusterRoomPeer, type PeerContext } from './room-peer'
import { ClusterMessageError, RELAYS_CHANNEL, decodeClusterMessage, encodeClusterMessage, type ClusterMessage } from './wire'

/**
 * Largest anti-entropy DIFF put on the bus. Redis disconnects a subscriber whose output buffer
 * passes 32 MiB (8 MiB for a minute) by default; a document this large catches up from storage
 * when its room next loads instead.
 */
export const DEFAULT_MAX_DIFF_BYTES = 8 * 1024 * 1024

export interface ClusterLinkOptions {
  relayId: string
  bus: ClusterBus
  store: DocStore
  timers: Timers
  random?: () => number
  logger: FastifyBaseLogger
  limits: ProtocolLimits
  antiEntropyIntervalMs: number
  heartbeatMs: number
  awarenessFlushMs: number
  maxDiffBytes?: number
}

/** A random relay id (`relay-` + 8 hex digits), for when RELAY_ID is not set. */
export function randomRelayId(): string {
  return `relay-${randomBytes(4).toString('hex')}`
}

/** Connects rooms to the other relays. Created once per relay; closed after every room. */
export class ClusterLink implements RoomCluster {
  readonly relayId: string
  private readonly peers = new Map<string, ClusterRoomPeer>()
  private readonly liveness: RelayLiveness
  private readonly context: PeerContext
  private readonly heartbeatTimer: TimerHandle
  /** Tells this process's heartbeats from another relay's that was given the same RELAY_ID. */
  private readonly instance = randomBytes(8).toString('hex')
  private malformedLogged = false
  private duplicateIdLogged = false
  private closed = false

  constructor(private readonly options: ClusterLinkOptions) {
    this.relayId = options.relayId
    const { timers, logger } = options
    this.liveness = new RelayLiveness({
      timers,
      heartbeatMs: options.heartbeatMs,
      onGone: (relayId, reason) => this.onRelayGone(relayId, reason),
    })
    this.context = {
      relayId: options.relayId,
      store: options.store,
      timers,
      random: options.random ?? Math.random,
      logger,
      limits: options.limits,
      antiEntropyIntervalMs: options.antiEntropyIntervalMs,
      awarenessFlushMs: options.awarenessFlushMs,
      heartbeatMs: options.heartbeatMs,
      maxDiffBytes: options.maxDiffBytes ?? DEFAULT_MAX_DIFF_BYTES,
      publish: (channel, message) => this.publish(channel, message),
      release: (channel, peer) => this.release(channel, peer),
    }
    options.bus.start({
      onMessage: (channel, message) => this.onMessage(channel, message),
      onConnected: () => this.onConnected(),
      onDisconnected: () => this.liveness.pause(),
    })
    options.bus.subscribe(RELAYS_CHANNEL)
    this.heartbeatTimer = timers.setInterval(() => {
      this.heartbeat()
      this.liveness.check()
    }, options.heartbeatMs)
  }

  /** Whether the bus is connected (edits cross relays). */
  get connected(): boolean {
    return this.options.bus.connected
  }

  /** Peer relays heard from recently. */
  get peerRelays(): string[] {
    return this.liveness.alive
  }

  /** Subscribes the room's channel; the room calls `loaded()` once it is ready. */
  join(room: ClusterRoom): RoomPeer {
    const peer = new ClusterRoomPeer(room, this.context)
    const previous = this.peers.get(peer.channel)
    // A previous room of the same document always leaves first; be safe anyway.
    if (previous !== undefined) previous.leave()
    this.peers.set(peer.channel, peer)
    this.options.bus.subscribe(peer.channel)
    return peer
  }

  /** Says BYE (peers drop our clients' presence at once) and disconnects. Call after the rooms closed. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.options.timers.clearInterval(this.heartbeatTimer)
    for (const peer of [...this.peers.values()]) peer.leave()
    this.publish(RELAYS_CHANNEL, { kind: 'bye', origin: this.relayId })
    await this.options.bus.close()
  }

  private publish(channel: string, message: ClusterMessage): void {
    this.options.bus.publish(channel, encodeClusterMessage(message))
  }

  private release(channel: string, peer: ClusterRoomPeer): void {
    if (this.peers.get(channel) !== peer) return
    this.peers.delete(channel)
    if (!this.closed) this.options.bus.unsubscribe(channel)
  }

  private heartbeat(): void {
    this.publish(RELAYS_CHANNEL, {
      kind: 'heartbeat',
      origin: this.relayId,
      intervalMs: this.options.heartbeatMs,
      instance: this.instance,
    })
  }

  private onConnected(): void {
    this.liveness.resume()
    this.heartbeat()
    for (const peer of this.peers.values()) peer.resync()
  }

  private onMessage(channel: string, bytes: Uint8Array): void {
    let message: ClusterMessage
    try {
      message = decodeClusterMessage(bytes)
    } catch (error) {
      // Another deployment or version on the same Redis; say so once, not per message.
      if (!this.malformedLogged && error instanceof ClusterMessageError) {
        this.malformedLogged = true
        this.options.logger.warn({ err: error, channel }, 'ignoring cluster messages this relay cannot read')
      }
      return
    }
    if (message.origin === this.relayId) {
      // Our own, delivered back by the bus, or another relay with our RELAY_ID: the two would
      // ignore each other's edits.
      if (message.kind === 'heartbeat' && message.instance !== this.instance && !this.duplicateIdLogged) {
        this.duplicateIdLogged = true
        this.options.logger.error({ relayId: this.relayId }, 'another relay uses the same RELAY_ID; edits will not cross between the two')
      }
      return
    }
    this.liveness.seen(message.origin, message.kind === 'heartbeat' ? message : undefined)
    if (channel === RELAYS_CHANNEL) {
      if (message.kind === 'bye') this.liveness.left(message.origin)
      return
    }
    this.peers.get(channel)?.receive(message)
  }

  private onRelayGone(relayId: string, reason: RelayGoneReason): void {
    this.options.logger.info({ relay: relayId, reason, rooms: this.peers.size }, reason === 'left' ? 'peer relay left' : 'peer relay presumed dead')
    for (const peer of this.peers.values()) peer.relayGone(relayId, reason)
  }
}
