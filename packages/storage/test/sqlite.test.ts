// SQLite-specific behaviour beyond the shared contract: file layout, pragmas, schema versions.
import { existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import {
  InvalidArgumentError,
  SQLITE_FILE_NAME,
  SQLITE_SCHEMA_VERSION,
  SchemaVersionError,
  SqliteDocStore,
  StorageUnavailableError,
  openDocStore,
} from '../src/index'
import { patternBytes } from './contract-helpers'
import { heldSyncs } from './held-syncs'
import { makeTempDir, removeDir } from './temp-dir'

const dirs: string[] = []
const stores: { close(): Promise<void> }[] = []

function tempDir(): string {
  const dir = makeTempDir()
  dirs.push(dir)
  return dir
}

function track<T extends { close(): Promise<void> }>(store: T): T {
  stores.push(store)
  return store
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close()
  for (const dir of dirs.splice(0)) removeDir(dir)
})

function inspect<T>(path: string, read: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true })
  try {
    return read(db)
  } finally {
    db.close()
  }
}

describe('SqliteDocStore', () => {
  it('creates <dataDir>/docs.sqlite, nested directories included', async () => {
    const dataDir = join(tempDir(), 'a', 'b', 'data')
    const store = track(SqliteDocStore.open({ dataDir }))
    expect(store.path).toBe(join(dataDir, SQLITE_FILE_NAME))
    expect(existsSync(store.path)).toBe(true)
  })

  it('runs in WAL mode with synchronous=NORMAL (the store fsyncs the log itself) and a busy timeout', async () => {
    const store = track(SqliteDocStore.open({ dataDir: tempDir(), busyTimeoutMs: 1234 }))
    // The pragmas are per connection; read them through the store's own connection.
    const db = (store as unknown as { db: Database.Database }).db
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('synchronous', { simple: true })).toBe(1) // NORMAL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234)
  })

  describe('durability off the event loop', () => {
    async function settled(promise: Promise<unknown>): Promise<boolean> {
      let done = false
      void promise.then(
        () => (done = true),
        () => (done = true),
      )
      await new Promise((resolve) => setImmediate(resolve))
      return done
    }

    it('resolves a write only after the WAL file has been fsynced', async () => {
      const { calls, syncFile } = heldSyncs()
      const store = track(SqliteDocStore.open({ dataDir: tempDir(), syncFile }))
      const appended = store.append('doc', [patternBytes(7)])
      expect(await settled(appended)).toBe(false)
      expect(calls.map((call) => call.path)).toEqual([`${store.path}-wal`])
      calls[0]!.finish()
      expect(await appended).toBe(1)

      const replaced = store.replaceSnapshot('doc', patternBytes(9), 1)
      const deleted = store.delete('other')
      expect(await settled(replaced)).toBe(false)
      expect(await settled(deleted)).toBe(false)
      // The delete came while the snapshot's fsync ran: it waits for the next one.
      calls[1]!.finish()
      await replaced
      expect(await settled(deleted)).toBe(false)
      calls[2]!.finish()
      await deleted
    })

    it('reports a failed fsync as storage unavailable, and the retried append is kept once more', async () => {
      const { calls, syncFile } = heldSyncs()
      const store = track(SqliteDocStore.open({ dataDir: tempDir(), syncFile }))
      const failed = store.append('doc', [patternBytes(3)])
      expect(await settled(failed)).toBe(false) // committed at the end of the tick, then fsynced
      calls[0]!.finish(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }))
      const error = await failed.catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(StorageUnavailableError)
      expect((error as StorageUnavailableError).code).toBe('EIO')
      expect((error as Error).message).toContain('append to document "doc"')

      const retried = store.append('doc', [patternBytes(3)])
      expect(await settled(retried)).toBe(false)
      calls[1]!.finish()
      expect(await retried).toBe(2)
      // The committed copy of the failed write stays (Yjs updates are idempotent).
      expect((await store.load('doc')).updates).toHaveLength(2)
    })
  })

  it('records the schema version and reopens an existing database without migrating again', async () => {
    const dataDir = tempDir()
    const store = SqliteDocStore.open({ dataDir })
    await store.append('doc', [patternBytes(5)])
    await store.close()
    expect(inspect(store.path, (db) => db.pragma('user_version', { simple: true }))).toBe(SQLITE_SCHEMA_VERSION)
    const again = track(SqliteDocStore.open({ dataDir }))
    expect((await again.load('doc')).updates).toHaveLength(1)
  })

  it('refuses a database written by a newer schema and leaves it untouched', async () => {
    const dataDir = tempDir()
    await SqliteDocStore.open({ dataDir }).close()
    const path = join(dataDir, SQLITE_FILE_NAME)
    const db = new Database(path)
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`)
    db.close()
    const error = (() => {
      try {
        SqliteDocStore.open({ dataDir })
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(SchemaVersionError)
    expect(String(error)).toContain(path)
    expect(inspect(path, (check) => check.pragma('user_version', { simple: true }))).toBe(SQLITE_SCHEMA_VERSION + 1)
  })

  it('checkpoints and truncates the WAL on close', async () => {
    const dataDir = tempDir()
    const store = SqliteDocStore.open({ dataDir })
    await store.append('doc', Array.from({ length: 200 }, (_, i) => patternBytes(100, i)))
    const wal = `${store.path}-wal`
    expect(statSync(wal).size).toBeGreaterThan(0)
    await store.close()
    expect(existsSync(wal) ? statSync(wal).size : 0).toBe(0)
    const rows = inspect(store.path, (db) => db.prepare('SELECT count(*) AS n FROM updates').get() as { n: number })
    expect(rows.n).toBe(200)
  })

  it('hands pages freed by compaction back to the file system (auto_vacuum=INCREMENTAL)', async () => {
    const dataDir = tempDir()
    const store = SqliteDocStore.open({ dataDir })
    for (let batch = 0; batch < 20; batch++) {
      await store.append('doc', Array.from({ length: 100 }, (_, i) => patternBytes(500, batch * 100 + i)))
    }
    await store.replaceSnapshot('doc', patternBytes(1_000), 2_000)
    await store.close()
    expect(inspect(store.path, (db) => db.pragma('auto_vacuum', { simple: true }))).toBe(2)
    expect(inspect(store.path, (db) => db.pragma('freelist_count', { simple: true }))).toBe(0)
    // 1,000,000 bytes were appended; what remains is one 1,000-byte snapshot plus a few pages.
    expect(statSync(store.path).size).toBeLessThan(64 * 1024)
  })

  it('passes PRAGMA integrity_check', async () => {
    const store = track(SqliteDocStore.open({ dataDir: tempDir() }))
    await store.append('doc', [patternBytes(10)])
    await store.replaceSnapshot('doc', patternBytes(20), 1)
    expect(await store.integrityCheck()).toBe('ok')
  })

  it('refuses nonsense limits at open', () => {
    const dataDir = tempDir()
    for (const options of [{ maxUpdateBytes: 0 }, { maxSnapshotBytes: -1 }, { busyTimeoutMs: 1.5 }, { maxDatabaseBytes: 0 }]) {
      expect(() => SqliteDocStore.open({ dataDir, ...options })).toThrow(InvalidArgumentError)
    }
  })

  it('refuses a file that is not a database with StorageUnavailableError', () => {
    const dataDir = tempDir()
    writeFileSync(join(dataDir, SQLITE_FILE_NAME), 'this is not a database, just text'.repeat(200))
    expect(() => SqliteDocStore.open({ dataDir })).toThrow(StorageUnavailableError)
  })
})

describe('openDocStore', () => {
  it('opens SQLite under dataDir', async () => {
    const dataDir = tempDir()
    const store = track(await openDocStore({ dataDir }))
    expect(store).toBeInstanceOf(SqliteDocStore)
    expect(await store.append('doc', [patternBytes(3)])).toBe(1)
    expect(existsSync(join(dataDir, SQLITE_FILE_NAME))).toBe(true)
  })

  it('reports an unreachable PostgreSQL as StorageUnavailableError', async () => {
    await expect(openDocStore({ databaseUrl: 'postgres://127.0.0.1:5432/collab' })).rejects.toBeInstanceOf(
      StorageUnavailableError,
    )
  })

  it('rejects (not throws) when the store cannot be opened', async () => {
    const file = join(tempDir(), 'plain-file')
    writeFileSync(file, 'x')
    await expect(openDocStore({ dataDir: file })).rejects.toBeInstanceOf(StorageUnavailableError)
  })
})
