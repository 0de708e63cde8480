import {
  StaleSnapshotError,
  StorageUnavailableError,
  shouldCompact,
  type CompactionPolicy,
  type DocStore,
  type StoredDoc,
} from '@collab/storage'
import type { FastifyBaseLogger } from 'fastify'
import { compactSharedStore } from '../cluster/shared-compaction'
import type { TimerHandle, Timers } from '../timers'
import { FlushClock } from './flush-clock'

const MAX_RETRY_DELAY_MS = 30_000

/**
 * Compaction waits for a quiet moment (nothing queued once a flush is done), so it does not
 * snapshot while writes pour in. A document that never goes quiet (a script importing, a room
 * writing faster than a flush's fsync) would grow its log without bound and pay for all of it
 * in one compaction when it stops: 48,600 entries took 53 ms of event loop in the saturation
 * benchmark. Past this many times the policy's thresholds, compaction runs with updates queued.
 */
export const OVERDUE_COMPACTION_FACTOR = 8

export interface RoomPersistenceOptions {
  docId: string
  store: DocStore
  timers: Timers
  logger: FastifyBaseLogger
  flushIntervalMs: number
  /**
   * The group-commit timer shared with the other rooms (ticking every `flushIntervalMs`), so
   * their appends reach the store together; default: one of this room's own.
   */
  flushClock?: FlushClock
  flushMaxBatchBytes: number
  storageRetryMs: number
  compaction: CompactionPolicy
  /** State vector of the live document. Everything it covers is stored or queued here. */
  stateVector(): Uint8Array
  /** The live document's full state, for a snapshot. */
  snapshot(): Uint8Array
  /** Storage started failing (false) or recovered (true). */
  onHealthChange(healthy: boolean): void
  /**
   * Other relays append to the same documents (PostgreSQL / REDIS_URL): the live document may
   * lack their latest entries, so compaction folds what is stored, under the store's
   * compaction lock, instead of snapshotting the live document.
   */
  sharedStore?: boolean
}

type SavedWaiter = (stateVector: Uint8Array) => void

/** `overdue`: past {@link OVERDUE_COMPACTION_FACTOR} × the thresholds while updates kept arriving. */
export type CompactionReason = 'threshold' | 'overdue' | 'unload' | 'fallback'

/**
 * A room's write path to storage: a queue of updates flushed with one `store.append` per
 * FLUSH_INTERVAL_MS (group commit), retried with backoff while storage fails, and compaction
 * into a snapshot once the log crosses the policy thresholds. Flushes and compactions never run
 * at the same time, so the log counters here stay exact.
 */
export class RoomPersistence {
  /** Sequence number of the last durable log entry (or of the last folded one). */
  lastSeq = 0
  snapshotBytes = 0
  logEntries = 0
  logBytes = 0

  private queue: Uint8Array[] = []
  private queueBytes = 0
  private inflight: Promise<void> | null = null
  private inflightBytes = 0
  private inflightWaiters: SavedWaiter[] = []
  /**
   * The document's state vector when the batch in flight was taken, encoded only once somebody
   * waits for that batch (a saved-state-vector request): encoding it for every flush was ~3% of
   * the relay's CPU at typing rates, where most flushes have nobody waiting.
   */
  private inflightStateVector: Uint8Array | null = null
  private nextWaiters: SavedWaiter[] = []
  private compacting: Promise<void> | null = null
  private compactionWanted = false
  /** A flush sooner than the clock's tick: a full batch (0 ms) or a retry. */
  private timer: TimerHandle | null = null
  private readonly flushClock: FlushClock
  /** A flush the clock or a timer started; failures retry through afterFlush. */
  private readonly flushDue = (): void => {
    if (!this.disposed) this.flushOnce().catch(() => {})
  }
  private retryDelayMs: number
  private failing = false
  private disposed = false

  /** The policy's thresholds × {@link OVERDUE_COMPACTION_FACTOR}. */
  private readonly overdueAt: CompactionPolicy

  constructor(private readonly options: RoomPersistenceOptions) {
    this.retryDelayMs = options.storageRetryMs
    this.flushClock = options.flushClock ?? new FlushClock(options.timers, options.flushIntervalMs)
    this.overdueAt = {
      maxLogEntries: OVERDUE_COMPACTION_FACTOR * options.compaction.maxLogEntries,
      maxLogBytes: OVERDUE_COMPACTION_FACTOR * options.compaction.maxLogBytes,
    }
  }

  /** Takes the counters from what was loaded. */
  loaded(stored: StoredDoc): void {
    this.lastSeq = stored.lastSeq
    this.snapshotBytes = stored.snapshot?.byteLength ?? 0
    this.logEntries = stored.updates.length
    this.logBytes = stored.updates.reduce((sum, update) => sum + update.byteLength, 0)
  }

  /** False while storage writes fail; the room refuses new writes meanwhile. */
  get healthy(): boolean {
    return !this.failing
  }

  /** Updates applied to the document but not yet durable. */
  get pendingUpdates(): number {
    return this.queue.length + (this.inflight === null ? 0 : 1)
  }

