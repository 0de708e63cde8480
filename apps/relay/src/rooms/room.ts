import {
  CloseCode,
  ProtocolError,
  decodeOutlined,
  encodePermissionDenied,
  encodeSavedStateVector,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  outlineUpdate,
  parseAwarenessEntries,
  type Frame,
  type ProtocolLimits,
  type UpdateOutline,
} from '@collab/protocol'
import type { CompactionPolicy, DocStore, StoredDoc } from '@collab/storage'
import type { FastifyBaseLogger } from 'fastify'
import * as Y from 'yjs'
import { CompressibleFrame } from '../connection/compression'
import { Connection, type BackpressureListener } from '../connection/connection'
import type { RelayMetrics } from '../metrics/relay-metrics'
import type { TimerHandle, Timers } from '../timers'
import { assertNever } from '../assert-never'
import { REMOTE_ORIGIN, type RoomCluster, type RoomPeer } from '../cluster/cluster-room'
import { DocumentSize } from './document-size'
import type { FlushClock } from './flush-clock'
import { FullStateCache } from './full-state'
import { LoadInbox } from './load-inbox'
import { RoomAwareness } from './room-awareness'
import { RoomPersistence } from './room-persistence'
import { UpdateGate } from './update-gate'
import { DocumentNovelty } from './update-novelty'

/** Transaction origin of updates replayed from storage (never fanned out or stored again). */
export const LOAD_ORIGIN = Symbol('load')

/** Reason sent with a permission-denied message while storage fails. */
export const STORAGE_UNAVAILABLE_REASON = 'storage-unavailable: changes are not being saved'

/** Reason sent (once per connection) when a read-only connection tries to change the document. */
export const READ_ONLY_REASON = 'read-only: this token may not change the document; changes are not applied'

/**
 * loading → ready → closing → closed; closing → ready (a client arrived while an idle room was
 * unloading); loading → closing (shutdown while loading); loading → closed (the load failed).
 */
export type RoomState = 'loading' | 'ready' | 'closing' | 'closed'

export interface RoomOptions {
  store: DocStore
  timers: Timers
  logger: FastifyBaseLogger
  limits: ProtocolLimits
  flushIntervalMs: number
  /** Group-commit timer shared by the rooms (RoomManager makes one); default: the room's own. */
  flushClock?: FlushClock
  flushMaxBatchBytes: number
  storageRetryMs: number
  compaction: CompactionPolicy
  awarenessFlushMs: number
  /** Presence states one connection receives per second at most (see awarenessIntervalMs). */
  awarenessMaxStatesPerSecond: number
  /** How long the room stays loaded after its last connection leaves. */
  unloadDelayMs: number
  /** WS_COMPRESSION=all: the large answers a room keeps for joiners go compressed to those that negotiated it (see FullStateCache). */
  deflateKeptAnswers?: boolean
  /** Most frames queued per connection while the room loads. */
  maxQueuedFramesWhileLoading?: number
  /** Counters for `/metrics`; absent in unit tests. */
  metrics?: RelayMetrics | null
  /** Scale-out: the link to the other relays (REDIS_URL); absent or null for a single relay. */
  cluster?: RoomCluster | null
  /** Other relays write the same store: compact from storage under its lock (see RoomPersistence). */
  sharedStore?: boolean
}

export interface CloseRoomOptions {
  /**
   * `unload` (idle room) can be undone by a joiner ({@link Room.revive}); `shutdown` cannot, nor
   * `reset` (an update failed to integrate: the document is dropped and reloaded from storage).
   */
  reason: 'unload' | 'shutdown' | 'reset'
  /** Close code for connections still in the room. */
  code: CloseCode
  /** Fold the log into a snapshot after the final flush. */
  compact: boolean
  /** Give up flushing at this time (injected clock); default: never. */
  deadlineMs?: number
}

const DEFAULT_MAX_QUEUED_FRAMES = 1_024

