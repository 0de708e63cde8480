/**
 * What the relay needs from storage. Every adapter (SQLite, PostgreSQL) implements this and
 * passes the same contract suite (`test/contract.ts`).
 *
 * Model: per document, an optional snapshot (a full Yjs update) plus an append-only log of
 * updates, each with a sequence number that only grows. Compaction replaces the snapshot and
 * deletes the log entries it folded in, atomically, and never touches entries appended after
 * the point it read up to.
 */
export interface DocStore {
  /** Snapshot plus every log entry after it, in append order. Unknown doc → empty. */
  load(docId: string): Promise<StoredDoc>
  /**
   * Appends updates to the log in one transaction (group commit). Resolves only once they are
   * durable; rejects with a {@link StorageError} when they are not (nothing partially stored).
   * Returns the sequence number of the last appended entry.
   */
  append(docId: string, updates: readonly Uint8Array[]): Promise<number>
  /**
   * Atomically stores `snapshot` as the document's snapshot and deletes every log entry with
   * `seq <= upToSeq`. Entries appended after `upToSeq` stay.
   */
  replaceSnapshot(docId: string, snapshot: Uint8Array, upToSeq: number): Promise<void>
  /** Sizes of what is stored for a document (all zeros when unknown). */
  stats(docId: string): Promise<DocStats>
  /** Documents that have anything stored, most recently updated first. */
  list(options?: { limit?: number; offset?: number }): Promise<DocSummary[]>
  /** Removes everything stored for a document. */
  delete(docId: string): Promise<void>
  /** Flushes and closes; the store is unusable afterwards. */
  close(): Promise<void>
}

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