  /**
   * Snapshot + log + pending bytes: an upper bound of the document's encoded size (it sums
   * updates, so it over-counts until the next compaction).
   */
  get estimatedDocumentBytes(): number {
    return this.snapshotBytes + this.logBytes + this.queueBytes + this.inflightBytes
  }

  /** Whether storage holds anything of this document (a snapshot or a log entry). */
  get storesAnything(): boolean {
    return this.lastSeq > 0 || this.snapshotBytes > 0
  }

  /**
   * Whether a threshold compaction would gain anything. A log of one entry and no snapshot (a
   * document uploaded in one sync step 2, an import) already is the whole document in one update:
   * folding it would only re-encode and rewrite it, blocking the event loop while joiners wait
   * (36–108 ms for a 2.4 MB upload in bench scenario 4). The next entry makes it foldable; an
   * explicit compaction (unload) still folds it.
   */
  private get foldable(): boolean {
    return this.logEntries > 1 || this.snapshotBytes > 0
  }

  get idle(): boolean {
    return this.queue.length === 0 && this.inflight === null && this.compacting === null
  }

  /** Queues an update the document already applied; it is appended within FLUSH_INTERVAL_MS. */
  enqueue(update: Uint8Array): void {
    this.queue.push(update)
    this.queueBytes += update.byteLength
    if (this.failing || this.disposed) return // the retry timer flushes
    if (this.queueBytes >= this.options.flushMaxBatchBytes) this.schedule(0)
    else if (this.timer === null) this.flushClock.request(this.flushDue)
  }

  /**
   * Resolves with the state vector that is durable once everything applied before this call has
   * been appended. Never resolves early; never resolves after {@link dispose}.
   */
  whenSaved(): Promise<Uint8Array> {
    return new Promise((resolve) => {
      if (this.queue.length > 0) this.nextWaiters.push(resolve)
      else if (this.inflight !== null) {
        // Nothing was applied since the batch in flight was taken (every applied update is
        // queued), so the document's state vector now is the one that batch makes durable.
        this.inflightStateVector ??= this.options.stateVector()
        this.inflightWaiters.push(resolve)
      } else resolve(this.options.stateVector())
    })
  }

