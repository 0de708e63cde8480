// A thread that folds a document's stored snapshot and log into one snapshot (what
// foldToSnapshot does), so a compaction never stops the relay's event loop. Encoding a 1.4 MB
// document takes 50–80 ms, and under sustained writes a compaction came due every ~8,000 log
// entries: each one stalled every room of the relay for that long (bench scenario 2).
//
// The thread's program is a string evaluated by the Worker, like the checkpoint thread's: the
// relay's production build bundles this package into one dist/server.js, where no separate
// worker file would exist. Yjs stays in node_modules; the main thread resolves the path of its
// CommonJS build and the thread loads it from there (its own copy: nothing is shared).
//
// The records travel as one transferred buffer plus their lengths, not as thousands of small
// structured-clone copies. The thread starts with the first fold and stops after
// FOLD_THREAD_IDLE_MS without work, so an idle relay holds no thread; it keeps the process alive
// only while a fold is pending (a shutdown's last compaction finishes).
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { corruptRecordError, recordName, storedRecords } from './compaction'
import type { StoredDoc } from './doc-store'
import { FoldWorkerError } from './errors'

/** An idle fold thread stops after this long (it holds ~10 MiB of RSS while it lives). */
export const FOLD_THREAD_IDLE_MS = 30_000

interface FoldRequest {
  id: number
  docId: string
  bytes: Uint8Array
  lengths: number[]
}

type FoldReply = { id: number; snapshot: Uint8Array } | { id: number; failedAt: number; message: string }

// The same steps as foldToSnapshot (one transaction on a fresh, named, gc-on document; encode);
// a record Yjs refuses is reported by index, and the main thread names it.
const WORKER_SOURCE = `'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const Y = require(workerData.yjsPath)
parentPort.on('message', (request) => {
  const doc = new Y.Doc({ gc: true, guid: request.docId })
  let index = 0
  try {
    doc.transact(() => {
      let offset = 0
      for (; index < request.lengths.length; index++) {
        const end = offset + request.lengths[index]
        Y.applyUpdate(doc, request.bytes.subarray(offset, end))
        offset = end
      }
    })
    const snapshot = Y.encodeStateAsUpdate(doc)
    parentPort.postMessage({ id: request.id, snapshot }, [snapshot.buffer])
  } catch (error) {
    parentPort.postMessage({ id: request.id, failedAt: index, message: String(error && error.message || error) })
  } finally {
    doc.destroy()
  }
})
`

/** Creates the thread; tests inject failing ones. */
export type FoldThreadFactory = (yjsPath: string) => Worker

export const startFoldThread: FoldThreadFactory = (yjsPath) =>
  // No execArgv: the program is plain CommonJS; a TypeScript loader would only cost startup time.
  new Worker(WORKER_SOURCE, { eval: true, workerData: { yjsPath }, execArgv: [] })

export interface FoldWorkerOptions {
  /** Default {@link FOLD_THREAD_IDLE_MS}. */
  idleMs?: number
  /** Default {@link startFoldThread}. */
  startThread?: FoldThreadFactory
}

interface PendingFold {
  stored: StoredDoc
  docId: string
  resolve(snapshot: Uint8Array): void
  reject(error: Error): void
}

/** Folds stored documents on one worker thread, one request after another. */
export class FoldWorker {
  private thread: Worker | null = null
  private readonly pending = new Map<number, PendingFold>()
  private nextId = 1
  private idleTimer: ReturnType<typeof setTimeout> | null = null
  private closed = false
  private readonly idleMs: number
  private readonly startThread: FoldThreadFactory
  private readonly yjsPath = createRequire(import.meta.url).resolve('yjs')

  constructor(options: FoldWorkerOptions = {}) {
    this.idleMs = options.idleMs ?? FOLD_THREAD_IDLE_MS
    this.startThread = options.startThread ?? startFoldThread
  }

  /** Whether a thread is running right now. */
  get running(): boolean {
    return this.thread !== null
  }

  /**
   * The snapshot {@link foldToSnapshot} would return for `stored`, computed on the thread.
   * Rejects with `CorruptRecordError` (naming the record) like it, with `FoldWorkerError` when
   * the thread fails or the worker is closed.
   */
  fold = (stored: StoredDoc, docId: string): Promise<Uint8Array> => {
    if (this.closed) return Promise.reject(new FoldWorkerError(docId, 'the fold worker is closed'))
    const records = storedRecords(stored)
    const lengths = records.map((record) => record.byteLength)
    const bytes = new Uint8Array(lengths.reduce((sum, length) => sum + length, 0))
    let offset = 0
    for (const record of records) {
      bytes.set(record, offset)
      offset += record.byteLength
    }
    const id = this.nextId++
    const request: FoldRequest = { id, docId, bytes, lengths }
    return new Promise<Uint8Array>((resolve, reject) => {
      let thread: Worker
      try {
        thread = this.ensureThread()
      } catch (error) {
        reject(new FoldWorkerError(docId, `the thread did not start: ${String(error)}`, { cause: error }))
        return
      }
      this.pending.set(id, { stored, docId, resolve, reject })
      this.cancelIdle()
      thread.ref()
      thread.postMessage(request, [bytes.buffer])
    })
  }

  /** Fails pending folds and stops the thread; later folds reject. */
  async close(): Promise<void> {
    this.closed = true
    this.cancelIdle()
    const thread = this.thread
    this.thread = null
    this.failAll('the fold worker was closed')
    if (thread !== null) await thread.terminate()
  }

  private ensureThread(): Worker {
    if (this.thread !== null) return this.thread
    const thread = this.startThread(this.yjsPath)
    thread.unref()
    thread.on('message', (reply: FoldReply) => this.settle(reply))
    thread.on('error', (error) => this.lost(thread, `it failed: ${error.message}`, error))
    thread.on('exit', (code) => this.lost(thread, `it exited with code ${code}`))
    this.thread = thread
    return thread
  }

  private settle(reply: FoldReply): void {
    const fold = this.pending.get(reply.id)
    if (fold === undefined) return
    this.pending.delete(reply.id)
    if ('snapshot' in reply) {
      fold.resolve(reply.snapshot)
    } else {
      const record = storedRecords(fold.stored)[reply.failedAt] ?? new Uint8Array()
      fold.reject(corruptRecordError(fold.docId, recordName(fold.stored, reply.failedAt), record, reply.message))
    }
    if (this.pending.size === 0) {
      this.thread?.unref()
      this.scheduleIdle()
    }
  }

  /** The thread died: its folds fail; the next fold starts a new one. */
  private lost(thread: Worker, detail: string, cause?: unknown): void {
    if (this.thread !== thread) return
    this.thread = null
    this.cancelIdle()
    this.failAll(detail, cause)
  }

  private failAll(detail: string, cause?: unknown): void {
    for (const fold of this.pending.values()) fold.reject(new FoldWorkerError(fold.docId, detail, { cause }))
    this.pending.clear()
  }

  private scheduleIdle(): void {
    this.cancelIdle()
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null
      const thread = this.thread
      if (thread === null || this.pending.size > 0) return
      this.thread = null
      void thread.terminate()
    }, this.idleMs)
    this.idleTimer.unref()
  }

  private cancelIdle(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer)
    this.idleTimer = null
  }
}
