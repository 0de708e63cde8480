import {
  CloseCode,
  DocumentTooLargeError,
  InvalidUpdateError,
  ProtocolError,
  encodePermissionDenied,
  encodeSavedStateVector,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  parseAwarenessEntries,
  validateUpdate,
  type Frame,
  type ProtocolLimits,
} from '@collab/protocol'
import type { CompactionPolicy, DocStore, StoredDoc } from '@collab/storage'
import type { FastifyBaseLogger } from 'fastify'
import * as Y from 'yjs'
import { Connection } from '../connection/connection'
import type { TimerHandle, Timers } from '../timers'
import { assertNever } from '../assert-never'
import { DocumentSize } from './document-size'
import { LoadInbox } from './load-inbox'
import { RoomAwareness } from './room-awareness'
import { RoomPersistence } from './room-persistence'
import { updateChangesDocument } from './update-novelty'

/** Transaction origin of updates replayed from storage (never fanned out or stored again). */
export const LOAD_ORIGIN = Symbol('load')

/** Reason sent with a permission-denied message while storage fails. */
export const STORAGE_UNAVAILABLE_REASON = 'storage-unavailable: changes are not being saved'

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
  flushMaxBatchBytes: number
  storageRetryMs: number
  compaction: CompactionPolicy
  awarenessFlushMs: number
  /** How long the room stays loaded after its last connection leaves. */
  unloadDelayMs: number
  /** Most frames queued per connection while the room loads. */
  maxQueuedFramesWhileLoading?: number
}

export interface CloseRoomOptions {
  /** `unload` (idle room) can be undone by a joiner ({@link Room.revive}); `shutdown` cannot. */
  reason: 'unload' | 'shutdown'
  /** Close code for connections still in the room. */
  code: CloseCode
  /** Fold the log into a snapshot after the final flush. */
  compact: boolean
  /** Give up flushing at this time (injected clock); default: never. */
  deadlineMs?: number
}

const DEFAULT_MAX_QUEUED_FRAMES = 1_024

/**
 * One open document: a Y.Doc (gc on) and its awareness, the connections editing it, and its
 * write path to storage. Loaded once; frames that arrive while it loads wait in per-connection
 * queues, so nobody is ever served the empty document.
 */
export class Room {
  readonly doc = new Y.Doc({ gc: true })
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
  readonly openedAtMs = Date.now()

  constructor(
    readonly docId: string,
    private readonly options: RoomOptions,
    /** Called once when the room reaches `closed`. */
    private readonly onClosed: (room: Room) => void,
  ) {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
    this.awareness = new RoomAwareness(this.doc, {
      docId,
      timers: options.timers,
      logger: options.logger,
      limits: options.limits,
      flushIntervalMs: options.awarenessFlushMs,
      broadcast: (frame) => this.broadcast(frame, null),
    })
    this.persistence = new RoomPersistence({
      docId,
      store: options.store,
      timers: options.timers,
      logger: options.logger,
      flushIntervalMs: options.flushIntervalMs,
      flushMaxBatchBytes: options.flushMaxBatchBytes,
      storageRetryMs: options.storageRetryMs,
      compaction: options.compaction,
      stateVector: () => Y.encodeStateVector(this.doc),
      snapshot: () => Y.encodeStateAsUpdate(this.doc),
      onHealthChange: (healthy) => this.onStorageHealth(healthy),
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
    this.doc.on('update', this.onDocUpdate)
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
    if (this.connections.size === 0) this.scheduleUnload()
  }

  private applyStored(stored: StoredDoc): void {
    const records = stored.snapshot === null ? stored.updates : [stored.snapshot, ...stored.updates]
    let corrupt = 0
    this.doc.transact(() => {
      for (const record of records) {
        try {
          Y.applyUpdate(this.doc, record, LOAD_ORIGIN)
        } catch {
          corrupt++
        }
      }
    }, LOAD_ORIGIN)
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
        connection.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, frame.stateVector)))
        return
      case 'sync-step2':
      case 'sync-update':
        this.applyClientUpdate(connection, frame.update)
        return
      case 'awareness':
        this.awareness.apply(connection, parseAwarenessEntries(frame.entries, this.options.limits))
        return
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

  private applyClientUpdate(connection: Connection, update: Uint8Array): void {
    const { limits, logger } = this.options
    validateUpdate(update, limits)
    if (!this.persistence.healthy) {
      // Read-only while storage fails; a reconnecting client's sync step 2 that changes nothing
      // must still pass, or it could never finish syncing.
      if (updateChangesDocument(this.doc, update)) {
        this.refuse(connection, CloseCode.StorageUnavailable, 'storage is failing; writes are refused')
      }
      return
    }
    const grownBytes = this.documentSize.grownBytes(update.byteLength)
    if (grownBytes > limits.maxDocumentBytes) throw new DocumentTooLargeError(grownBytes, limits.maxDocumentBytes)
    try {
      Y.applyUpdate(this.doc, update, connection)
    } catch (error) {
      // Decoded fine but failed to integrate. Whatever Yjs integrated before throwing was emitted
      // as a normal update (fanned out and queued), so peers, storage and the room agree.
      logger.warn({ err: error, docId: this.docId, connection: connection.id }, 'update failed to integrate')
      throw new InvalidUpdateError('failed to integrate')
    }
  }

  /** Fan-out and queueing of every change a connection made: encode once, skip the sender. */
  private readonly onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (!(origin instanceof Connection)) return
    this.broadcast(encodeSyncUpdate(update), origin)
    this.persistence.enqueue(update)
  }

  private broadcast(frame: Uint8Array, except: Connection | null): void {
    for (const connection of this.connections) {
      if (connection !== except) connection.send(frame)
    }
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
    const flushed = await this.persistence.drain(options.deadlineMs, overtaken)
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
    this.cancelUnload()
    this.persistence.dispose()
    this.doc.off('update', this.onDocUpdate)
    this.awareness.destroy()
    this.doc.destroy()
    this.connections.clear()
    this.inbox.clear()
    this.onClosed(this)
    this.resolveClosed()
  }
}
