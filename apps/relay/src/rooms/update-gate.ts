import {
  DocumentTooLargeError,
  InvalidUpdateError,
  ProtocolError,
  formatCount,
  validateUpdate,
  type CloseCode,
  type ProtocolLimits,
  type UpdateSummary,
} from '@collab/protocol'
import type { FastifyBaseLogger } from 'fastify'
import * as Y from 'yjs'
import type { Connection } from '../connection/connection'
import type { DocumentSize } from './document-size'
import {
  dependenciesMet,
  estimateConflictSteps,
  findMissingDependencies,
  overlapsKnownClocks,
  type MissingDependencies,
} from './update-dependencies'

export interface UpdateGateOptions {
  docId: string
  doc: Y.Doc
  limits: ProtocolLimits
  logger: FastifyBaseLogger
  documentSize: DocumentSize
  /** May refuse a write (throw a ProtocolError) before it is applied, e.g. while storage fails. */
  beforeApply(connection: Connection, summary: UpdateSummary): void
  /** Fan-out, storage and cluster of a change `origin` made; only ever called for a clean apply. */
  commit(update: Uint8Array, origin: Connection): void
  /** Closes a connection whose waiting update was refused when it was finally applied. */
  refuse(connection: Connection, code: CloseCode, reason: string): void
  /** Yjs threw while integrating: the document may hold part of an update nobody else has. */
  corrupted(error: unknown): void
}

interface HeldUpdate {
  update: Uint8Array
  missing: MissingDependencies
}

interface HeldQueue {
  updates: HeldUpdate[]
  bytes: number
}

/**
 * The only way a client's update reaches the room's document. Strict: nothing from a refused
 * update is applied, stored or broadcast.
 *
 * 1. `outlineUpdate` (protocol) has checked its structure and the room has decoded it
 *    (`decodeOutlined`); an update the room knows changes nothing never gets here.
 * 2. Missing dependencies (structs or deletions the room lacks) → the update is held for that
 *    connection, outside the document, until what it needs arrives (an honest client's live edit
 *    can overtake the sync step 2 that carries its offline history). Bounded by
 *    `maxPendingUpdates` / `maxPendingUpdateBytes` per connection, dropped when it closes. So the
 *    document never keeps pending structs from a client: nothing unresolvable is ever stored or
 *    served, and a held update is fanned out with its own sender as origin once it applies.
 * 3. Structs overlapping clocks the document already has are trimmed to what it lacks
 *    (`Y.diffUpdate`; see `overlapsKnownClocks`). Conflict cost (`maxConflictScanSteps`) and
 *    document size (`maxDocumentBytes`).
 * 4. `Y.applyUpdate` with the document's `update` event captured: the change is committed (fanned
 *    out, queued for storage, published) only after applyUpdate returned. If it throws anyway,
 *    nothing is committed and the room is reloaded from storage ({@link UpdateGateOptions.corrupted}).
 */
export class UpdateGate {
  private readonly held = new Map<Connection, HeldQueue>()
  private capturing: { origin: Connection; updates: Uint8Array[] } | null = null
  private retryScheduled = false

  constructor(private readonly options: UpdateGateOptions) {}

  /** Updates waiting for dependencies, over all connections. */
  get heldUpdates(): number {
    let count = 0
    for (const queue of this.held.values()) count += queue.updates.length
    return count
  }

  /** Applies a validated update from `connection`, or holds it. Throws ProtocolError to refuse. */
  submit(connection: Connection, update: Uint8Array, summary: UpdateSummary): void {
    const missing = findMissingDependencies(this.options.doc, summary.decoded)
    if (missing.size > 0) {
      this.hold(connection, update, missing)
      return
    }
    this.apply(connection, update, summary)
    this.retryHeld()
  }

  /**
   * The document's `update` event: true when it belongs to an apply in progress (committed once
   * the apply returns), false when the caller should handle it.
   */
  capture(update: Uint8Array, origin: unknown): boolean {
    if (this.capturing === null || this.capturing.origin !== origin) return false
    this.capturing.updates.push(update)
    return true
  }

  /** The document changed from elsewhere (another relay): held updates may be applicable now. */
  documentChanged(): void {
    if (this.held.size === 0 || this.retryScheduled) return
    this.retryScheduled = true
    queueMicrotask(() => {
      this.retryScheduled = false
      this.retryHeld()
    })
  }

  /** Drops what a connection had waiting (it closed; it resends whatever is still missing). */
  forget(connection: Connection): void {
    this.held.delete(connection)
  }

  clear(): void {
    this.held.clear()
  }

