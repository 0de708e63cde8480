import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { makeTempDir, removeDir } from '../test/temp-dir'
import { CheckpointWorker, type CheckpointWorkerFactory } from './checkpoint-worker'
import { CheckpointWorkerError } from './errors'

const dirs: string[] = []
const cleanups: (() => Promise<void> | void)[] = []

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  for (const dir of dirs.splice(0)) removeDir(dir)
})

/** A WAL database whose connection never checkpoints by itself, with `rows` rows written. */
function walDatabase(rows: number): { db: Database.Database; path: string } {
  const dir = makeTempDir()
  dirs.push(dir)
  const path = join(dir, 'test.sqlite')
  const db = new Database(path)
  cleanups.push(() => {
    if (db.open) db.close()
  })
  db.pragma('journal_mode = WAL')
  db.pragma('wal_autocheckpoint = 0')
  db.exec('CREATE TABLE t (data BLOB)')
  const insert = db.prepare('INSERT INTO t (data) VALUES (?)')
  for (let i = 0; i < rows; i++) insert.run(Buffer.alloc(1_000, i))
  return { db, path }
}

function start(databasePath: string, factory?: CheckpointWorkerFactory): CheckpointWorker {
  const worker = CheckpointWorker.start({ databasePath, busyTimeoutMs: 1_000 }, factory)
  cleanups.push(() => worker.close())
  return worker
}

describe('CheckpointWorker', () => {
  it('checkpoints the whole WAL on its own connection, and closes it', async () => {
    const { db, path } = walDatabase(300)
    const worker = start(path)
    const result = await worker.checkpoint()
    expect(result.walFrames).toBeGreaterThan(50)
    expect(result.checkpointedFrames).toBe(result.walFrames)
    // The next write restarts the WAL: only the frames of that one transaction are in it.
    db.prepare('INSERT INTO t (data) VALUES (?)').run(Buffer.alloc(10))
    expect((db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log).toBeLessThan(5)

    await worker.close()
    // Only the last connection to close deletes the WAL: the thread's connection is gone.
    db.close()
    expect(existsSync(`${path}-wal`)).toBe(false)
  })

  it('answers a checkpoint asked for just before close(), then exits', async () => {
    const { path } = walDatabase(100)
    const worker = start(path)
    const checkpoint = worker.checkpoint()
    const closed = worker.close()
    expect((await checkpoint).checkpointedFrames).toBeGreaterThan(0)
    await closed
    await expect(worker.checkpoint()).rejects.toBeInstanceOf(CheckpointWorkerError)
  })

  it('reports a factory that throws as CheckpointWorkerError naming the database', () => {
    const { path } = walDatabase(0)
    const error = (() => {
      try {
        start(path, () => {
          throw new Error('no threads here')
        })
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    expect(error).toBeInstanceOf(CheckpointWorkerError)
    expect((error as Error).message).toBe(`Checkpoint worker for ${path} failed: cannot start: no threads here`)
  })

  it('rejects the pending and every later checkpoint once the thread threw', async () => {
    const { path } = walDatabase(0)
    const worker = start(path, () => new Worker('throw new Error("cannot load the driver")', { eval: true }))
    const error = await worker.checkpoint().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(CheckpointWorkerError)
    expect((error as Error).message).toContain('cannot load the driver')
    await expect(worker.checkpoint()).rejects.toBe(error)
    await worker.close()
  })

  it('rejects when the thread exits without being asked to', async () => {
    const { path } = walDatabase(0)
    const worker = start(path, () => new Worker('process.exit(3)', { eval: true }))
    await expect(worker.checkpoint()).rejects.toThrow('exited with code 3')
  })
})
