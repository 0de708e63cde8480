// When the disk refuses writes, the store says so with StorageUnavailableError and never reports
// a write as stored that is not. Real files only: read-only directories, immutable files, a full
// database, a directory where the file should be.
import { execFileSync } from 'node:child_process'
import { appendFileSync, chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SQLITE_FILE_NAME, SqliteDocStore, StorageUnavailableError } from '../src/index'
import { patternBytes, plain } from './contract-helpers'
import { makeTempDir, removeDir } from './temp-dir'

const dirs: string[] = []
const stores: SqliteDocStore[] = []
const immutable: string[] = []

function tempDir(): string {
  const dir = makeTempDir()
  dirs.push(dir)
  return dir
}

function chattr(flag: '+i' | '-i', paths: string[]): void {
  execFileSync('chattr', [flag, ...paths], { stdio: 'ignore' })
}

afterEach(async () => {
  // Undo immutability first, or the temp dirs could never be removed.
  if (immutable.length > 0) chattr('-i', immutable.splice(0))
  for (const store of stores.splice(0)) await store.close()
  for (const dir of dirs.splice(0)) {
    chmodSync(dir, 0o755)
    removeDir(dir)
  }
})

function openError(open: () => unknown): unknown {
  try {
    open()
  } catch (error) {
    return error
  }
  return undefined
}

/** Root (CAP_DAC_OVERRIDE) ignores mode bits: writing into a 0555 directory still works. */
function modeBitsBypassed(dir: string): boolean {
  const probe = join(dir, 'probe')
  try {
    writeFileSync(probe, 'x')
    rmSync(probe)
    return true
  } catch {
    return false
  }
}

/** `chattr +i` stops even root, but needs the chattr tool and a file system that supports it. */
function immutableFilesSupported(): boolean {
  const probe = join(tempDir(), 'probe')
  writeFileSync(probe, 'x')
  try {
    chattr('+i', [probe])
  } catch {
    return false
  }
  try {
    appendFileSync(probe, 'y')
    return false
  } catch {
    return true
  } finally {
    chattr('-i', [probe])
  }
}

/** Appends one-by-one until a write fails; returns what resolved and the first failure. */
async function appendUntilFailure(store: SqliteDocStore, docId: string, maxBatches: number) {
  const acknowledged: Uint8Array[] = []
  for (let i = 0; i < maxBatches; i++) {
    const update = patternBytes(2_000, i)
    try {
      await store.append(docId, [update])
      acknowledged.push(update)
    } catch (error) {
      return { acknowledged, error }
    }
  }
  return { acknowledged, error: undefined }
}

describe('read-only data directory', () => {
  it('chmod 0555: open fails with StorageUnavailableError (skipped as root, which bypasses mode bits)', (ctx) => {
    const dataDir = tempDir()
    chmodSync(dataDir, 0o555)
    if (modeBitsBypassed(dataDir)) ctx.skip()
    expect(openError(() => SqliteDocStore.open({ dataDir }))).toBeInstanceOf(StorageUnavailableError)
  })

  it('immutable (chattr +i) fresh directory: open fails with StorageUnavailableError', (ctx) => {
    if (!immutableFilesSupported()) ctx.skip()
    const dataDir = tempDir()
    chattr('+i', [dataDir])
    immutable.push(dataDir)
    const error = openError(() => SqliteDocStore.open({ dataDir }))
    expect(error).toBeInstanceOf(StorageUnavailableError)
    expect((error as StorageUnavailableError).code).toMatch(/^SQLITE_CANTOPEN/)
    expect((error as Error).message).toContain(dataDir)
  })

  it('turning read-only while open: append rejects, nothing from it is stored, writes resume after', async (ctx) => {
    if (!immutableFilesSupported()) ctx.skip()
    const dataDir = tempDir()
    const store = SqliteDocStore.open({ dataDir })
    stores.push(store)
    const before = [patternBytes(100, 1), patternBytes(100, 2)]
    expect(await store.append('doc', before)).toBe(2)
    // Not the -shm file: SQLite maps it into memory and a write fault there is SIGBUS.
    const files = [dataDir, store.path, `${store.path}-wal`]
    chattr('+i', files)
    immutable.push(...files)
    const error = await store.append('doc', [patternBytes(100, 3)]).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(StorageUnavailableError)
    expect((error as StorageUnavailableError).code).toMatch(/^SQLITE_(IOERR|READONLY)/)
    expect(plain((await store.load('doc')).updates)).toEqual(plain(before))
    chattr('-i', immutable.splice(0))
    const after = patternBytes(100, 4)
    expect(await store.append('doc', [after])).toBe(3)
    await store.close()
    const reopened = SqliteDocStore.open({ dataDir })
    stores.push(reopened)
    expect(plain((await reopened.load('doc')).updates)).toEqual(plain([...before, after]))
    expect(await reopened.integrityCheck()).toBe('ok')
  })
})