/**
 * Runs `apply` with no 'update' listener on `doc`. With one attached, Yjs encodes every
 * transaction's changes as an update for the event: for a load that is the whole document
 * (~40 ms for automerge-paper's 240 KB, ten times that for a 10× document), which every listener
 * ignores (LOAD_ORIGIN). `apply` must be synchronous, so nothing else can miss an event meanwhile;
 * lib0's Observable keeps its listeners in `_observers` (if that ever changes, this only costs the
 * encoding again).
 */
function withoutUpdateEvents(doc: Y.Doc, apply: () => void): void {
  const observers = (doc as unknown as { _observers?: unknown })._observers
  const listeners = observers instanceof Map ? (observers.get('update') as unknown) : undefined
  if (!(observers instanceof Map) || listeners === undefined) {
    apply()
    return
  }
  observers.delete('update')
  try {
    apply()
  } finally {
    observers.set('update', listeners)
  }
}

/**
 * One open document: a Y.Doc (gc on) and its awareness, the connections editing it, and its
 * write path to storage. Loaded once; frames that arrive while it loads wait in per-connection
 * queues, so nobody is ever served the empty document.
 */
export class Room implements BackpressureListener {
  readonly doc: Y.Doc
  readonly awareness: RoomAwareness
  readonly persistence: RoomPersistence
  /** Resolves once the room is closed (after its final flush). */
  readonly closed: Promise<void>
  private currentState: RoomState = 'loading'
  private readonly connections = new Set<Connection>()
  private readonly inbox: LoadInbox
  private readonly loading: Promise<void>
  private closing: Promise<void> | null = null
  private closeReason: CloseRoomOptions['reason'] | null = null
  /** Bumped by every close and revive, so an overtaken close stops at its next step. */
  private closeGeneration = 0
  private resolveClosed!: () => void
  private unloadTimer: TimerHandle | null = null
  private readonly documentSize: DocumentSize
  private readonly gate: UpdateGate
  private readonly fullState: FullStateCache
  private readonly novelty: DocumentNovelty
  /** An update failed halfway: the live document must never be stored, served or compacted again. */
  private tainted = false
  /** This room's membership in the cluster; null with a single relay. */
  private readonly peer: RoomPeer | null
  readonly openedAtMs = Date.now()

  constructor(
    readonly docId: string,
    private readonly options: RoomOptions,
    /** Called once when the room reaches `closed`. */
    private readonly onClosed: (room: Room) => void,
  ) {
    // A guid of our own: Yjs' default is a uuidv4 drawn one hex digit at a time from
    // crypto.getRandomValues, ~0.45 ms per document opened (the guid only matters for subdocuments).
    this.doc = new Y.Doc({ gc: true, guid: docId })
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
    // Callbacks are method shorthands on `room`, not arrows: see RoomAwareness.onUpdate.
    const room = this
    this.awareness = new RoomAwareness(this.doc, {
      docId,
      timers: options.timers,
      logger: options.logger,
      limits: options.limits,
      flushIntervalMs: options.awarenessFlushMs,
      maxStatesPerSecond: options.awarenessMaxStatesPerSecond,
      broadcast(frame) {
        room.broadcastAwareness(frame)
      },
    })
    this.persistence = new RoomPersistence({
      docId,
      store: options.store,
      timers: options.timers,
      logger: options.logger,
      flushIntervalMs: options.flushIntervalMs,
      ...(options.flushClock ? { flushClock: options.flushClock } : {}),
      flushMaxBatchBytes: options.flushMaxBatchBytes,
      storageRetryMs: options.storageRetryMs,
      compaction: options.compaction,
      stateVector() {
        return Y.encodeStateVector(room.doc)
      },
      snapshot() {
        return room.snapshotForStorage()
      },
      onHealthChange(healthy) {
        room.onStorageHealth(healthy)
      },
      sharedStore: options.sharedStore ?? false,
    })
    this.inbox = new LoadInbox({
      maxFrames: options.maxQueuedFramesWhileLoading ?? DEFAULT_MAX_QUEUED_FRAMES,
      maxBytes: options.limits.maxUpdateBytes,
    })
    this.documentSize = new DocumentSize(
      this.doc,
      () => this.persistence.estimatedDocumentBytes,
      options.limits.maxDocumentBytes,
    )
    this.novelty = new DocumentNovelty(this.doc)
    this.gate = new UpdateGate({
      docId,
      doc: this.doc,
      limits: options.limits,
      logger: options.logger,
      documentSize: this.documentSize,
      beforeApply(_connection, summary) {
        room.beforeApply(summary)
      },
      commit(update, origin) {
        room.commit(update, origin)
      },
      refuse(connection, code, reason) {
        room.refuse(connection, code, reason)
      },
      corrupted() {
        room.reset()
      },
    })
    this.doc.on('update', this.onDocUpdate)
    this.fullState = new FullStateCache(this.doc)
    // Subscribed before the load, so nothing another relay publishes meanwhile is missed.
    this.peer = options.cluster?.join(this) ?? null
    this.loading = this.load()
  }

