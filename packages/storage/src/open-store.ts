// Chooses the storage adapter from configuration: `dataDir` → embedded SQLite (the default),
// `databaseUrl` → PostgreSQL (issue 7; not built yet).
import type { DocStore } from './doc-store'
import { StorageUnavailableError } from './errors'
import { SqliteDocStore, type SqliteDocStoreOptions } from './sqlite-store'

/** Embedded SQLite under `dataDir`. */
export interface SqliteStoreConfig extends SqliteDocStoreOptions {
  databaseUrl?: undefined
}

/** PostgreSQL at `databaseUrl` (`postgres://…`), for several relays sharing one store. */
export interface PostgresStoreConfig {
  databaseUrl: string
  dataDir?: undefined
  now?: () => number
  maxUpdateBytes?: number
  maxSnapshotBytes?: number
}

export type OpenDocStoreOptions = SqliteStoreConfig | PostgresStoreConfig

/**
 * Opens the configured store, with its schema created or migrated. Rejects with
 * `StorageUnavailableError` when it cannot be opened (the relay's /readyz stays 503).
 */
export async function openDocStore(options: OpenDocStoreOptions): Promise<DocStore> {
  if (options.databaseUrl !== undefined) {
    throw new StorageUnavailableError(
      'PostgreSQL storage (databaseUrl) is not available in this build yet; unset DATABASE_URL to use SQLite under DATA_DIR',
      'ADAPTER_UNAVAILABLE',
    )
  }
  return SqliteDocStore.open(options)
}
