// One room's membership in the cluster: publishes what this relay's clients change, applies what
// other relays publish (tagged with REMOTE_ORIGIN, so it is fanned out here but never stored or
// published again), mirrors awareness across relays, and runs anti-entropy for the document.
import {
  encodeAwarenessEntries,
  parseAwarenessEntries,
  readAwarenessUpdate,
  validateUpdate,
  type ProtocolLimits,
} from '@collab/protocol'
import type { DocStore } from '@collab/storage'
import type { FastifyBaseLogger } from 'fastify'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as Y from 'yjs'
import { assertNever } from '../assert-never'
import { Connection } from '../connection/connection'
import type { TimerHandle, Timers } from '../timers'
import { AntiEntropy } from './anti-entropy'
import { REMOTE_ORIGIN, type ClusterRoom, type RoomPeer } from './cluster-room'
import type { RelayGoneReason } from './liveness'
import { unstoredChanges } from './write-back'
import { docChannel, type ClusterMessage } from './wire'

/** What a room peer needs from the link that created it. */
export interface PeerContext {
  readonly relayId: string
  readonly store: DocStore
  readonly timers: Timers
  readonly random: () => number
  readonly logger: FastifyBaseLogger
  readonly limits: ProtocolLimits
  readonly antiEntropyIntervalMs: number
  readonly awarenessFlushMs: number
  readonly heartbeatMs: number
  readonly maxDiffBytes: number
  publish(channel: string, message: ClusterMessage): void
  /** The peer left: unsubscribe its channel. */
  release(channel: string, peer: ClusterRoomPeer): void
}

interface AwarenessChange {
  added: number[]
  updated: number[]
  removed: number[]
}

export class ClusterRoomPeer implements RoomPeer {
  readonly channel: string
  private readonly antiEntropy: AntiEntropy
  /** Awareness client id → the relay whose client it is (the last relay that announced it). */
  private readonly remoteAwareness = new Map<number, string>()
  /** Relays whose updates we applied: if one dies, store what it may not have stored. */
  private readonly relaysWithUpdates = new Set<string>()
  private readonly changedAwareness = new Set<number>()
  private awarenessTimer: TimerHandle | null = null
  private writeBackTimer: TimerHandle | null = null
  private writingBack: Promise<void> | null = null
  private left = false
  /** Remote messages are checked against these (the sending relay already enforced its own). */
  private readonly remoteUpdateLimits: Pick<ProtocolLimits, 'maxUpdateBytes' | 'maxUpdateClientIds'>
  private readonly remoteAwarenessLimits: ProtocolLimits

  constructor(
    private readonly room: ClusterRoom,
    private readonly context: PeerContext,
  ) {
    this.channel = docChannel(room.docId)
    const { limits } = context
    // A DIFF can carry the whole document and every client id that ever edited it.
    this.remoteUpdateLimits = {
      maxUpdateBytes: Math.max(limits.maxUpdateBytes, limits.maxDocumentBytes),
      maxUpdateClientIds: Number.MAX_SAFE_INTEGER,
    }
    this.remoteAwarenessLimits = { ...limits, maxAwarenessEntries: Number.MAX_SAFE_INTEGER }
    this.antiEntropy = new AntiEntropy({
      docId: room.docId,
      doc: room.doc,
      relayId: context.relayId,
      timers: context.timers,
      random: context.random,
      logger: context.logger,
      intervalMs: context.antiEntropyIntervalMs,
      maxDiffBytes: context.maxDiffBytes,
      isReady: () => room.state === 'ready' || room.state === 'closing',
      publish: (message) => this.send(message),
    })
    room.awareness.awareness.on('update', this.onAwarenessUpdate)
  }

  publishUpdate(update: Uint8Array): void {
    this.send({ kind: 'update', origin: this.context.relayId, update })
  }

  loaded(): void {
    this.antiEntropy.start()
  }

  /** The bus (re)connected: messages may have been lost, so say hello again. */
  resync(): void {
    if (this.left) return
    this.antiEntropy.announce(true)
    this.queueLocalAwareness()
  }

  /** A message another relay published on this document's channel. */
  receive(message: ClusterMessage): void {
    if (this.left) return
    try {
      switch (message.kind) {
        case 'update':
          this.applyRemoteUpdate(message.origin, message.update)
          return
        case 'diff':
          this.applyRemoteUpdate(message.origin, message.update)
          this.antiEntropy.onDiff(message.origin, message.target, message.update)
          return
        case 'awareness':
          this.applyRemoteAwareness(message.origin, message.awareness)
          return
        case 'state':
          if (message.hello) this.queueLocalAwareness()
          this.antiEntropy.onState(message.origin, message.stateVector, message.digest, message.hello)
          return
        case 'heartbeat':
        case 'bye':
          // Relay-channel messages have no business on a document channel.
          return
        default:
          return assertNever(message)
      }
    } catch (error) {
      this.context.logger.warn({ err: error, docId: this.room.docId, from: message.origin, kind: message.kind }, 'cluster message refused')
    }
  }

