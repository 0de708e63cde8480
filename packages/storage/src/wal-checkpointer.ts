// When, and on which thread, the WAL is folded back into the database file. SQLite's automatic
// checkpoint (every 1,000 WAL frames) runs inside whichever commit crosses the mark, on the event
// loop, and syncs the WAL and the database file: 1–2.5 ms on an idle disk, 15–20 ms at p99 on a
// shared VM, all that time the relay fans nothing out. So the store's connection turns it off
// and a CheckpointWorker checkpoints after about as much WAL growth instead.
//
// The WAL's growth cannot be read without checkpointing, so it is estimated from what each
// transaction stores; every checkpoint the worker runs reports the WAL's real length.
//
// Bounds. The WAL restarts from its beginning only when a write begins with every frame
// checkpointed; if commits keep landing while the worker checkpoints, that never happens and the
// WAL keeps growing. Once the worker reports it MAX_WAL_BYTES long, one PASSIVE checkpoint runs
// inline at once, where no commit can interleave; the worker has just copied all but the last few
// frames, so it is short, and the next write restarts the WAL. A stuck worker never answers: once
// MAX_WAL_BYTES were written since the unanswered request, one checkpoint runs inline as well.
// A worker that cannot start or dies hands checkpoints back to SQLite (inline, as before).
import type Database from 'better-sqlite3'
import { CheckpointWorker, type CheckpointWorkerFactory } from './checkpoint-worker'
import type { CheckpointWorkerError } from './errors'

/** Who runs checkpoints: a worker thread (the store's default), or SQLite inside the commit crossing 1,000 frames. */
export type CheckpointMode = 'worker' | 'inline'

/** SQLite's default `wal_autocheckpoint`; the worker is asked after about as many frames. */
export const CHECKPOINT_AFTER_FRAMES = 1_000
/** A WAL this long is checkpointed inline (see above); also the store's `journal_size_limit`. */
export const MAX_WAL_BYTES = 64 * 1024 * 1024
/** Pages every commit rewrites whatever it stores: the log's leaf, the docs row, its index entry. */
const COMMIT_OVERHEAD_FRAMES = 4

/**
 * WAL frames a write transaction storing `payloadBytes` adds, estimated. Measured with 4 KiB pages:
 * a commit of two 40-byte updates writes ~3.6 frames, one 1 KB update ~8.5 (B-tree splits),
 * ten 5 KB updates ~25, one 100 KB update ~32; this stays within a factor of two of all of them.
 */
export function estimateWalFrames(payloadBytes: number, pageSize: number): number {
  return COMMIT_OVERHEAD_FRAMES + Math.ceil((2 * payloadBytes) / pageSize)
}

/** Hands checkpoints to SQLite: it runs one inside the commit that takes the WAL past 1,000 frames. */
export function useInlineCheckpoints(db: Database.Database): void {
  db.pragma(`wal_autocheckpoint = ${CHECKPOINT_AFTER_FRAMES}`)
}

export interface WalCheckpointerOptions {
  /** The database file the connection has open. */
  databasePath: string
  mode: CheckpointMode
  /** For the worker's own connection. */
  busyTimeoutMs: number
  /** Creates the worker thread; tests inject failing or counting ones. */
  startWorker?: CheckpointWorkerFactory | undefined
  /** Told (once, asynchronously) when the worker could not start or died; must not throw. */
  onFallback?: ((error: CheckpointWorkerError) => void) | undefined
  /** Start the worker now instead of with the first checkpoint wanted. */
  startWorkerNow?: boolean | undefined
}

/**
 * Checkpoint scheduling for one writable connection. The worker thread starts with the first
 * checkpoint wanted, so short-lived stores never start one; at most one request is in flight,
 * and growth while it runs is coalesced into the next.
 */
export class WalCheckpointer {
  private mode: CheckpointMode
  private worker: CheckpointWorker | null = null
  private closed = false
  private requestInFlight = false
  private framesSinceRequest = 0
  private readonly pageSize: number
  private readonly maxWalFrames: number

  constructor(
    private readonly db: Database.Database,
    private readonly options: WalCheckpointerOptions,
  ) {
    this.mode = options.mode
    if (this.mode === 'inline') useInlineCheckpoints(db)
    else db.pragma('wal_autocheckpoint = 0')
    this.pageSize = db.pragma('page_size', { simple: true }) as number
    this.maxWalFrames = Math.ceil(MAX_WAL_BYTES / this.pageSize)
    if (this.mode === 'worker' && options.startWorkerNow === true) this.startWorker()
  }

  /** Call after every committed write transaction with the bytes it stored. Never throws. */
  committed(payloadBytes: number): void {
    if (this.mode === 'inline' || this.closed) return
    this.framesSinceRequest += estimateWalFrames(payloadBytes, this.pageSize)
    if (this.requestInFlight) {
      if (this.framesSinceRequest >= this.maxWalFrames) this.checkpointInline()
    } else if (this.framesSinceRequest >= CHECKPOINT_AFTER_FRAMES) {
      this.requestCheckpoint()
    }
  }

  /**
   * Stops the worker: a running checkpoint finishes, its connection closes, its thread exits.
   * Resolves when it has (at once without one); never rejects.
   */
  close(): Promise<void> {
    this.closed = true
    return this.worker?.close() ?? Promise.resolve()
  }

  private requestCheckpoint(): void {
    const worker = this.worker ?? this.startWorker()
    if (worker === null) return
    this.requestInFlight = true
    this.framesSinceRequest = 0
    worker.checkpoint().then(
      (result) => {
        this.requestInFlight = false
        if (this.mode === 'inline' || this.closed) return
        if (result.walFrames >= this.maxWalFrames) this.checkpointInline()
        // Commits made while it ran may already call for the next one.
        else if (this.framesSinceRequest >= CHECKPOINT_AFTER_FRAMES) this.requestCheckpoint()
      },
      (error: CheckpointWorkerError) => this.fallBack(error),
    )
  }

  private startWorker(): CheckpointWorker | null {
    try {
      this.worker = CheckpointWorker.start(this.options, this.options.startWorker)
      return this.worker
    } catch (error) {
      // CheckpointWorker.start throws nothing else.
      this.fallBack(error as CheckpointWorkerError)
      return null
    }
  }

  private checkpointInline(): void {
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)')
    } catch {
      // Runs after a committed write, which must not be reported as failed, or in a promise
      // callback; the WAL keeps its frames and the next bound crossing tries again.
    }
    this.framesSinceRequest = 0
  }

  private fallBack(error: CheckpointWorkerError): void {
    if (this.mode === 'inline' || this.closed) return
    this.mode = 'inline'
    this.requestInFlight = false
    useInlineCheckpoints(this.db)
    // Its thread is gone or misbehaving; close() still waits for it to exit.
    void this.worker?.close()
    const onFallback = this.options.onFallback
    // Not from inside the write that found out: the owner may log, or even close the store.
    if (onFallback !== undefined) queueMicrotask(() => onFallback(error))
  }
}