  get state(): RoomState {
    return this.currentState
  }

  get connectionCount(): number {
    return this.connections.size
  }

  /** Adds a connection; it gets the handshake now, or as soon as the room is loaded. */
  join(connection: Connection): void {
    this.cancelUnload()
    connection.backpressure = this
    switch (this.currentState) {
      case 'loading':
        this.connections.add(connection)
        this.inbox.open(connection)
        return
      case 'ready':
        this.connections.add(connection)
        this.handshake(connection)
        return
      case 'closing':
      case 'closed':
        // The manager revives an unloading room before handing it out; be safe anyway.
        connection.close(CloseCode.ServiceRestart)
        return
      default:
        return assertNever(this.currentState)
    }
  }

  /** Removes a connection (its socket closed) and its awareness states. */
  leave(connection: Connection): void {
    if (!this.connections.delete(connection)) return
    this.inbox.delete(connection)
    this.gate.forget(connection)
    if (this.currentState === 'closed') return
    this.awareness.removeConnection(connection)
    if (this.connections.size === 0 && this.currentState === 'ready') this.scheduleUnload()
  }

  /** Handles one decoded frame from a connection of this room. */
  receive(connection: Connection, frame: Frame): void {
    switch (this.currentState) {
      case 'loading':
        if (!this.inbox.push(connection, frame)) {
          this.refuse(connection, CloseCode.RateLimited, 'too much sent while the document loads')
        }
        return
      case 'ready':
        this.handle(connection, frame)
        return
      case 'closing':
      case 'closed':
        // Shutting down: the client resends anything missing when it syncs with the next process.
        return
      default:
        return assertNever(this.currentState)
    }
  }

  /**
   * Flushes pending writes (retrying until `deadlineMs`), optionally compacts, closes remaining
   * connections with `code` and releases the document. Idempotent.
   */
  close(options: CloseRoomOptions): Promise<void> {
    if (this.closing === null || (options.reason === 'shutdown' && this.closeReason === 'unload')) {
      // A shutdown overtakes an unload still flushing (which may wait forever on failing storage).
      this.closeReason = options.reason
      this.closing = this.runClose(options, ++this.closeGeneration)
    }
    return this.closing
  }

  /**
   * Undoes an unload in progress, so a client arriving meanwhile is served from memory instead
   * of from storage that may still lack the last writes. False when the room cannot be revived
   * (shutting down, or already closed).
   */
  revive(): boolean {
    if (this.currentState !== 'closing' || this.closeReason !== 'unload') return false
    this.closeGeneration++
    this.closing = null
    this.closeReason = null
    this.currentState = 'ready'
    return true
  }

