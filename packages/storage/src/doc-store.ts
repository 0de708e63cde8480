/**
 * What the relay needs from storage. Every adapter (SQLite, PostgreSQL) implements this and
 * passes the same contract suite (`test/contract.ts`).
 *
 * Model: per document, an optional snapshot (a full Yjs update) plus an append-only log of
 * updates, each with a sequence number that only grows. Compaction replaces the snapshot and
 * deletes the log entries it folded in, atomically, and never touches entries appended after
 * the point it read up to.
 *
 * Errors (all methods reject, never throw synchronously):
 * - an invalid doc id → `InvalidDocIdError` (from @collab/protocol); nothing is created;
 * - a batch that is not an array, an update/snapshot that is not a non-empty `Uint8Array` →
 *   `InvalidPayloadError`; one over the adapter's limit → `PayloadTooLargeError`; the whole call
 *   is refused and nothing is stored;
 * - disk full, read-only, I/O error, lost connection → `StorageUnavailableError`: stop
 *   accepting writes; nothing from the failed call is stored;
 * - any call after `close()` → `StoreClosedError` (a `StorageUnavailableError`).
 *
 * The store checks bytes, not Yjs structure: the relay validates updates (`Y.decodeUpdate`)
 * before it applies or appends them.
 */
export interface DocStore {
  /** Snapshot plus every log entry after it, in append order. Unknown doc → empty. */
  load(docId: string): Promise<StoredDoc>
  /**
   * Appends updates to the log in one transaction (group commit). Resolves only once they are
   * durable; rejects with a {@link StorageError} when they are not (nothing partially stored).
   * Returns the sequence number of the last appended entry. Sequence numbers are per document,
   * start at 1 and only grow, across restarts and compactions.
   * An empty batch stores nothing and returns the document's current last sequence number.
   */
  append(docId: string, updates: readonly Uint8Array[]): Promise<number>
  /**
   * Atomically stores `snapshot` as the document's snapshot and deletes every log entry with
   * `seq <= upToSeq`. Entries appended after `upToSeq` stay.
   *
   * The caller guarantees that `snapshot` contains every entry with `seq <= upToSeq`. It may
   * contain more (the relay snapshots its live Y.Doc, which can be ahead of what is appended):
   * the later entries stay in the log and re-applying them on load is a no-op in Yjs.
   * `upToSeq` must be an integer from the stored snapshot's seq to the document's last seq
   * (`InvalidSeqError` above it); below the stored snapshot's seq the snapshot is stale
   * (another compaction folded further) and is refused with `StaleSnapshotError`, changing
   * nothing. `upToSeq = 0` on an unknown document stores a snapshot-only document.
   */
  replaceSnapshot(docId: string, snapshot: Uint8Array, upToSeq: number): Promise<void>
  /** Sizes of what is stored for a document (all zeros when unknown). */
  stats(docId: string): Promise<DocStats>
  /**
   * Documents that have anything stored, most recently updated first (ties by doc id).
   * `limit` defaults to 100 (at most 10,000), `offset` to 0; others → `InvalidArgumentError`.
   */
  list(options?: { limit?: number; offset?: number }): Promise<DocSummary[]>
  /** Removes everything stored for a document (no-op when unknown). */
  delete(docId: string): Promise<void>
  /** Flushes and closes; the store is unusable afterwards. Closing twice is a no-op. */
  close(): Promise<void>
  /**
   * Optional. Runs `fn` while holding this document's compaction lock, if nobody else holds it:
   * `{ acquired: true, value }`; otherwise does not run `fn` and returns `{ acquired: false }`
   * at once. The lock is exclusive across every store on the same data (PostgreSQL: every relay;
   * SQLite: within the process) and is released when `fn` settles (its rejection propagates).
   *
   * The lock saves duplicate work; correctness never depends on it: `replaceSnapshot` keeps
   * entries above `upToSeq` and refuses stale snapshots, so a compaction that loses its lock
   * (e.g. its database session dies) still cannot lose an update.
   * Checks the doc id like every method; rejects with `StorageUnavailableError` when the lock
   * cannot be asked for.
   */
  tryWithCompactionLock?<T>(docId: string, fn: () => Promise<T>): Promise<CompactionLockResult<T>>
}

/** What {@link DocStore.tryWithCompactionLock} returns. */
export type CompactionLockResult<T> = { acquired: true; value: T } | { acquired: false }

export interface StoredDoc {
  snapshot: Uint8Array | null
  /** Log entries after the snapshot, oldest first. */
  updates: Uint8Array[]
  /** Sequence number of the last log entry returned, or of the last folded entry; 0 when none. */
  lastSeq: number
}

export interface DocStats {
  snapshotBytes: number
  logEntries: number
  logBytes: number
}

export interface DocSummary {
  docId: string
  /** Milliseconds since the epoch of the last append or snapshot. */
  updatedAtMs: number
  /** snapshotBytes + logBytes. */
  storedBytes: number
}
