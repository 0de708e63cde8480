// The fold thread against foldToSnapshot on the same records: a real worker thread, real Yjs.
import { Worker } from 'node:worker_threads'
import * as Y from 'yjs'
import { afterEach, describe, expect, it } from 'vitest'
import { foldToSnapshot } from './compaction'
import type { StoredDoc } from './doc-store'
import { CorruptRecordError, FoldWorkerError } from './errors'
import { FoldWorker, startFoldThread } from './fold-worker'

function storedText(parts: string[], withSnapshot: boolean): StoredDoc {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  const text = doc.getText('t')
  for (const part of parts) text.insert(text.length, part)
  text.delete(0, 1)
  if (!withSnapshot) return { snapshot: null, updates, lastSeq: updates.length }
  const snapshot = Y.mergeUpdates(updates.slice(0, 2))
  return { snapshot, updates: updates.slice(2), lastSeq: updates.length }
}

function textOf(update: Uint8Array): string {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, update)
  return doc.getText('t').toString()
}

let workers: FoldWorker[] = []
afterEach(async () => {
  await Promise.all(workers.map((worker) => worker.close()))
  workers = []
})

function open(...args: ConstructorParameters<typeof FoldWorker>): FoldWorker {
  const worker = new FoldWorker(...args)
  workers.push(worker)
  return worker
}

describe('FoldWorker', () => {
  it('folds to the same bytes as foldToSnapshot, with and without a snapshot', async () => {
    const worker = open()
    for (const withSnapshot of [false, true]) {
      const stored = storedText(['ab', 'cd', 'ef', 'gh'], withSnapshot)
      const expected = foldToSnapshot(stored, 'doc-a')
      const folded = await worker.fold(stored, 'doc-a')
      expect(Buffer.from(folded).equals(Buffer.from(expected))).toBe(true)
      expect(textOf(folded)).toBe('bcdefgh')
    }
    // The records the caller passed are untouched (the thread got a copy).
    const stored = storedText(['xy'], false)
    const before = stored.updates.map((update) => Buffer.from(update).toString('hex'))
    await worker.fold(stored, 'doc-b')
    expect(stored.updates.map((update) => Buffer.from(update).toString('hex'))).toEqual(before)
  })

  it('names a corrupt record like foldToSnapshot, and the thread keeps working', async () => {
    const worker = open()
    const good = storedText(['ab', 'cd'], false)
    const bad: StoredDoc = { snapshot: null, updates: [good.updates[0] as Uint8Array, Uint8Array.of(0xff, 0xff, 0xff)], lastSeq: 2 }
    const error = await worker.fold(bad, 'doc-c').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(CorruptRecordError)
    expect((error as Error).message).toContain('"doc-c"')
    expect((error as Error).message).toContain('log entry 1 of 2 (3 bytes)')
    expect(textOf(await worker.fold(good, 'doc-c'))).toBe('bcd')
  })

  it('stops its thread when idle and starts one again for the next fold', async () => {
    const worker = open({ idleMs: 20 })
    expect(worker.running).toBe(false)
    await worker.fold(storedText(['a'], false), 'doc-d')
    expect(worker.running).toBe(true)
    await expect.poll(() => worker.running, { timeout: 5_000 }).toBe(false)
    expect(textOf(await worker.fold(storedText(['ab'], false), 'doc-d'))).toBe('b')
  })

  it('fails the folds of a thread that dies with FoldWorkerError, then starts a new one', async () => {
    let started = 0
    const worker = open({
      startThread: (yjsPath) => {
        started += 1
        // The first thread exits without answering.
        return started === 1 ? new Worker('process.exit(7)', { eval: true, execArgv: [] }) : startFoldThread(yjsPath)
      },
    })
    const error = await worker.fold(storedText(['ab'], false), 'doc-e').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(FoldWorkerError)
    expect((error as Error).message).toContain('exited with code 7')
    expect(textOf(await worker.fold(storedText(['ab'], false), 'doc-e'))).toBe('b')
    expect(started).toBe(2)
  })

  it('refuses folds once closed', async () => {
    const worker = open()
    await worker.fold(storedText(['ab'], false), 'doc-f')
    await worker.close()
    await expect(worker.fold(storedText(['ab'], false), 'doc-f')).rejects.toThrow(FoldWorkerError)
    expect(worker.running).toBe(false)
  })
})
