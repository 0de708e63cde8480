export type { CompactionLockResult, DocStats, DocStore, DocSummary, StoredDoc } from './doc-store'
export {
  CheckpointWorkerError,
  CorruptRecordError,
  InvalidArgumentError,
  InvalidSeqError,
  InvalidPayloadError,
  SchemaVersionError,
  StaleSnapshotError,
  StorageError,
  StorageUnavailableError,
  StoreClosedError,
  PayloadTooLargeError,
  type PayloadKind,
} from './errors'
export {
  DEFAULT_LIST_LIMIT,
  DEFAULT_MAX_SNAPSHOT_BYTES,
  DEFAULT_MAX_UPDATE_BYTES,
  MAX_LIST_LIMIT,
} from './validate'
export {
  DEFAULT_BUSY_TIMEOUT_MS,
  SQLITE_FILE_NAME,
  SqliteDocStore,
  type SqliteDocStoreOptions,
} from './sqlite-store'
export { SQLITE_SCHEMA_VERSION } from './sqlite-schema'
export { MemoryDocStore, type MemoryDocStoreOptions } from './memory-store'
export type { SyncFile } from './wal-sync'
export type { CheckpointMode } from './wal-checkpointer'
export type { CheckpointWorkerConfig, CheckpointWorkerFactory } from './checkpoint-worker'
export {
  DEFAULT_POSTGRES_CONNECT_TIMEOUT_MS,
  DEFAULT_POSTGRES_POOL_SIZE,
  DEFAULT_POSTGRES_STATEMENT_TIMEOUT_MS,
  PostgresDocStore,
  type PostgresDocStoreOptions,
} from './postgres-store'
export { DEFAULT_POSTGRES_SCHEMA, POSTGRES_SCHEMA_VERSION } from './postgres-schema'
export {
  DEFAULT_COMPACTION_POLICY,
  compactDoc,
  foldToSnapshot,
  resolveCompactionPolicy,
  shouldCompact,
  type CompactDocOptions,
  type CompactionOutcome,
  type CompactionPolicy,
  type CompactionResult,
} from './compaction'
export {
  openDocStore,
  type OpenDocStoreOptions,
  type PostgresStoreConfig,
  type SqliteStoreConfig,
} from './open-store'