  /** A peer relay left or died: drop its clients' presence; if it died, store what it may not have. */
  relayGone(relayId: string, reason: RelayGoneReason): void {
    if (this.left) return
    const ids: number[] = []
    for (const [clientId, owner] of this.remoteAwareness) {
      if (owner !== relayId) continue
      this.remoteAwareness.delete(clientId)
      if (!this.room.ownsAwarenessClient(clientId)) ids.push(clientId)
    }
    if (ids.length > 0) awarenessProtocol.removeAwarenessStates(this.room.awareness.awareness, ids, REMOTE_ORIGIN)
    if (reason === 'timeout' && this.relaysWithUpdates.delete(relayId)) this.scheduleWriteBack()
  }

  writeBack(): Promise<void> {
    this.writingBack ??= this.runWriteBack().finally(() => {
      this.writingBack = null
    })
    return this.writingBack
  }

  leave(): void {
    if (this.left) return
    this.left = true
    this.antiEntropy.stop()
    const { timers } = this.context
    if (this.awarenessTimer !== null) timers.clearTimeout(this.awarenessTimer)
    if (this.writeBackTimer !== null) timers.clearTimeout(this.writeBackTimer)
    this.awarenessTimer = null
    this.writeBackTimer = null
    this.changedAwareness.clear()
    this.room.awareness.awareness.off('update', this.onAwarenessUpdate)
    this.context.release(this.channel, this)
  }

  private send(message: ClusterMessage): void {
    if (!this.left) this.context.publish(this.channel, message)
  }

  private applyRemoteUpdate(origin: string, update: Uint8Array): void {
    validateUpdate(update, this.remoteUpdateLimits)
    this.room.applyRemoteUpdate(update)
    this.relaysWithUpdates.add(origin)
  }

  private applyRemoteAwareness(origin: string, payload: Uint8Array): void {
    const entries = parseAwarenessEntries(readAwarenessUpdate(payload), this.remoteAwarenessLimits)
    const allowed = entries.filter((entry) => {
      // A client connected here is ours to describe; a removal only counts from the relay that
      // last announced the client (a late one from the relay it left must not remove it).
      if (this.room.ownsAwarenessClient(entry.clientId)) return false
      return entry.state !== null || this.remoteAwareness.get(entry.clientId) === origin
    })
    if (allowed.length === 0) return
    const awareness = this.room.awareness.awareness
    awarenessProtocol.applyAwarenessUpdate(awareness, encodeAwarenessEntries(allowed), REMOTE_ORIGIN)
    const states = awareness.getStates()
    for (const entry of allowed) {
      if (!states.has(entry.clientId)) this.remoteAwareness.delete(entry.clientId)
      else if (entry.state !== null && awareness.meta.get(entry.clientId)?.clock === entry.clock) {
        this.remoteAwareness.set(entry.clientId, origin)
      }
    }
  }

  /** Changes made by this relay's own connections go to the other relays, coalesced. */
  private readonly onAwarenessUpdate = ({ added, updated, removed }: AwarenessChange, origin: unknown): void => {
    if (!(origin instanceof Connection)) return
    for (const ids of [added, updated, removed]) for (const id of ids) this.changedAwareness.add(id)
    this.scheduleAwarenessFlush()
  }

  /** Publishes every state this relay's connections own (a peer joined or we reconnected). */
  private queueLocalAwareness(): void {
    for (const clientId of this.room.awareness.awareness.getStates().keys()) {
      if (this.room.ownsAwarenessClient(clientId)) this.changedAwareness.add(clientId)
    }
    this.scheduleAwarenessFlush()
  }

  private scheduleAwarenessFlush(): void {
    if (this.awarenessTimer !== null || this.changedAwareness.size === 0 || this.left) return
    this.awarenessTimer = this.context.timers.setTimeout(this.flushAwareness, this.context.awarenessFlushMs)
  }

  private readonly flushAwareness = (): void => {
    this.awarenessTimer = null
    const awareness = this.room.awareness.awareness
    const ids = [...this.changedAwareness].filter((id) => awareness.meta.has(id))
    this.changedAwareness.clear()
    if (ids.length === 0 || this.left) return
    // Removed ids encode as state null with their last clock: peers apply that as "left".
    this.send({ kind: 'awareness', origin: this.context.relayId, awareness: awarenessProtocol.encodeAwarenessUpdate(awareness, ids) })
  }

  /** Survivors spread their write-backs, so the later ones usually find it already stored. */
  private scheduleWriteBack(): void {
    if (this.writeBackTimer !== null) return
    this.writeBackTimer = this.context.timers.setTimeout(() => {
      this.writeBackTimer = null
      if (!this.left) void this.writeBack()
    }, this.context.random() * this.context.heartbeatMs)
  }

  private async runWriteBack(): Promise<void> {
    const { store, logger } = this.context
    const { docId } = this.room
    try {
      const missing = await unstoredChanges(store, docId, Y.encodeStateAsUpdate(this.room.doc))
      if (missing === null || this.room.state === 'closed') return
      this.room.persistence.enqueue(missing)
      logger.info({ docId, bytes: missing.byteLength }, 'storing changes a relay applied but never stored')
    } catch (error) {
      logger.warn({ err: error, docId }, 'write-back failed; the next unload or relay failure retries it')
    }
  }
}
