// SqliteDocStore commits the appends of one tick in one transaction (the relay flushes its rooms
// together); every other operation still takes effect in call order.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { SqliteDocStore, StorageUnavailableError } from '../src/index'
import { patternBytes } from './contract-helpers'
import { makeTempDir, removeDir } from './temp-dir'

const dirs: string[] = []
const stores: SqliteDocStore[] = []

afterEach(async () => {
  vi.restoreAllMocks()
  for (const store of stores.splice(0)) await store.close()
  for (const dir of dirs.splice(0)) removeDir(dir)
})

function open(options: { maxDatabaseBytes?: number } = {}): SqliteDocStore {
  const dataDir = makeTempDir()
  dirs.push(dataDir)
  const store = SqliteDocStore.open({ dataDir, ...options })
  stores.push(store)
  return store
}

/** Counts the append transactions the store commits (it makes its transaction function once). */
function countTransactions(store: SqliteDocStore): { readonly count: number } {
  type Immediate = (...args: unknown[]) => unknown
  const internals = store as unknown as { appendTransaction: { immediate: Immediate } }
  const original = internals.appendTransaction
  let count = 0
  internals.appendTransaction = { immediate: (...args) => (count++, original.immediate(...args)) }
  return {
    get count() {
      return count
    },
  }
}

describe('SqliteDocStore: appends of one tick', () => {
  it('commit in one transaction, each document with its own sequence numbers', async () => {
    const store = open()
    const transactions = countTransactions(store)
    const appended = await Promise.all([
      store.append('a', [patternBytes(10, 1)]),
      store.append('b', [patternBytes(10, 2), patternBytes(10, 3)]),
      store.append('a', [patternBytes(10, 4)]),
    ])
    expect(transactions.count).toBe(1)
    expect(appended).toEqual([1, 2, 2])
    // Appends of different ticks: a transaction each.
    await store.append('a', [patternBytes(10, 5)])
    await store.append('b', [patternBytes(10, 6)])
    expect(transactions.count).toBe(3)
    expect((await store.load('a')).updates).toEqual([patternBytes(10, 1), patternBytes(10, 4), patternBytes(10, 5)])
    expect((await store.load('b')).lastSeq).toBe(3)
  })

  it('commit 100 per transaction, the rest in later turns; a read in the same tick sees them all', async () => {
    const store = open()
    const transactions = countTransactions(store)
    const docIds = Array.from({ length: 250 }, (_, index) => `doc-${index}`)
    const appended = docIds.map((docId, index) => store.append(docId, [patternBytes(10, index)]))
    expect(await Promise.all(appended)).toEqual(docIds.map(() => 1))
    expect(transactions.count).toBe(3)

    const again = docIds.map((docId, index) => store.append(docId, [patternBytes(10, index + 1)]))
    const stats = store.stats('doc-249')
    expect(await stats).toMatchObject({ logEntries: 2 })
    expect(await Promise.all(again)).toEqual(docIds.map(() => 2))
    expect(transactions.count).toBe(6)
  })

  it('are committed before any later operation of the same tick, which sees them', async () => {
    const store = open()
    const appended = store.append('doc', [patternBytes(10, 1)])
    const deleted = store.delete('doc')
    const recreated = store.append('doc', [patternBytes(10, 2)])
    const loaded = store.load('doc')
    await Promise.all([appended, deleted, recreated])
    // The delete removed the first append; the second came after it.
    expect((await loaded).updates).toEqual([patternBytes(10, 2)])
    expect(await store.stats('doc')).toMatchObject({ logEntries: 1 })
  })

  it('commit before the store closes', async () => {
    const store = open()
    const appended = store.append('doc', [patternBytes(10, 7)])
    await store.close()
    expect(await appended).toBe(1)
    const reopened = SqliteDocStore.open({ dataDir: dirs[0]! })
    stores.push(reopened)
    expect((await reopened.load('doc')).updates).toEqual([patternBytes(10, 7)])
  })

  it('all fail when their transaction fails, each naming its document, and nothing of them is stored', async () => {
    const store = open({ maxDatabaseBytes: 256 * 1024 })
    await store.append('small', [patternBytes(100, 1)])
    const results = await Promise.allSettled([
      store.append('small', [patternBytes(100, 2)]),
      store.append('huge', [patternBytes(512 * 1024, 3)]),
    ])
    const errors = results.map((result) => (result.status === 'rejected' ? (result.reason as Error) : null))
    expect(errors.map((error) => error instanceof StorageUnavailableError)).toEqual([true, true])
    expect(errors[0]!.message).toContain('"small"')
    expect(errors[1]!.message).toContain('"huge"')
    expect((await store.load('small')).lastSeq).toBe(1)
    expect((await store.load('huge')).lastSeq).toBe(0)
    // The next tick's appends are not affected.
    expect(await store.append('small', [patternBytes(100, 4)])).toBe(2)
  })
})