  private async load(): Promise<void> {
    const { store, logger } = this.options
    try {
      const stored = await store.load(this.docId)
      if (this.currentState !== 'loading') return
      this.applyStored(stored)
      this.persistence.loaded(stored)
    } catch (error) {
      logger.error({ err: error, docId: this.docId }, 'loading document failed')
      if (this.currentState === 'loading') this.failLoad()
      return
    }
    this.currentState = 'ready'
    for (const connection of this.connections) {
      this.handshake(connection)
      for (const frame of this.inbox.take(connection)) {
        if (!connection.open) break
        this.handle(connection, frame)
      }
    }
    this.inbox.clear()
    this.peer?.loaded()
    if (this.connections.size === 0) this.scheduleUnload()
  }

  private applyStored(stored: StoredDoc): void {
    const records = stored.snapshot === null ? stored.updates : [stored.snapshot, ...stored.updates]
    let corrupt = 0
    withoutUpdateEvents(this.doc, () => {
      this.doc.transact(() => {
        for (const record of records) {
          try {
            Y.applyUpdate(this.doc, record, LOAD_ORIGIN)
          } catch {
            corrupt++
          }
        }
      }, LOAD_ORIGIN)
    })
    // Nothing reads them before the room is ready, but they must not outlive a load unannounced.
    this.fullState.clear()
    this.novelty.clear()
    if (corrupt > 0) {
      this.options.logger.error({ docId: this.docId, corrupt, records: records.length }, 'stored records failed to apply')
    }
  }

  private failLoad(): void {
    this.currentState = 'closed'
    for (const connection of this.connections) connection.close(CloseCode.StorageUnavailable)
    this.release()
  }

  private handshake(connection: Connection): void {
    connection.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
    const states = this.awareness.encodeAll()
    if (states !== null) connection.send(states)
    if (!this.persistence.healthy) connection.send(encodePermissionDenied(STORAGE_UNAVAILABLE_REASON))
  }

  private handle(connection: Connection, frame: Frame): void {
    try {
      this.dispatch(connection, frame)
    } catch (error) {
      if (error instanceof ProtocolError) {
        this.refuse(connection, error.closeCode, error.message)
      } else {
        this.options.logger.error({ err: error, docId: this.docId, connection: connection.id }, 'frame handling failed')
        connection.close(CloseCode.InternalError)
      }
    }
  }

  private dispatch(connection: Connection, frame: Frame): void {
    switch (frame.type) {
      case 'sync-step1':
        // Behind: its answer would queue behind what it is not reading; the resync covers it.
        if (connection.behind) connection.resyncFrom = frame.stateVector.slice()
        else connection.send(this.fullState.step2For(frame.stateVector), connection.deflate && this.options.deflateKeptAnswers === true ? this.fullState.deflatedStep2For(frame.stateVector) : null)
        return
      case 'sync-step2':
      case 'sync-update':
        this.applyClientUpdate(connection, frame.update)
        return
      case 'awareness': {
        const ignored = this.awareness.apply(connection, parseAwarenessEntries(frame.entries, this.options.limits))
        this.options.metrics?.awarenessDrop('foreign-client-id', ignored)
        return
      }
      case 'query-awareness': {
        const states = this.awareness.encodeAll()
        if (states !== null) connection.send(states)
        return
      }
      case 'saved-state-vector-request':
        void this.persistence.whenSaved().then((stateVector) => connection.send(encodeSavedStateVector(stateVector)))
        return
      case 'auth-permission-denied':
      case 'saved-state-vector':
        // Relay → client messages; a client has no business sending them.
        this.refuse(connection, CloseCode.UnknownMessageType, `client sent relay-only message ${frame.type}`)
        return
      default:
        return assertNever(frame)
    }
  }

  /**
   * Outlined (checked, not decoded); dropped when it is known to change nothing (a reconnecting
   * client's answer to the relay's step 1); otherwise decoded and applied strictly by the gate (or
   * held until its dependencies arrive).
   */
  private applyClientUpdate(connection: Connection, update: Uint8Array): void {
    const outline = outlineUpdate(update, this.options.limits)
    if (connection.readOnly) {
      this.ignoreReadOnlyWrite(connection, outline)
      return
    }
    if (this.novelty.knownToChangeNothing(outline)) return
    this.gate.submit(connection, update, decodeOutlined(update, outline))
  }