  /**
   * Flushes until nothing is pending, retrying with backoff while storage fails, until
   * `deadlineMs` (on the injected clock) or until `abandon()` says so. Resolves true when
   * everything is durable.
   */
  async drain(deadlineMs = Number.POSITIVE_INFINITY, abandon: () => boolean = () => false): Promise<boolean> {
    const { timers } = this.options
    let delayMs = this.options.storageRetryMs
    while (!this.idle && !abandon() && !this.disposed) {
      try {
        await this.flushOnce()
      } catch {
        const remainingMs = deadlineMs - timers.now()
        if (remainingMs <= 0) return false
        await new Promise<void>((resolve) => timers.setTimeout(resolve, Math.min(delayMs, remainingMs)))
        delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS)
      }
    }
    return true
  }

  /**
   * Folds the log into a snapshot of the live document, but only when nothing is pending
   * (otherwise after the next flush). An `overdue` compaction only waits for the batch in flight:
   * its snapshot also holds the queued updates, whose log entries (appended after it, re-applying
   * is a no-op in Yjs) the next compaction folds. Failures are logged; the log stays as it was.
   */
  async compact(reason: CompactionReason): Promise<void> {
    if (this.disposed) return
    if (this.compacting !== null) return this.compacting
    if (this.inflight !== null || (this.queue.length > 0 && reason !== 'overdue')) {
      this.compactionWanted = true
      return
    }
    this.compactionWanted = false
    // With a shared store, other relays' entries are not in these counters.
    if (this.logEntries === 0 && !this.options.sharedStore) return
    this.compacting = this.runCompaction(reason).finally(() => {
      this.compacting = null
    })
    return this.compacting
  }

  /** Stops timers and forgets waiters; pending updates are dropped (drain first). */
  dispose(): void {
    this.disposed = true
    this.cancelTimer()
    this.nextWaiters = []
    this.inflightWaiters = []
  }

  private schedule(delayMs: number): void {
    this.cancelTimer()
    this.timer = this.options.timers.setTimeout(() => {
      this.timer = null
      this.flushDue()
    }, delayMs)
  }

  private cancelTimer(): void {
    this.flushClock.cancel(this.flushDue)
    if (this.timer !== null) {
      this.options.timers.clearTimeout(this.timer)
      this.timer = null
    }
  }

  private flushOnce(): Promise<void> {
    if (this.compacting !== null) return this.compacting.then(() => this.flushOnce())
    if (this.inflight !== null) return this.inflight
    if (this.queue.length === 0) return Promise.resolve()
    this.cancelTimer()
    const batch = this.queue
    const batchBytes = this.queueBytes
    this.queue = []
    this.queueBytes = 0
    this.inflightBytes = batchBytes
    const waiters = this.nextWaiters
    this.nextWaiters = []
    this.inflightWaiters = waiters
    // Everything the document holds right now is in this batch or already durable.
    this.inflightStateVector = waiters.length > 0 ? this.options.stateVector() : null
    this.inflight = this.appendBatch(batch, batchBytes, waiters).finally(() => {
      this.inflight = null
      this.inflightBytes = 0
      this.inflightWaiters = []
      this.inflightStateVector = null
      this.afterFlush()
    })
    return this.inflight
  }

  private async appendBatch(batch: Uint8Array[], batchBytes: number, waiters: SavedWaiter[]): Promise<void> {
    const { store, docId, logger } = this.options
    try {
      try {
        this.lastSeq = await store.append(docId, batch)
        this.logEntries += batch.length
        this.logBytes += batchBytes
      } catch (error) {
        if (error instanceof StorageUnavailableError) throw error
        // The log refused the batch itself (e.g. an update over the store's size limit): every
        // update is in the live document, so store a snapshot of it instead.
        logger.warn({ err: error, docId, updates: batch.length }, 'log refused batch; storing a snapshot instead')
        await this.snapshotNow('fallback')
      }
    } catch (error) {
      this.queue = batch.concat(this.queue)
      this.queueBytes += batchBytes
      this.nextWaiters = waiters.concat(this.nextWaiters)
      this.markFailing(error)
      throw error
    }
    this.markHealthy()
    // Set whenever `waiters` (the array requests in flight join) holds anyone.
    const stateVector = this.inflightStateVector
    if (stateVector !== null) for (const waiter of waiters) waiter(stateVector)
  }

  private afterFlush(): void {
    if (this.disposed) return
    if (this.failing) {
      this.schedule(this.retryDelayMs)
      this.retryDelayMs = Math.min(this.retryDelayMs * 2, MAX_RETRY_DELAY_MS)
    } else if (this.queue.length > 0) {
      if (this.queueBytes >= this.options.flushMaxBatchBytes) this.schedule(0)
      else this.flushClock.request(this.flushDue)
      // The next flush waits for the compaction.
      if (this.foldable && shouldCompact(this, this.overdueAt)) void this.compact('overdue')
    } else if (this.compactionWanted || (this.foldable && shouldCompact(this, this.options.compaction))) {
      void this.compact('threshold')
    }
  }

  private markFailing(error: unknown): void {
    if (this.failing) return
    this.failing = true
    this.options.logger.error(
      { err: error, docId: this.options.docId, pendingUpdates: this.queue.length },
      'storage write failed; refusing new writes and retrying',
    )
    this.options.onHealthChange(false)
  }

  private markHealthy(): void {
    this.retryDelayMs = this.options.storageRetryMs
    if (!this.failing) return
    this.failing = false
    this.options.logger.info({ docId: this.options.docId }, 'storage writes recovered')
    this.options.onHealthChange(true)
  }

  private async runCompaction(reason: CompactionReason): Promise<void> {
    const { logger, docId } = this.options
    try {
      await this.snapshotNow(reason)
    } catch (error) {
      if (error instanceof StaleSnapshotError) {
        logger.debug({ docId, reason }, 'compaction superseded')
      } else {
        logger.warn({ err: error, docId, reason }, 'compaction failed; the update log is kept')
      }
    }
  }

  /** Stores the live document as the snapshot covering every entry up to `lastSeq`. */
  private async snapshotNow(reason: CompactionReason): Promise<void> {
    if (this.options.sharedStore) return this.snapshotShared(reason)
    const { store, docId, logger, timers } = this.options
    const startedMs = timers.now()
    const upToSeq = this.lastSeq
    const foldedEntries = this.logEntries
    const foldedBytes = this.logBytes
    const bytesBefore = this.snapshotBytes + this.logBytes
    const snapshot = this.options.snapshot()
    await store.replaceSnapshot(docId, snapshot, upToSeq)
    this.snapshotBytes = snapshot.byteLength
    this.logEntries -= foldedEntries
    this.logBytes -= foldedBytes
    logger.info(
      {
        docId,
        reason,
        bytesBefore,
        bytesAfter: snapshot.byteLength,
        foldedEntries,
        upToSeq,
        durationMs: Math.round(timers.now() - startedMs),
      },
      'compacted document',
    )
  }

  /** {@link snapshotNow} when other relays share the store; counters are re-read from it. */
  private async snapshotShared(reason: CompactionReason): Promise<void> {
    const { store, docId, logger, timers } = this.options
    const result = await compactSharedStore(store, docId, {
      live: reason === 'fallback' ? this.options.snapshot() : null,
      now: () => timers.now(),
    })
    this.snapshotBytes = result.stats.snapshotBytes
    this.logEntries = result.stats.logEntries
    this.logBytes = result.stats.logBytes
    const { stats, ...summary } = result
    const fields = { docId, reason, ...summary, logEntries: stats.logEntries, durationMs: Math.round(summary.durationMs) }
    if (result.outcome === 'compacted') logger.info(fields, 'compacted document')
    else logger.debug(fields, 'compaction skipped')
  }
}
