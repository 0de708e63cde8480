// The embedded default adapter: one SQLite file per data directory, through better-sqlite3.
// better-sqlite3 is synchronous, so each method runs to completion inside its call (appends: in
// a microtask, see TickAppends); the async signatures exist for adapters that talk to a server.
// By default no fsync runs inside those calls: WalSync makes commits durable on the thread pool,
// WalCheckpointer has a worker thread checkpoint the WAL.
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import type { CheckpointWorkerFactory } from './checkpoint-worker'
import type { CompactionLockResult, DocStats, DocStore, DocSummary, StoredDoc } from './doc-store'
import {
  InvalidArgumentError,
  InvalidSeqError,
  StaleSnapshotError,
  StoreClosedError,
  StorageUnavailableError,
  type CheckpointWorkerError,
} from './errors'
import { mapStorageFailure } from './sqlite-errors'
import { TickAppends, type PendingAppend } from './tick-appends'
import { MAX_WAL_BYTES, WalCheckpointer, type CheckpointMode } from './wal-checkpointer'
import { WalSync, type SyncFile } from './wal-sync'
import { initializeNewDatabase, migrate, requireCurrentSchema } from './sqlite-schema'
import {
  checkDocId,
  checkListOptions,
  checkSnapshot,
  checkUpdates,
  requirePositiveInteger,
  resolvePayloadLimits,
  type PayloadLimits,
} from './validate'

/** File name of the database inside the data directory. */
export const SQLITE_FILE_NAME = 'docs.sqlite'
export const DEFAULT_BUSY_TIMEOUT_MS = 5_000
/** Free space inside the file above which a compaction or delete shrinks the file. */
const RECLAIM_THRESHOLD_BYTES = 16 * 1024 * 1024

/**
 * Compaction locks held in this process, as `<absolute db path>\0<doc id>`. SQLite serves one
 * relay process, so an in-memory set is the whole lock; it is shared by every store instance on
 * the same file.
 */
const heldCompactionLocks = new Set<string>()

export interface SqliteDocStoreOptions {
  /** Directory holding `docs.sqlite` (and its `-wal`/`-shm` files); created when missing. */
  dataDir: string
  /** Clock for `updatedAtMs`; defaults to `Date.now`. */
  now?: () => number
  /** Largest single update `append` accepts; default 16 MiB. */
  maxUpdateBytes?: number
  /** Largest snapshot `replaceSnapshot` accepts; default 256 MiB. */
  maxSnapshotBytes?: number
  /** How long a write waits for another connection's lock before failing; default 5,000. */
  busyTimeoutMs?: number
  /**
   * Caps the database file (`PRAGMA max_page_count`): writes that would grow it further fail
   * with `StorageUnavailableError` (SQLITE_FULL), exactly like a full disk. Unlimited by default.
   */
  maxDatabaseBytes?: number
  /** Opens an existing, current database without write access (inspection, backups). */
  readOnly?: boolean
  /** How writes are made durable (fsync of the WAL file); injected by tests. */
  syncFile?: SyncFile
  /**
   * Who folds the WAL back into the database file: `'worker'` (default) checkpoints on a worker
   * thread with its own connection, started with the first checkpoint; `'inline'` leaves it to
   * SQLite, inside the commit that takes the WAL past 1,000 pages (blocking the event loop while
   * it syncs the WAL and the database file). Read-only stores never checkpoint.
   */
  checkpoints?: CheckpointMode
  /**
   * Called once, asynchronously, if the checkpoint worker cannot start or dies; the store then
   * checkpoints inline for the rest of its life (worth a log line). Must not throw.
   */
  onCheckpointFallback?: (error: CheckpointWorkerError) => void
  /** Creates the checkpoint worker thread; injected by tests. */
  startCheckpointWorker?: CheckpointWorkerFactory
  /**
   * Start the checkpoint thread when the store opens, not with its first checkpoint: a server
   * holds its memory (~6–10 MiB) from the start, not from some write later on, and its first
   * checkpoint does not pay the thread's start (1–3 ms on the event loop). Default false, so
   * short-lived stores (tools, tests) never start one.
   */
  checkpointThreadAtOpen?: boolean
}

interface DocRow {
  doc_key: number
  last_seq: number
  snapshot_seq: number
  snapshot_bytes: number
  log_entries: number
  log_bytes: number
}

interface ListRow {
  doc_id: string
  updated_at_ms: number
  stored_bytes: number
}

