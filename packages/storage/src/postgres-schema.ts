// PostgreSQL schema, versioned by a `schema_migrations` table inside the store's own schema.
// Several relays may start at once against one database, so `migratePostgres` runs in one
// transaction that first takes a transaction-scoped advisory lock: the first relay creates or
// migrates, the others wait for its COMMIT and then find nothing left to do.
import type { PoolClient } from 'pg'
import { InvalidArgumentError, SchemaVersionError } from './errors'
import { advisoryLockKey } from './postgres-locks'

/** Schema (namespace) the tables live in unless the `schema` option names another. */
export const DEFAULT_POSTGRES_SCHEMA = 'collab'

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/** Checks a schema name and returns it double-quoted for SQL text (it cannot be a parameter). */
export function quoteSchemaName(schema: unknown): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new InvalidArgumentError('schema', schema, 'a lower-case SQL identifier matching [a-z_][a-z0-9_]{0,62}')
  }
  return `"${schema}"`
}

/**
 * Same model as the SQLite adapter (see sqlite-schema.ts for the reasoning): per-document
 * counters in `docs`, snapshots in their own table, the log keyed by an integer `doc_key`.
 * PostgreSQL specifics:
 * - `doc_id` uses the "C" collation so `list()` breaks ties byte-wise, exactly like SQLite,
 *   whatever locale the database was created with.
 * - `append` bumps `docs.last_seq` with `INSERT … ON CONFLICT DO UPDATE`, which holds the docs
 *   row lock until COMMIT: appends to one document serialize on that row, so sequence numbers
 *   are handed out in commit order and a reader never sees seq 5 without seq 4.
 * - Foreign keys cascade, so deleting the docs row deletes its snapshot and log in the same
 *   statement; every writer locks the docs row first, so there is one lock order and no
 *   deadlock between append, replaceSnapshot and delete.
 * - Counters are bigint; the adapter converts them to numbers (all far below 2^53).
 */
function migrations(schema: string): readonly string[] {
  return [
    // 1: initial schema
    `
    CREATE TABLE ${schema}.docs (
      doc_key bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      doc_id text COLLATE "C" NOT NULL UNIQUE,
      last_seq bigint NOT NULL DEFAULT 0,
      snapshot_seq bigint NOT NULL DEFAULT 0,
      snapshot_bytes bigint NOT NULL DEFAULT 0,
      log_entries bigint NOT NULL DEFAULT 0,
      log_bytes bigint NOT NULL DEFAULT 0,
      updated_at_ms bigint NOT NULL
    );
    CREATE INDEX docs_by_updated_at ON ${schema}.docs (updated_at_ms DESC, doc_id);
    CREATE TABLE ${schema}.snapshots (
      doc_key bigint PRIMARY KEY REFERENCES ${schema}.docs ON DELETE CASCADE,
      data bytea NOT NULL
    );
    CREATE TABLE ${schema}.updates (
      doc_key bigint NOT NULL REFERENCES ${schema}.docs ON DELETE CASCADE,
      seq bigint NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (doc_key, seq)
    );
    `,
  ]
}

/** Schema version this build writes. */
export const POSTGRES_SCHEMA_VERSION = migrations('x').length

/** Advisory lock key that serializes migrations of one schema across every relay. */
export function migrationLockKey(schemaName: string): string {
  return advisoryLockKey('collab-storage:migrate', schemaName)
}

/**
 * Creates the schema or brings it to {@link POSTGRES_SCHEMA_VERSION} in one transaction on
 * `client`; refuses a schema written by a newer build (`SchemaVersionError`, naming `where`).
 * Returns the version found before migrating (0 for a new database).
 */
export async function migratePostgres(client: PoolClient, schemaName: string, where: string, nowMs: number): Promise<number> {
  const schema = quoteSchemaName(schemaName)
  await client.query('BEGIN')
  try {
    // Transaction-scoped: released by COMMIT/ROLLBACK, or by the server if this session dies.
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [migrationLockKey(schemaName)])
    // Checked first: CREATE SCHEMA IF NOT EXISTS demands the CREATE privilege on the database
    // even when the schema exists, and a relay's role may only own its schema.
    const existing = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schemaName])
    if (existing.rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`)
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
         version integer PRIMARY KEY,
         applied_at_ms bigint NOT NULL
       )`,
    )
    const found = await client.query<{ version: number }>(
      `SELECT coalesce(max(version), 0)::integer AS version FROM ${schema}.schema_migrations`,
    )
    const foundVersion = found.rows[0]?.version ?? 0
    if (foundVersion > POSTGRES_SCHEMA_VERSION) {
      throw new SchemaVersionError(`${where} (schema ${schemaName})`, foundVersion, POSTGRES_SCHEMA_VERSION)
    }
    const steps = migrations(schema)
    for (let version = foundVersion + 1; version <= POSTGRES_SCHEMA_VERSION; version++) {
      await client.query(steps[version - 1] as string)
      await client.query(`INSERT INTO ${schema}.schema_migrations (version, applied_at_ms) VALUES ($1, $2)`, [
        version,
        nowMs,
      ])
    }
    const committed = await client.query('COMMIT')
    if (committed.command !== 'COMMIT') throw new Error(`COMMIT of the schema migration answered ${committed.command}`)
    return foundVersion
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw error
  }
}
