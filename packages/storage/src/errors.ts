// Typed storage errors. Every message names the document, path, sequence number or byte count
// that was wrong, so a log line is enough to act on.

/** Formats a byte count or sequence number the way our messages do: `1,048,576`. */
export function formatCount(value: number): string {
  return value.toLocaleString('en-US')
}

function quote(docId: string): string {
  return JSON.stringify(docId.length > 160 ? docId.slice(0, 160) + '…' : docId)
}

/** Base class of everything this package throws on purpose (except `InvalidDocIdError`). */
export class StorageError extends Error {
  override readonly name: string = 'StorageError'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/**
 * The store cannot take writes (disk full, read-only, I/O error, cannot open, closed). The caller
 * should stop accepting writes for now; nothing from the failed call was stored.
 */
export class StorageUnavailableError extends StorageError {
  override readonly name: string = 'StorageUnavailableError'
  constructor(
    message: string,
    /** Engine error code when there is one, e.g. `SQLITE_FULL`. */
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** The store was closed; every later call fails with this. */
export class StoreClosedError extends StorageUnavailableError {
  override readonly name: string = 'StoreClosedError'
  /** What was refused: `operation`, or `operation document "<docId>"` when a document is named. */
  readonly operation: string
  constructor(operation: string, docId?: string) {
    const what = docId === undefined ? operation : `${operation} document ${JSON.stringify(docId)}`
    super(`Cannot ${what}: the document store is closed`, 'STORE_CLOSED')
    this.operation = what
  }
}

/** A stored record cannot be used (not a valid Yjs update, or missing data). */
export class CorruptRecordError extends StorageError {
  override readonly name: string = 'CorruptRecordError'
  constructor(
    readonly docId: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Stored data of document ${quote(docId)} is corrupt: ${detail}`, options)
  }
}

export type PayloadKind = 'update' | 'snapshot'

/** An update or snapshot is not a non-empty `Uint8Array` (or the batch is not an array). */
export class InvalidPayloadError extends StorageError {
  override readonly name: string = 'InvalidPayloadError'
  constructor(
    readonly docId: string,
    readonly kind: PayloadKind,
    readonly detail: string,
  ) {
    super(`Refused ${kind} for document ${quote(docId)}: ${detail}`)
  }
}

/** An update or snapshot is larger than the store's configured limit. */
export class PayloadTooLargeError extends StorageError {
  override readonly name: string = 'PayloadTooLargeError'
  constructor(
    readonly docId: string,
    readonly kind: PayloadKind,
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    const limitName = kind === 'update' ? 'maxUpdateBytes' : 'maxSnapshotBytes'
    super(
      `${kind === 'update' ? 'Update' : 'Snapshot'} of ${formatCount(bytes)} bytes for document ` +
        `${quote(docId)} exceeds ${limitName} ${formatCount(limitBytes)}`,
    )
  }
}

/** `replaceSnapshot` named a sequence number the document has not reached (or not an integer). */
export class InvalidSeqError extends StorageError {
  override readonly name: string = 'InvalidSeqError'
  constructor(
    readonly docId: string,
    readonly upToSeq: number,
    readonly lastSeq: number,
  ) {
    super(
      `Invalid upToSeq ${String(upToSeq)} for document ${quote(docId)}: expected an integer ` +
        `from 0 to its last sequence number ${formatCount(lastSeq)}`,
    )
  }
}

/**
 * `replaceSnapshot` was given a snapshot older than the stored one: another compaction already
 * folded further. Nothing was changed; what is stored already contains everything.
 */
export class StaleSnapshotError extends StorageError {
  override readonly name: string = 'StaleSnapshotError'
  constructor(
    readonly docId: string,
    readonly upToSeq: number,
    readonly snapshotSeq: number,
  ) {
    super(
      `Stale snapshot for document ${quote(docId)}: it covers up to seq ${formatCount(upToSeq)} ` +
        `but the stored snapshot already covers up to seq ${formatCount(snapshotSeq)}`,
    )
  }
}

/** A non-document argument (list paging, limits, compaction policy) is out of range. */
export class InvalidArgumentError extends StorageError {
  override readonly name: string = 'InvalidArgumentError'
  constructor(
    readonly argument: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`Invalid ${argument} ${describeValue(value)}: expected ${expected}`)
  }
}

/**
 * The database schema cannot be used by this build: written by a newer version, or (read-only
 * opens, which cannot migrate) by an older one.
 */
export class SchemaVersionError extends StorageError {
  override readonly name: string = 'SchemaVersionError'
  constructor(
    readonly path: string,
    readonly foundVersion: number,
    readonly supportedVersion: number,
  ) {
    super(
      `Database ${path} has schema version ${foundVersion} but this build uses version ` +
        `${supportedVersion}; ` +
        (foundVersion > supportedVersion
          ? 'upgrade the relay or point it at another data directory'
          : 'open it once writable so the migrations run'),
    )
  }
}

/**
 * The thread that checkpoints a SQLite database's WAL could not start, failed or exited. The
 * store keeps working and checkpoints inline instead (see `onCheckpointFallback`).
 */
export class CheckpointWorkerError extends StorageError {
  override readonly name: string = 'CheckpointWorkerError'
  constructor(
    readonly path: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Checkpoint worker for ${path} failed: ${detail}`, options)
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? value.slice(0, 80) + '…' : value)
  return `(${typeof value})`
}