function prepareStatements(db: Database.Database) {
  return {
    ensureDoc: db.prepare<[string, number]>(
      'INSERT INTO docs (doc_id, updated_at_ms) VALUES (?, ?) ON CONFLICT (doc_id) DO NOTHING',
    ),
    bumpLog: db.prepare<[number, number, number, number, string], { doc_key: number; last_seq: number }>(
      `UPDATE docs SET last_seq = last_seq + ?, log_entries = log_entries + ?, log_bytes = log_bytes + ?,
         updated_at_ms = ? WHERE doc_id = ? RETURNING doc_key, last_seq`,
    ),
    insertUpdate: db.prepare<[number, number, Uint8Array]>('INSERT INTO updates (doc_key, seq, data) VALUES (?, ?, ?)'),
    getDoc: db.prepare<[string], DocRow>(
      'SELECT doc_key, last_seq, snapshot_seq, snapshot_bytes, log_entries, log_bytes FROM docs WHERE doc_id = ?',
    ),
    getSnapshot: db.prepare<[number], Buffer>('SELECT data FROM snapshots WHERE doc_key = ?').pluck(),
    getUpdates: db.prepare<[number], Buffer>('SELECT data FROM updates WHERE doc_key = ? ORDER BY seq').pluck(),
    deleteUpdatesUpTo: db.prepare<[number, number]>('DELETE FROM updates WHERE doc_key = ? AND seq <= ?'),
    measureLog: db.prepare<[number], { entries: number; bytes: number }>(
      'SELECT count(*) AS entries, coalesce(sum(length(data)), 0) AS bytes FROM updates WHERE doc_key = ?',
    ),
    upsertSnapshot: db.prepare<[number, Uint8Array]>(
      'INSERT INTO snapshots (doc_key, data) VALUES (?, ?) ON CONFLICT (doc_key) DO UPDATE SET data = excluded.data',
    ),
    setSnapshotMeta: db.prepare<[number, number, number, number, number, number]>(
      `UPDATE docs SET snapshot_seq = ?, snapshot_bytes = ?, log_entries = ?, log_bytes = ?, updated_at_ms = ?
         WHERE doc_key = ?`,
    ),
    list: db.prepare<[number, number], ListRow>(
      `SELECT doc_id, updated_at_ms, snapshot_bytes + log_bytes AS stored_bytes FROM docs
         ORDER BY updated_at_ms DESC, doc_id LIMIT ? OFFSET ?`,
    ),
    deleteUpdates: db.prepare<[number]>('DELETE FROM updates WHERE doc_key = ?'),
    deleteSnapshot: db.prepare<[number]>('DELETE FROM snapshots WHERE doc_key = ?'),
    deleteDoc: db.prepare<[number]>('DELETE FROM docs WHERE doc_key = ?'),
    freeBytes: db.prepare<[], number>(
      'SELECT freelist_count * page_size FROM pragma_freelist_count(), pragma_page_size()',
    ).pluck(),
  }
}

type Statements = ReturnType<typeof prepareStatements>

/** Zero-copy view, so callers get plain `Uint8Array`s whatever the driver returns. */
function toBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

