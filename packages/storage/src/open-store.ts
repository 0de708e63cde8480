// Chooses the storage adapter from configuration: `dataDir` → embedded SQLite (the default),
// `databaseUrl` → PostgreSQL, for several relays sharing one store (issue 7).
import type { DocStore } from './doc-store'
import { PostgresDocStore, type PostgresDocStoreOptions } from './postgres-store'
import { SqliteDocStore, type SqliteDocStoreOptions } from './sqlite-store'

/** Embedded SQLite under `dataDir`. */
export interface SqliteStoreConfig extends SqliteDocStoreOptions {
  databaseUrl?: undefined
}

/** PostgreSQL at `databaseUrl` (`postgres://…`, the relay's `DATABASE_URL`). */
export interface PostgresStoreConfig extends PostgresDocStoreOptions {
  dataDir?: undefined
}

export type OpenDocStoreOptions = SqliteStoreConfig | PostgresStoreConfig

/**
 * Opens the configured store, with its schema created or migrated. Rejects with
 * `StorageUnavailableError` when it cannot be opened (the relay's /readyz stays 503).
 */
export async function openDocStore(options: OpenDocStoreOptions): Promise<DocStore> {
  if (options.databaseUrl !== undefined) return PostgresDocStore.open(options)
  return SqliteDocStore.open(options)
}
