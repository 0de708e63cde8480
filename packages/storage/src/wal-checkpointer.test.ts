// Checkpoint scheduling through a real SqliteDocStore on real files. Worker threads are real too;
// tests observe them through the factory and may hold the requests sent to them.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { patternBytes } from '../test/contract-helpers'
import { makeTempDir, removeDir } from '../test/temp-dir'
import { startCheckpointWorker, type CheckpointWorkerFactory } from './checkpoint-worker'
import { CheckpointWorkerError, InvalidArgumentError } from './errors'
import { SqliteDocStore, type SqliteDocStoreOptions } from './sqlite-store'
import { CHECKPOINT_AFTER_FRAMES, MAX_WAL_BYTES, estimateWalFrames } from './wal-checkpointer'

const PAGE_BYTES = 4096
const dirs: string[] = []
const stores: SqliteDocStore[] = []

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close()
  for (const dir of dirs.splice(0)) removeDir(dir)
})

function tempDir(): string {
  const dir = makeTempDir()
  dirs.push(dir)
  return dir
}

/** A store that skips the fsync of each write: these tests are about checkpoints. */
function open(options: Partial<SqliteDocStoreOptions> = {}): SqliteDocStore {
  const store = SqliteDocStore.open({ dataDir: tempDir(), syncFile: async () => {}, ...options })
  stores.push(store)
  return store
}

/** The store's own connection, for its per-connection pragmas. */
function connectionOf(store: SqliteDocStore): Database.Database {
  return (store as unknown as { db: Database.Database }).db
}

