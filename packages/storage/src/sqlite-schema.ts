// SQLite schema, versioned with `PRAGMA user_version`. Migration N takes the database from
// version N-1 to N; `migrate` applies the missing ones in one transaction at open, so a crash
// mid-migration leaves the previous version intact.
import type Database from 'better-sqlite3'
import { SchemaVersionError } from './errors'

/**
 * Why three tables: the snapshot lives apart from the per-document counters because every
 * append updates the counters, and SQLite rewrites a whole row (overflow pages included) on
 * update; with the snapshot inline each keystroke batch would rewrite the full snapshot.
 * The log is keyed by an integer `doc_key`, not the doc id text: a keystroke update is ~30
 * bytes, and repeating a doc id of up to 128 characters in every row would multiply the log.
 * `docs.last_seq` is kept even when the log is empty so sequence numbers never repeat after a
 * compaction. The counters make `stats` and `list` O(1) per document instead of scanning the log.
 */
const MIGRATIONS: readonly string[] = [
  // 1: initial schema
  `
  CREATE TABLE docs (
    doc_key INTEGER PRIMARY KEY,
    doc_id TEXT NOT NULL UNIQUE,
    last_seq INTEGER NOT NULL DEFAULT 0,
    snapshot_seq INTEGER NOT NULL DEFAULT 0,
    snapshot_bytes INTEGER NOT NULL DEFAULT 0,
    log_entries INTEGER NOT NULL DEFAULT 0,
    log_bytes INTEGER NOT NULL DEFAULT 0,
    updated_at_ms INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX docs_by_updated_at ON docs (updated_at_ms DESC, doc_id);
  CREATE TABLE snapshots (
    doc_key INTEGER PRIMARY KEY,
    data BLOB NOT NULL
  ) STRICT;
  CREATE TABLE updates (
    doc_key INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (doc_key, seq)
  ) STRICT, WITHOUT ROWID;
  `,
]

/**
 * Settings that only take effect on a brand-new file, so they run before anything else touches
 * it (even `journal_mode = WAL` writes the header). INCREMENTAL auto-vacuum lets the store hand
 * pages freed by compaction back to the file system instead of keeping the file at its
 * high-water mark.
 */
export function initializeNewDatabase(db: Database.Database): void {
  if (readSchemaVersion(db) === 0) db.pragma('auto_vacuum = INCREMENTAL')
}

/** Schema version this build writes. */
export const SQLITE_SCHEMA_VERSION = MIGRATIONS.length

export function readSchemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number
}

/** Brings the schema to {@link SQLITE_SCHEMA_VERSION}; refuses databases from a newer build. */
export function migrate(db: Database.Database, path: string): void {
  db.transaction(() => {
    const found = readSchemaVersion(db)
    if (found > SQLITE_SCHEMA_VERSION) throw new SchemaVersionError(path, found, SQLITE_SCHEMA_VERSION)
    for (let version = found + 1; version <= SQLITE_SCHEMA_VERSION; version++) {
      db.exec(MIGRATIONS[version - 1] as string)
      // user_version cannot be bound as a parameter; `version` is our own integer.
      db.pragma(`user_version = ${version}`)
    }
  }).exclusive()
}

/** For read-only opens, where migrating is impossible: the schema must already be current. */
export function requireCurrentSchema(db: Database.Database, path: string): void {
  const found = readSchemaVersion(db)
  if (found !== SQLITE_SCHEMA_VERSION) throw new SchemaVersionError(path, found, SQLITE_SCHEMA_VERSION)
}