describe('other routes to an unusable store (run everywhere, root included)', () => {
  it('data dir path is a regular file', () => {
    const dataDir = join(tempDir(), 'not-a-dir')
    writeFileSync(dataDir, 'x')
    const error = openError(() => SqliteDocStore.open({ dataDir }))
    expect(error).toBeInstanceOf(StorageUnavailableError)
    expect((error as Error).message).toContain(dataDir)
  })

  it('docs.sqlite is a directory', () => {
    const dataDir = tempDir()
    mkdirSync(join(dataDir, SQLITE_FILE_NAME))
    const error = openError(() => SqliteDocStore.open({ dataDir }))
    expect(error).toBeInstanceOf(StorageUnavailableError)
    expect((error as StorageUnavailableError).code).toMatch(/^SQLITE_CANTOPEN/)
  })

  it('read-only open: writes fail with SQLITE_READONLY, reads work, nothing changes', async () => {
    const dataDir = tempDir()
    const writer = SqliteDocStore.open({ dataDir })
    await writer.append('doc', [patternBytes(10)])
    await writer.close()
    const store = SqliteDocStore.open({ dataDir, readOnly: true })
    stores.push(store)
    for (const write of [
      () => store.append('doc', [patternBytes(11)]),
      () => store.replaceSnapshot('doc', patternBytes(12), 1),
      () => store.delete('doc'),
    ]) {
      const error = await write().catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(StorageUnavailableError)
      expect((error as StorageUnavailableError).code).toMatch(/^SQLITE_READONLY/)
    }
    expect(await store.load('doc')).toMatchObject({ lastSeq: 1, snapshot: null })
    expect(plain((await store.load('doc')).updates)).toEqual(plain([patternBytes(10)]))
  })

  it('read-only open of a missing database fails with StorageUnavailableError', () => {
    const error = openError(() => SqliteDocStore.open({ dataDir: tempDir(), readOnly: true }))
    expect(error).toBeInstanceOf(StorageUnavailableError)
  })

  it('full database (maxDatabaseBytes): append rejects with SQLITE_FULL and only acknowledged writes are stored', async () => {
    const dataDir = tempDir()
    const store = SqliteDocStore.open({ dataDir, maxDatabaseBytes: 256 * 1024 })
    stores.push(store)
    const { acknowledged, error } = await appendUntilFailure(store, 'doc', 1_000)
    expect(error).toBeInstanceOf(StorageUnavailableError)
    expect((error as StorageUnavailableError).code).toBe('SQLITE_FULL')
    expect((error as Error).message).toContain('"doc"')
    expect(acknowledged.length).toBeGreaterThan(10)
    // Still full: a second attempt fails the same way instead of half-writing.
    await expect(store.append('doc', [patternBytes(2_000, 999)])).rejects.toBeInstanceOf(StorageUnavailableError)
    expect(plain((await store.load('doc')).updates)).toEqual(plain(acknowledged))
    await store.close()
    const reopened = SqliteDocStore.open({ dataDir })
    stores.push(reopened)
    const loaded = await reopened.load('doc')
    expect(loaded.lastSeq).toBe(acknowledged.length)
    expect(plain(loaded.updates)).toEqual(plain(acknowledged))
    expect(await reopened.integrityCheck()).toBe('ok')
  })
})