  private hold(connection: Connection, update: Uint8Array, missing: MissingDependencies): void {
    const { limits } = this.options
    let queue = this.held.get(connection)
    if (queue === undefined) {
      queue = { updates: [], bytes: 0 }
      this.held.set(connection, queue)
    }
    if (queue.updates.length + 1 > limits.maxPendingUpdates || queue.bytes + update.byteLength > limits.maxPendingUpdateBytes) {
      this.held.delete(connection)
      throw new InvalidUpdateError(
        `updates with missing dependencies exceed maxPendingUpdates ${formatCount(limits.maxPendingUpdates)} / ` +
          `maxPendingUpdateBytes ${formatCount(limits.maxPendingUpdateBytes)} (needs ${describeMissing(missing)})`,
      )
    }
    // The frame's bytes belong to the socket's receive buffer: keep a copy.
    queue.updates.push({ update: update.slice(), missing })
    queue.bytes += update.byteLength
  }

  private apply(connection: Connection, received: Uint8Array, receivedSummary: UpdateSummary): void {
    const { doc, limits, logger, docId } = this.options
    let update = received
    let summary = receivedSummary
    if (overlapsKnownClocks(doc, summary.decoded)) {
      try {
        update = Y.diffUpdate(received, Y.encodeStateVector(doc))
      } catch {
        throw new InvalidUpdateError('overlaps known clocks and cannot be trimmed')
      }
      summary = validateUpdate(update, limits)
    }
    this.options.beforeApply(connection, summary)
    const steps = estimateConflictSteps(doc, summary.decoded, limits.maxConflictScanSteps)
    if (steps > limits.maxConflictScanSteps) {
      throw new InvalidUpdateError(
        `concurrent inserts at one position would cost over ${formatCount(limits.maxConflictScanSteps)} ` +
          'conflict-resolution steps (maxConflictScanSteps)',
      )
    }
    const grownBytes = this.options.documentSize.grownBytes(update.byteLength)
    if (grownBytes > limits.maxDocumentBytes) throw new DocumentTooLargeError(grownBytes, limits.maxDocumentBytes)

    const store = doc.store
    const hadPending = store.pendingStructs !== null || store.pendingDs !== null
    const capture = { origin: connection, updates: [] as Uint8Array[] }
    this.capturing = capture
    try {
      Y.applyUpdate(doc, update, connection)
    } catch (error) {
      this.capturing = null
      logger.error({ err: error, docId, connection: connection.id }, 'update failed to integrate; reloading the room')
      this.options.corrupted(error)
      throw new InvalidUpdateError('failed to integrate')
    }
    this.capturing = null
    const leftPending = !hadPending && (store.pendingStructs !== null || store.pendingDs !== null)
    if (leftPending) {
      // Dependencies that only a cycle inside the update could satisfy: what did integrate is
      // sound and committed below; the rest is dropped and the sender refused.
      store.pendingStructs = null
      store.pendingDs = null
    }
    for (const change of capture.updates) this.options.commit(change, connection)
    if (leftPending) throw new InvalidUpdateError('circular dependencies inside the update')
  }

  /** Applies every held update whose dependencies arrived, until none is left that can. */
  private retryHeld(): void {
    let progress = true
    while (progress && this.held.size > 0) {
      progress = false
      for (const [connection, queue] of this.held) {
        const next = queue.updates[0]
        if (next === undefined || !dependenciesMet(this.options.doc, next.missing)) continue
        queue.updates.shift()
        queue.bytes -= next.update.byteLength
        if (queue.updates.length === 0) this.held.delete(connection)
        progress = true
        this.applyHeld(connection, next)
      }
    }
  }

  private applyHeld(connection: Connection, held: HeldUpdate): void {
    try {
      const summary = validateUpdate(held.update, this.options.limits)
      const missing = findMissingDependencies(this.options.doc, summary.decoded)
      if (missing.size > 0) {
        // It needed more than the first check saw (dependencies of dependencies): wait again.
        const queue = this.held.get(connection) ?? { updates: [], bytes: 0 }
        queue.updates.unshift({ update: held.update, missing })
        queue.bytes += held.update.byteLength
        this.held.set(connection, queue)
        return
      }
      this.apply(connection, held.update, summary)
    } catch (error) {
      this.held.delete(connection)
      if (error instanceof ProtocolError) this.options.refuse(connection, error.closeCode, error.message)
      else throw error
    }
  }
}

function describeMissing(missing: MissingDependencies): string {
  const parts = [...missing].slice(0, 3).map(([client, state]) => `client ${client} up to clock ${state}`)
  return parts.join(', ') + (missing.size > 3 ? ', …' : '')
}