  private beforeApply(outline: UpdateOutline): void {
    // Read-only while storage fails; a reconnecting client's sync step 2 that changes nothing
    // must still pass, or it could never finish syncing.
    if (!this.persistence.healthy && this.novelty.changes(outline)) {
      throw new ProtocolError(CloseCode.StorageUnavailable, 'storage is failing; writes are refused')
    }
  }

  /** A read-only connection's change is dropped; it is told once (y-protocols permission denied). */
  private ignoreReadOnlyWrite(connection: Connection, outline: UpdateOutline): void {
    if (!this.novelty.changes(outline)) return
    this.options.metrics?.refusal(CloseCode.Forbidden, 'read-only-write')
    if (connection.toldReadOnly) return
    connection.toldReadOnly = true
    connection.send(encodePermissionDenied(READ_ONLY_REASON))
  }

  /** Backpressure: the connection stops receiving updates; remember what it has. */
  fellBehind(connection: Connection): void {
    connection.resyncFrom = Y.encodeStateVector(this.doc)
  }

  /** Backpressure: it drained. One diff of everything it missed, and the current presence. */
  caughtUp(connection: Connection): void {
    const from = connection.resyncFrom
    connection.resyncFrom = null
    if (from === null || this.currentState === 'closed' || this.tainted) return
    connection.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, from)))
    const states = this.awareness.encodeAll()
    if (states !== null) connection.send(states)
  }

  /** Cluster hook: an update another relay's client made (validated by the caller). */
  applyRemoteUpdate(update: Uint8Array): void {
    if (this.currentState !== 'closed') Y.applyUpdate(this.doc, update, REMOTE_ORIGIN)
  }

  /** Cluster hook: whether one of this relay's connections introduced awareness client `clientId`. */
  ownsAwarenessClient(clientId: number): boolean {
    for (const connection of this.connections) if (connection.awarenessClientIds.has(clientId)) return true
    return false
  }

  /** Fan-out and queueing of every change a connection made: encode once, skip the sender. */
  private readonly onDocUpdate = this.docChanged.bind(this)

  private docChanged(update: Uint8Array, origin: unknown): void {
    if (origin === REMOTE_ORIGIN) {
      // The relay that received it stores it; here it only reaches our clients (joiners still
      // loading get it in their handshake).
      if (this.currentState !== 'loading') this.broadcastUpdate(encodeSyncUpdate(update), null)
      this.gate.documentChanged()
      return
    }
    if (!(origin instanceof Connection)) return
    // Client changes are committed by the gate once applyUpdate returned cleanly.
    if (!this.gate.capture(update, origin)) this.commit(update, origin)
  }

  /** Fan-out, storage and cluster of one change a connection made: encode once, skip the sender. */
  private commit(update: Uint8Array, origin: Connection): void {
    this.broadcastUpdate(encodeSyncUpdate(update), origin)
    this.persistence.enqueue(update)
    this.peer?.publishUpdate(update)
  }

  /** A frame every connection must get (permission denied). */
  private broadcast(frame: Uint8Array, except: Connection | null): void {
    for (const connection of this.connections) {
      if (connection !== except) connection.send(frame)
    }
  }

  /** An update to every connection but `except`; skipped for connections that are behind. */
  private broadcastUpdate(frame: Uint8Array, except: Connection | null): void {
    const { timers, metrics } = this.options
    const startedMs = timers.now()
    let sent = 0
    for (const connection of this.connections) {
      if (connection !== except && connection.sendDroppable(frame)) sent++
    }
    if (metrics) {
      metrics.sent(frame, sent)
      metrics.fanout((timers.now() - startedMs) / 1000)
    }
  }

  /** Coalesced awareness to every connection; connections that are behind get it at resync. */
  private broadcastAwareness(frame: Uint8Array): void {
    let sent = 0
    let dropped = 0
    const shared = new CompressibleFrame(frame)
    for (const connection of this.connections) {
      if (connection.sendDroppableShared(shared)) sent++
      else if (connection.open) dropped++
    }
    this.options.metrics?.sent(frame, sent)
    this.options.metrics?.awarenessDrop('behind', dropped)
  }

  /** The live document for a snapshot or fallback write; refused once it holds a half-applied update. */
  private snapshotForStorage(): Uint8Array {
    if (this.tainted) throw new Error(`room ${this.docId} holds a half-applied update; it is not stored`)
    return this.fullState.wholeUpdate()
  }

  /**
   * Yjs threw halfway through an update (nothing of it was committed, but the live document may
   * hold part of it): flush what was committed, close every connection with 1012 so the clients
   * reconnect, and let the next joiner load the document from storage.
   */
  private reset(): void {
    if (this.tainted) return
    this.tainted = true
    this.gate.clear()
    this.close({ reason: 'reset', code: CloseCode.ServiceRestart, compact: false }).catch((error: unknown) => {
      this.options.logger.error({ err: error, docId: this.docId }, 'resetting room failed')
    })
  }

  private onStorageHealth(healthy: boolean): void {
    if (!healthy) this.broadcast(encodePermissionDenied(STORAGE_UNAVAILABLE_REASON), null)
  }

  private refuse(connection: Connection, code: CloseCode, reason: string): void {
    this.options.logger.info({ docId: this.docId, connection: connection.id, code, reason }, 'connection refused')
    connection.close(code)
  }

  private scheduleUnload(): void {
    this.cancelUnload()
    this.unloadTimer = this.options.timers.setTimeout(() => {
      this.unloadTimer = null
      if (this.connections.size === 0 && this.currentState === 'ready') {
        this.close({ reason: 'unload', code: CloseCode.GoingAway, compact: true }).catch((error: unknown) => {
          this.options.logger.error({ err: error, docId: this.docId }, 'unloading room failed')
        })
      }
    }, this.options.unloadDelayMs)
  }

  private cancelUnload(): void {
    if (this.unloadTimer !== null) {
      this.options.timers.clearTimeout(this.unloadTimer)
      this.unloadTimer = null
    }
  }

  private async runClose(options: CloseRoomOptions, generation: number): Promise<void> {
    this.cancelUnload()
    switch (this.currentState) {
      case 'loading':
        this.currentState = 'closing'
        await this.loading
        break
      case 'ready':
        this.currentState = 'closing'
        break
      case 'closing':
        break
      case 'closed':
        return this.closed
      default:
        assertNever(this.currentState)
    }
    const { logger, timers } = this.options
    const overtaken = () => generation !== this.closeGeneration
    let flushed = await this.persistence.drain(options.deadlineMs, overtaken)
    if (flushed && this.peer !== null && !overtaken() && !this.tainted) {
      // Updates other relays sent us that their relay never stored (it died) are stored now.
      await this.peer.writeBack()
      flushed = await this.persistence.drain(options.deadlineMs, overtaken)
    }
    if (overtaken()) return
    if (!flushed) {
      logger.error(
        { docId: this.docId, pendingUpdates: this.persistence.pendingUpdates },
        'closing room with unsaved updates: storage kept failing (clients still hold them and resend on reconnect)',
      )
    } else if (options.compact) {
      await this.persistence.compact('unload')
      if (overtaken()) return
    }
    for (const connection of this.connections) connection.close(options.code)
    this.currentState = 'closed'
    logger.debug({ docId: this.docId, reason: options.reason, atMs: timers.now() }, 'room closed')
    this.release()
  }

  /** Drops every listener, timer and reference; runs once, when the room becomes closed. */
  private release(): void {
    this.peer?.leave()
    this.cancelUnload()
    this.persistence.dispose()
    this.gate.clear()
    this.doc.off('update', this.onDocUpdate)
    this.fullState.dispose()
    this.novelty.dispose()
    this.awareness.destroy()
    this.doc.destroy()
    this.connections.clear()
    this.inbox.clear()
    this.onClosed(this)
    this.resolveClosed()
  }
}
