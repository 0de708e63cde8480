// A thread with its own connection to a SQLite database that runs `PRAGMA wal_checkpoint(PASSIVE)`
// when asked, so the fsyncs of a checkpoint (the WAL, then the database file) never block the
// relay's event loop. PASSIVE never waits for, nor blocks, the writer on the main thread.
//
// The thread's program is a string evaluated by the Worker, not a file: the relay's production
// build bundles this package into one dist/server.js, where no separate worker file would exist.
// better-sqlite3 stays in node_modules (the bundle leaves it external), so the main thread
// resolves its absolute path and the thread loads it from there.
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import { CheckpointWorkerError } from './errors'

/** What a checkpoint thread needs to open its connection. */
export interface CheckpointWorkerConfig {
  /** The database file (its WAL is `<databasePath>-wal`). */
  databasePath: string
  /** Absolute path of the better-sqlite3 entry point, resolved on the main thread. */
  driverPath: string
  /** `PRAGMA busy_timeout` of the thread's connection. */
  busyTimeoutMs: number
}

/** Creates the thread; tests inject failing or counting factories. */
export type CheckpointWorkerFactory = (config: CheckpointWorkerConfig) => Worker

/** What one `PRAGMA wal_checkpoint(PASSIVE)` reported. */
export interface CheckpointResult {
  /** Frames in the WAL when the checkpoint ran, counted from its last restart. */
  walFrames: number
  /** How many of those are now in the database file. */
  checkpointedFrames: number
}

// Requests are the strings 'checkpoint' and 'close'; the answer to 'checkpoint' is the pragma's
// row `{ busy, log, checkpointed }`. A failure is left uncaught: it ends the thread, which
// closes its connection, and reaches the main thread as the Worker's 'error' event.
// synchronous = NORMAL makes the checkpoint sync the WAL before copying frames and the
// database after (OFF would sync neither; see wal-sync.ts).
const WORKER_SOURCE = `'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driverPath)
const db = new Database(workerData.databasePath, { fileMustExist: true })
db.pragma('busy_timeout = ' + Number(workerData.busyTimeoutMs))
db.pragma('synchronous = NORMAL')
parentPort.on('message', (request) => {
  if (request === 'close') {
    db.close()
    parentPort.close()
  } else {
    parentPort.postMessage(db.pragma('wal_checkpoint(PASSIVE)')[0])
  }
})
`

/** The default {@link CheckpointWorkerFactory}: a thread running the program above. */
export const startCheckpointWorker: CheckpointWorkerFactory = (config) =>
  // No execArgv: the program is plain CommonJS, and inheriting a TypeScript loader (`--import
  // tsx`) would cost the thread its startup time and memory for nothing.
  new Worker(WORKER_SOURCE, { eval: true, workerData: config, execArgv: [] })

interface CheckpointRow {
  log: number
  checkpointed: number
}

function isCheckpointRow(value: unknown): value is CheckpointRow {
  if (typeof value !== 'object' || value === null) return false
  const row = value as Partial<CheckpointRow>
  return typeof row.log === 'number' && typeof row.checkpointed === 'number'
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

interface PendingCheckpoint {
  resolve(result: CheckpointResult): void
  reject(error: CheckpointWorkerError): void
}

/**
 * One checkpoint thread, seen from the main thread. It never keeps the process alive while idle;
 * once it failed or exited, every call rejects with the same {@link CheckpointWorkerError}.
 */
export class CheckpointWorker {
  private pending: PendingCheckpoint | null = null
  private failure: CheckpointWorkerError | null = null
  private closing = false
  private readonly exited: Promise<void>

  private constructor(
    private readonly worker: Worker,
    private readonly databasePath: string,
  ) {
    worker.unref()
    worker.on('message', (message: unknown) => this.answer(message))
    worker.on('error', (error: Error) => this.fail(`threw: ${describeError(error)}`, error))
    worker.on('messageerror', (error: Error) => this.fail('sent an unreadable message', error))
    this.exited = new Promise((resolve) => {
      worker.once('exit', (code: number) => {
        this.fail(this.closing ? 'is closed' : `exited with code ${code}`)
        resolve()
      })
    })
  }

  /** Starts a thread for the database at `databasePath`; throws CheckpointWorkerError if it cannot. */
  static start(
    options: { databasePath: string; busyTimeoutMs: number },
    factory: CheckpointWorkerFactory = startCheckpointWorker,
  ): CheckpointWorker {
    try {
      const driverPath = createRequire(import.meta.url).resolve('better-sqlite3')
      const config = { databasePath: options.databasePath, busyTimeoutMs: options.busyTimeoutMs, driverPath }
      return new CheckpointWorker(factory(config), options.databasePath)
    } catch (error) {
      throw new CheckpointWorkerError(options.databasePath, `cannot start: ${describeError(error)}`, { cause: error })
    }
  }

  /** Runs one PASSIVE checkpoint on the thread. Only one may be pending at a time. */
  checkpoint(): Promise<CheckpointResult> {
    if (this.failure !== null) return Promise.reject(this.failure)
    if (this.pending !== null) throw new Error(`A checkpoint of ${this.databasePath} is already running`)
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject }
      this.worker.postMessage('checkpoint')
    })
  }

  /**
   * Lets a running checkpoint finish, closes the thread's connection and resolves once the
   * thread has exited. Never rejects; safe to call again.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = true
      // Until it has exited, the thread must keep the process alive: a script ending in
      // `await store.close()` would otherwise exit before this promise resolves.
      this.worker.ref()
      this.worker.postMessage('close')
    }
    return this.exited
  }

  private answer(message: unknown): void {
    const pending = this.pending
    if (pending === null) return this.fail('answered a checkpoint nobody asked for')
    if (!isCheckpointRow(message)) return this.fail(`answered with ${typeof message}, not a checkpoint row`)
    this.pending = null
    pending.resolve({ walFrames: message.log, checkpointedFrames: message.checkpointed })
  }

  private fail(detail: string, cause?: unknown): void {
    this.failure ??= new CheckpointWorkerError(this.databasePath, detail, cause === undefined ? undefined : { cause })
    const pending = this.pending
    this.pending = null
    pending?.reject(this.failure)
    // A thread that misbehaves but still runs would hold its connection open.
    if (!this.closing) void this.worker.terminate()
  }
}