function configure(db: Database.Database, options: SqliteDocStoreOptions, path: string): void {
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS}`)
  if (options.readOnly) return
  initializeNewDatabase(db)
  const mode = db.pragma('journal_mode = WAL', { simple: true })
  if (mode !== 'wal') {
    throw new StorageUnavailableError(`Cannot enable WAL mode on ${path} (journal_mode is ${String(mode)})`, 'NO_WAL')
  }
  // NORMAL: a commit writes the WAL without fsyncing it, which survives a process crash; every
  // write then waits for WalSync to fsync the log off the event loop before it resolves, so a
  // resolved write survives power loss too, as with FULL (see wal-sync.ts).
  db.pragma('synchronous = NORMAL')
  // Without a limit the -wal file stays at its high-water mark after a checkpoint.
  db.pragma(`journal_size_limit = ${MAX_WAL_BYTES}`)
  if (options.maxDatabaseBytes !== undefined) {
    const pageSize = db.pragma('page_size', { simple: true }) as number
    db.pragma(`max_page_count = ${Math.max(1, Math.floor(options.maxDatabaseBytes / pageSize))}`)
  }
}

/**
 * The appends of one tick (the rooms the relay flushes together; see TickAppends) commit
 * together, this many per transaction: per document about a third of the event-loop time of a
 * transaction each (21–30 µs against 62–81 µs, 1,000 documents on this machine). Any other
 * operation commits the waiting appends first, so operations still take effect in call order.
 * Batches beyond this many appends gain little (22–28 µs per document at 100, 21–22 at 1,000)
 * and block the event loop longer: 1,000 appends in one transaction are ~21 ms of it. The rest
 * of a tick's appends commit in later turns of the event loop (setImmediate), with I/O between.
 */
const MAX_APPENDS_PER_TRANSACTION = 100

/** {@link DocStore} on an embedded SQLite database at `<dataDir>/docs.sqlite`. */
export class SqliteDocStore implements DocStore {
  private db: Database.Database | null
  private readonly statements: Statements
  private readonly limits: PayloadLimits
  private readonly now: () => number
  private readonly walSync: WalSync
  /** Null for read-only stores. */
  private readonly checkpointer: WalCheckpointer | null
  private closing: Promise<void> | null = null
  private readonly appends = new TickAppends(() => this.commitSomePendingAppends())
  /**
   * The append transaction, made once: better-sqlite3 builds a wrapper object per
   * `db.transaction()` call, ~1% of the relay's CPU at typing rates when made per commit.
   */
  private readonly appendTransaction: Database.Transaction<(batch: PendingAppend[], batchBytes: number[], nowMs: number) => number[]>

  private constructor(
    /** Absolute or relative path of the database file. */
    readonly path: string,
    db: Database.Database,
    options: SqliteDocStoreOptions,
  ) {
    this.db = db
    this.statements = prepareStatements(db)
    this.appendTransaction = db.transaction((batch: PendingAppend[], batchBytes: number[], nowMs: number): number[] =>
      batch.map(({ docId, updates }, index) => {
        const docBytes = batchBytes[index]!
        this.statements.ensureDoc.run(docId, nowMs)
        const row = this.statements.bumpLog.get(updates.length, updates.length, docBytes, nowMs, docId)
        if (row === undefined) throw new Error(`docs row for ${JSON.stringify(docId)} vanished inside its transaction`)
        let seq = row.last_seq - updates.length
        for (const update of updates) this.statements.insertUpdate.run(row.doc_key, ++seq, update)
        return row.last_seq
      }),
    )
    this.limits = resolvePayloadLimits(options)
    this.walSync = new WalSync(path, options.syncFile)
    this.checkpointer = db.readonly
      ? null
      : new WalCheckpointer(db, {
          databasePath: path,
          mode: options.checkpoints ?? 'worker',
          busyTimeoutMs: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
          startWorker: options.startCheckpointWorker,
          onFallback: options.onCheckpointFallback,
          startWorkerNow: options.checkpointThreadAtOpen,
        })
    const clock = options.now ?? Date.now
    // updated_at_ms is a STRICT INTEGER column; an injected clock may return fractions.
    this.now = () => Math.floor(clock())
  }

  /**
   * Opens (creating the directory and file when missing) and migrates the database. Throws
   * `StorageUnavailableError` when it cannot be opened or written, `SchemaVersionError` when it
   * belongs to a newer build, `InvalidArgumentError` for bad limits.
   */
  static open(options: SqliteDocStoreOptions): SqliteDocStore {
    resolvePayloadLimits(options)
    if (options.busyTimeoutMs !== undefined) requirePositiveInteger('busyTimeoutMs', options.busyTimeoutMs)
    if (options.maxDatabaseBytes !== undefined) requirePositiveInteger('maxDatabaseBytes', options.maxDatabaseBytes)
    if (options.checkpoints !== undefined && options.checkpoints !== 'worker' && options.checkpoints !== 'inline') {
      throw new InvalidArgumentError('checkpoints', options.checkpoints, "'worker' or 'inline'")
    }
    const path = join(options.dataDir, SQLITE_FILE_NAME)
    let db: Database.Database | undefined
    try {
      if (!options.readOnly) mkdirSync(options.dataDir, { recursive: true })
      db = new Database(path, { readonly: options.readOnly === true, fileMustExist: options.readOnly === true })
      configure(db, options, path)
      if (options.readOnly) requireCurrentSchema(db, path)
      else migrate(db, path)
      return new SqliteDocStore(path, db, options)
    } catch (error) {
      db?.close()
      throw mapStorageFailure(error, { operation: 'open', path })
    }
  }

  /** Runs `body` on the open database, mapping SQLite failures to typed errors. */
  private run<T>(operation: string, docId: string | undefined, body: (db: Database.Database) => T): T {
    this.commitPendingAppends()
    const db = this.db
    if (db === null) throw new StoreClosedError(operation, docId)
    try {
      return body(db)
    } catch (error) {
      throw mapStorageFailure(error, { operation, path: this.path, ...(docId === undefined ? {} : { docId }) })
    }
  }

  /** Waits until the writes committed so far are on stable storage (see WalSync). */
  private async durable(operation: string, docId: string): Promise<void> {
    try {
      await this.walSync.durable()
    } catch (error) {
      // The transaction is committed but may not survive a power loss: report the write as
      // failed, so the caller retries it (appends are idempotent Yjs updates).
      throw mapStorageFailure(error, { operation, path: this.path, docId })
    }
  }

  async load(docId: string): Promise<StoredDoc> {
    checkDocId(docId)
    return this.run('load', docId, (db) =>
      // One read transaction, so snapshot and log come from the same committed state even if
      // another connection compacts in between.
      db.transaction((): StoredDoc => {
        const row = this.statements.getDoc.get(docId)
        if (row === undefined) return { snapshot: null, updates: [], lastSeq: 0 }
        const snapshot = this.statements.getSnapshot.get(row.doc_key)
        const updates = this.statements.getUpdates.all(row.doc_key).map(toBytes)
        return { snapshot: snapshot === undefined ? null : toBytes(snapshot), updates, lastSeq: row.last_seq }
      }).deferred(),
    )
  }

  async append(docId: string, updates: readonly Uint8Array[]): Promise<number> {
    checkDocId(docId)
    checkUpdates(docId, updates, this.limits)
    if (updates.length === 0) return this.run('append to', docId, () => this.statements.getDoc.get(docId)?.last_seq ?? 0)
    if (this.db === null) throw new StoreClosedError('append to', docId)
    const lastSeq = await this.appends.add(docId, updates)
    await this.durable('append to', docId)
    return lastSeq
  }

  /** Commits the first {@link MAX_APPENDS_PER_TRANSACTION} waiting appends; the rest next turn. */
  private commitSomePendingAppends(): void {
    this.commitAppends(this.appends.take(MAX_APPENDS_PER_TRANSACTION))
    if (this.appends.size > 0) setImmediate(() => this.commitSomePendingAppends())
  }

  /** Commits every waiting append now (before any other operation). */
  private commitPendingAppends(): void {
    while (this.appends.size > 0) this.commitAppends(this.appends.take(MAX_APPENDS_PER_TRANSACTION))
  }

  /** Commits `batch` in one transaction; all of its appends fail if it fails. */
  private commitAppends(batch: PendingAppend[]): void {
    if (batch.length === 0) return
    if (this.db === null) {
      for (const append of batch) append.reject(new StoreClosedError('append to', append.docId))
      return
    }
    const batchBytes = batch.map(({ updates }) => updates.reduce((sum, update) => sum + update.byteLength, 0))
    let lastSeqs: number[]
    try {
      // IMMEDIATE takes the write lock up front: a deferred transaction that reads first can hit
      // SQLITE_BUSY on upgrade, which busy_timeout does not retry.
      lastSeqs = this.appendTransaction.immediate(batch, batchBytes, this.now())
    } catch (error) {
      for (const append of batch) append.reject(mapStorageFailure(error, { operation: 'append to', path: this.path, docId: append.docId }))
      return
    }
    this.checkpointer?.committed(batchBytes.reduce((sum, bytes) => sum + bytes, 0))
    batch.forEach((append, index) => append.resolve(lastSeqs[index] as number))
  }

  async replaceSnapshot(docId: string, snapshot: Uint8Array, upToSeq: number): Promise<void> {
    checkDocId(docId)
    checkSnapshot(docId, snapshot, this.limits)
    this.run('replace the snapshot of', docId, (db) => {
      const nowMs = this.now()
      db.transaction(() => {
        const row = this.statements.getDoc.get(docId)
        const lastSeq = row?.last_seq ?? 0
        if (!Number.isSafeInteger(upToSeq) || upToSeq < 0 || upToSeq > lastSeq) {
          throw new InvalidSeqError(docId, upToSeq, lastSeq)
        }
        const snapshotSeq = row?.snapshot_seq ?? 0
        if (upToSeq < snapshotSeq) throw new StaleSnapshotError(docId, upToSeq, snapshotSeq)
        this.statements.ensureDoc.run(docId, nowMs)
        const docKey = (row ?? this.statements.getDoc.get(docId))?.doc_key
        if (docKey === undefined) throw new Error(`docs row for ${JSON.stringify(docId)} vanished inside its transaction`)
        this.statements.deleteUpdatesUpTo.run(docKey, upToSeq)
        this.statements.upsertSnapshot.run(docKey, snapshot)
        const log = this.statements.measureLog.get(docKey) ?? { entries: 0, bytes: 0 }
        this.statements.setSnapshotMeta.run(upToSeq, snapshot.byteLength, log.entries, log.bytes, nowMs, docKey)
      }).immediate()
      const reclaimedBytes = this.reclaimFreePagesIfAbove(db, RECLAIM_THRESHOLD_BYTES)
      this.checkpointer?.committed(snapshot.byteLength + reclaimedBytes)
    })
    await this.durable('replace the snapshot of', docId)
  }

  async stats(docId: string): Promise<DocStats> {
    checkDocId(docId)
    return this.run('read stats of', docId, () => {
      const row = this.statements.getDoc.get(docId)
      return {
        snapshotBytes: row?.snapshot_bytes ?? 0,
        logEntries: row?.log_entries ?? 0,
        logBytes: row?.log_bytes ?? 0,
      }
    })
  }

  async list(options?: { limit?: number; offset?: number }): Promise<DocSummary[]> {
    const page = checkListOptions(options)
    return this.run('list documents in', undefined, () =>
      this.statements.list.all(page.limit, page.offset).map((row) => ({
        docId: row.doc_id,
        updatedAtMs: row.updated_at_ms,
        storedBytes: row.stored_bytes,
      })),
    )
  }

  async delete(docId: string): Promise<void> {
    checkDocId(docId)
    this.run('delete', docId, (db) => {
      db.transaction(() => {
        const row = this.statements.getDoc.get(docId)
        if (row === undefined) return
        this.statements.deleteUpdates.run(row.doc_key)
        this.statements.deleteSnapshot.run(row.doc_key)
        this.statements.deleteDoc.run(row.doc_key)
      }).immediate()
      // Freed pages join the free list mostly unwritten; the vacuum is what can add many frames.
      this.checkpointer?.committed(this.reclaimFreePagesIfAbove(db, RECLAIM_THRESHOLD_BYTES))
    })
    await this.durable('delete', docId)
  }

  /**
   * Compaction and deletes leave free pages inside the file; appends reuse them, so only a large
   * surplus is worth handing back (incremental vacuum moves pages, which costs writes). Returns
   * the free bytes it vacuumed, a rough measure of what the move wrote to the WAL.
   */
  private reclaimFreePagesIfAbove(db: Database.Database, thresholdBytes: number): number {
    try {
      const freeBytes = this.statements.freeBytes.get() ?? 0
      if (freeBytes < thresholdBytes) return 0
      db.pragma('incremental_vacuum')
      return freeBytes
    } catch {
      // The write it follows is committed; failing here would report it as failed. Free pages
      // simply stay for appends to reuse.
      return 0
    }
  }

  /** See {@link DocStore.tryWithCompactionLock}; exclusive within this process. */
  async tryWithCompactionLock<T>(docId: string, fn: () => Promise<T>): Promise<CompactionLockResult<T>> {
    checkDocId(docId)
    if (this.db === null) throw new StoreClosedError(`lock document ${JSON.stringify(docId)} for compaction`)
    const key = `${resolve(this.path)}\u0000${docId}`
    if (heldCompactionLocks.has(key)) return { acquired: false }
    heldCompactionLocks.add(key)
    try {
      return { acquired: true, value: await fn() }
    } finally {
      heldCompactionLocks.delete(key)
    }
  }

  /** `PRAGMA integrity_check`: `"ok"` for a healthy database, otherwise the problems found. */
  async integrityCheck(): Promise<string> {
    return this.run('check the integrity of', undefined, (db) =>
      (db.pragma('integrity_check') as { integrity_check: string }[]).map((row) => row.integrity_check).join('\n'),
    )
  }

  /** Stops the checkpoint worker, then checkpoints and closes. Later calls share the first. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce()
    return this.closing
  }

  private async closeOnce(): Promise<void> {
    this.commitPendingAppends()
    const db = this.db
    if (db === null) return
    this.db = null
    // The worker's connection must be gone first: only the last connection to close deletes the
    // WAL (and -shm) file.
    await this.checkpointer?.close()
    // Hands free pages back and folds the WAL into the main file, so a closed data dir is one
    // file of about the size of what it stores.
    try {
      if (!db.readonly) {
        this.reclaimFreePagesIfAbove(db, 1)
        db.pragma('wal_checkpoint(TRUNCATE)')
      }
    } catch {
      // Harmless: committed data is durable in the WAL and the next open replays it.
    }
    db.close()
    await this.walSync.close()
  }
}