/** Frames in the WAL now, read through a separate connection (whose checkpoint then runs). */
function walFrames(path: string): number {
  const db = new Database(path, { fileMustExist: true })
  try {
    return (db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log
  } finally {
    db.close()
  }
}

/** Two 40-byte updates: ~3.6 WAL frames, estimated at 5. */
async function appendSmall(store: SqliteDocStore, count: number, docs = 5): Promise<void> {
  for (let i = 0; i < count; i++) await store.append(`doc-${i % docs}`, [patternBytes(40, i), patternBytes(40, i + 1)])
}

/** One update big enough that its commit alone crosses the checkpoint threshold. */
function bigUpdate(seed = 0): Uint8Array {
  return patternBytes((CHECKPOINT_AFTER_FRAMES * PAGE_BYTES) / 2, seed)
}

interface ObservedWorkers {
  factory: CheckpointWorkerFactory
  started: Worker[]
  exited: Worker[]
  /** 'checkpoint' requests the store sent, in order. */
  requests: number
  /** With `holdRequests`: requests not yet delivered to the thread. */
  held: (() => void)[]
  /** Resolves once the threads have answered `count` checkpoints in all and the store has seen it. */
  answered(count: number): Promise<void>
}

/** Counts threads and requests; with `holdRequests`, checkpoints reach a thread only when released. */
function observeWorkers(options: { holdRequests?: boolean; make?: CheckpointWorkerFactory } = {}): ObservedWorkers {
  let answers = 0
  const waiters: { count: number; resolve: () => void }[] = []
  const observed: ObservedWorkers = {
    started: [],
    exited: [],
    requests: 0,
    held: [],
    answered: (count) =>
      new Promise((resolve) => {
        if (answers >= count) resolve()
        else waiters.push({ count, resolve })
      }),
    factory: (config) => {
      const worker = (options.make ?? startCheckpointWorker)(config)
      observed.started.push(worker)
      worker.once('exit', () => observed.exited.push(worker))
      worker.on('message', () => {
        answers++
        for (const waiter of waiters.filter((w) => answers >= w.count)) {
          waiters.splice(waiters.indexOf(waiter), 1)
          // This listener runs before the store's: let the store handle the answer first.
          setImmediate(waiter.resolve)
        }
      })
      const post = worker.postMessage.bind(worker)
      worker.postMessage = (message: unknown) => {
        if (message !== 'checkpoint') return post(message)
        observed.requests++
        if (options.holdRequests) observed.held.push(() => post(message))
        else post(message)
      }
      return worker
    },
  }
  return observed
}

/** A thread that takes requests and never answers one, but does close. */
const stuckWorker: CheckpointWorkerFactory = () =>
  new Worker(
    `require('node:worker_threads').parentPort.on('message', (m) => {
       if (m === 'close') require('node:worker_threads').parentPort.close()
     })`,
    { eval: true },
  )

/** A thread that checkpoints nothing and reports a WAL of `walFrames` frames, all checkpointed. */
function reportingWorker(walFrames: number): CheckpointWorkerFactory {
  return () =>
    new Worker(
      `const { parentPort } = require('node:worker_threads')
       parentPort.on('message', (m) => {
         if (m === 'close') parentPort.close()
         else parentPort.postMessage({ busy: 0, log: ${walFrames}, checkpointed: ${walFrames} })
       })`,
      { eval: true },
    )
}

describe('checkpoints on a worker thread', () => {
  it("turns SQLite's automatic checkpoint off on the store's connection", () => {
    const store = open()
    expect(connectionOf(store).pragma('wal_autocheckpoint', { simple: true })).toBe(0)
  })

  it('starts no worker before the estimated WAL growth reaches the threshold, then one', async () => {
    const workers = observeWorkers()
    const store = open({ startCheckpointWorker: workers.factory })
    const perAppend = estimateWalFrames(80, PAGE_BYTES)
    const below = Math.floor((CHECKPOINT_AFTER_FRAMES - 1) / perAppend)
    await appendSmall(store, below)
    expect(workers.started).toHaveLength(0)
    await appendSmall(store, 1)
    expect(workers.started).toHaveLength(1)
    expect(workers.requests).toBe(1)
  })

  it('starts the worker when the store opens with checkpointThreadAtOpen', async () => {
    const workers = observeWorkers()
    const store = open({ startCheckpointWorker: workers.factory, checkpointThreadAtOpen: true })
    expect(workers.started).toHaveLength(1)
    expect(workers.requests).toBe(0)
    await appendSmall(store, Math.ceil(CHECKPOINT_AFTER_FRAMES / estimateWalFrames(80, PAGE_BYTES)))
    expect(workers.started).toHaveLength(1)
    expect(workers.requests).toBe(1)
  })

  it('checkpoints the WAL on the worker, so the next write restarts it', async () => {
    const workers = observeWorkers()
    const store = open({ startCheckpointWorker: workers.factory })
    await store.append('doc', [bigUpdate()])
    await workers.answered(1)
    await store.append('doc', [patternBytes(40)])
    // Without the checkpoint all ~500 frames of the big update would still be in the WAL.
    expect(walFrames(store.path)).toBeLessThan(10)
    expect((await store.load('doc')).updates).toHaveLength(2)
  })

  it('keeps one request in flight and coalesces the growth meanwhile into one more', async () => {
    const workers = observeWorkers({ holdRequests: true })
    const store = open({ startCheckpointWorker: workers.factory })
    for (let seed = 0; seed < 4; seed++) await store.append('doc', [bigUpdate(seed)])
    expect(workers.requests).toBe(1)
    workers.held.shift()!()
    await workers.answered(1)
    expect(workers.requests).toBe(2)
    workers.held.shift()!()
    await workers.answered(2)
    expect(workers.requests).toBe(2)
    expect(workers.started).toHaveLength(1)
  })

  it('checkpoints inline once the WAL passes its bound while the worker does not answer', async () => {
    const workers = observeWorkers({ make: stuckWorker })
    const store = open({ startCheckpointWorker: workers.factory })
    const appends = Math.ceil((2 * MAX_WAL_BYTES) / (bigUpdate().byteLength + 8 * PAGE_BYTES))
    for (let seed = 0; seed < appends; seed++) await store.append('doc', [bigUpdate(seed)])
    expect(workers.requests).toBe(1)
    // Twice the bound was written; one inline checkpoint restarted the WAL on the way.
    expect(walFrames(store.path)).toBeLessThan(MAX_WAL_BYTES / PAGE_BYTES)
  })

  it('checkpoints inline when the worker reports a WAL past its bound (it is not restarting)', async () => {
    const workers = observeWorkers({ make: reportingWorker(MAX_WAL_BYTES / PAGE_BYTES) })
    const store = open({ startCheckpointWorker: workers.factory })
    await store.append('doc', [bigUpdate()])
    await workers.answered(1)
    await store.append('doc', [patternBytes(40)])
    // The ~500 frames of the big update were checkpointed here, so the last write restarted the WAL.
    expect(walFrames(store.path)).toBeLessThan(10)
  })

  it('never starts a worker for a read-only store', async () => {
    const dataDir = tempDir()
    const writer = open({ dataDir })
    await appendSmall(writer, 10)
    const workers = observeWorkers()
    const reader = open({ dataDir, readOnly: true, startCheckpointWorker: workers.factory })
    await appendSmall(writer, 300)
    for (let i = 0; i < 5; i++) expect((await reader.load(`doc-${i}`)).updates.length).toBeGreaterThan(0)
    await reader.close()
    expect(workers.started).toHaveLength(0)
  })

  it("leaves checkpoints to SQLite with checkpoints: 'inline'", async () => {
    const workers = observeWorkers()
    const store = open({ checkpoints: 'inline', startCheckpointWorker: workers.factory })
    expect(connectionOf(store).pragma('wal_autocheckpoint', { simple: true })).toBe(CHECKPOINT_AFTER_FRAMES)
    // ~4,100 frames in all; SQLite checkpoints whenever a commit leaves more than 1,000.
    for (let seed = 0; seed < 8; seed++) await store.append('doc', [bigUpdate(seed)])
    expect(workers.started).toHaveLength(0)
    expect(walFrames(store.path)).toBeLessThan(2 * CHECKPOINT_AFTER_FRAMES)
  })

  it('refuses an unknown checkpoints mode', () => {
    expect(() => open({ checkpoints: 'sometimes' as 'worker' })).toThrow(InvalidArgumentError)
  })
})

describe('falling back to inline checkpoints', () => {
  async function expectInlineCheckpoints(store: SqliteDocStore): Promise<void> {
    expect(connectionOf(store).pragma('wal_autocheckpoint', { simple: true })).toBe(CHECKPOINT_AFTER_FRAMES)
    await appendSmall(store, 1_000)
    // Without a checkpoint the WAL would hold ~3,600 frames; SQLite's checkpoints keep it near 1,000.
    expect(walFrames(store.path)).toBeLessThan(CHECKPOINT_AFTER_FRAMES + 10)
  }

  it('when the worker cannot be created: writes go on, the owner is told once', async () => {
    const fallbacks: CheckpointWorkerError[] = []
    const store = open({
      startCheckpointWorker: () => {
        throw new Error('no threads here')
      },
      onCheckpointFallback: (error) => fallbacks.push(error),
    })
    expect(await store.append('doc', [bigUpdate()])).toBe(1)
    expect(fallbacks).toHaveLength(1)
    expect(fallbacks[0]).toBeInstanceOf(CheckpointWorkerError)
    expect(fallbacks[0]!.message).toBe(`Checkpoint worker for ${store.path} failed: cannot start: no threads here`)
    await expectInlineCheckpoints(store)
    expect(fallbacks).toHaveLength(1)
  })

  it('when the worker dies', async () => {
    const dying: CheckpointWorkerFactory = () => new Worker('throw new Error("cannot load the driver")', { eval: true })
    const workers = observeWorkers({ make: dying })
    let fellBack: (error: CheckpointWorkerError) => void = () => {}
    const fallback = new Promise<CheckpointWorkerError>((resolve) => (fellBack = resolve))
    const store = open({ startCheckpointWorker: workers.factory, onCheckpointFallback: (error) => fellBack(error) })
    await store.append('doc', [bigUpdate()])
    expect((await fallback).message).toContain('cannot load the driver')
    await expectInlineCheckpoints(store)
    expect(workers.started).toHaveLength(1)
  })
})

describe('close()', () => {
  it('stops the worker before the final checkpoint: one file left, no thread', async () => {
    const workers = observeWorkers()
    const store = open({ startCheckpointWorker: workers.factory })
    await store.append('doc', [bigUpdate()])
    await workers.answered(1)
    await store.close()
    expect(workers.started).toHaveLength(1)
    expect(workers.exited).toHaveLength(1)
    expect(readdirSync(join(store.path, '..'))).toEqual(['docs.sqlite'])
  })

  it('also while a checkpoint is in flight, and every call waits for the same close', async () => {
    const workers = observeWorkers()
    const store = open({ startCheckpointWorker: workers.factory })
    await store.append('doc', [bigUpdate()])
    expect(workers.requests).toBe(1)
    const first = store.close()
    const second = store.close()
    await second
    expect(existsSync(`${store.path}-wal`)).toBe(false)
    expect(workers.exited).toHaveLength(1)
    await first
    const reopened = open({ dataDir: join(store.path, '..') })
    expect((await reopened.load('doc')).updates).toHaveLength(1)
  })

  it('also when the worker never answers', async () => {
    const workers = observeWorkers({ make: stuckWorker })
    const store = open({ startCheckpointWorker: workers.factory })
    await store.append('doc', [bigUpdate()])
    await store.close()
    expect(workers.exited).toHaveLength(1)
    expect(readdirSync(join(store.path, '..'))).toEqual(['docs.sqlite'])
  })
})
