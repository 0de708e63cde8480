// Durable SQLite commits without blocking the event loop. With `synchronous = FULL` every commit
// fsyncs the write-ahead log inside the (synchronous) better-sqlite3 call: 0.3 ms typically on a
// fast disk, 15–20 ms at p99 on a shared VM, and all that time the relay fans nothing out. The
// store therefore commits with `synchronous = NORMAL` (SQLite writes the WAL frames, the commit is
// safe from a process crash at once) and makes it safe from power loss by fsyncing the WAL file on
// libuv's thread pool before the write resolves: the same guarantee FULL gives, off the loop.
// Checkpoints, which copy WAL frames into the database file, run off the loop too, on a worker
// thread's own connection (wal-checkpointer.ts; inline on the store's connection only as a
// fallback). Every checkpointing connection uses NORMAL, which syncs the WAL before and the
// database after each checkpoint, so frames are durable in the database file before a
// restarted WAL overwrites them.
import { open, type FileHandle } from 'node:fs/promises'

/** Flushes a file's data to stable storage. */
export type SyncFile = (path: string) => Promise<void>

/** fsync through a fresh descriptor: fsync covers the inode, whichever descriptor wrote it. */
export async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * fdatasync of one file through a descriptor held open between calls: one round trip to the
 * thread pool per sync instead of three (open, fsync, close), which is most of what a sync costs
 * an otherwise idle relay (~0.7 against ~0.35 ms of CPU on a shared VM, where every wake-up of a
 * thread is slow). fdatasync suffices for a log that only its data and size make meaningful; it
 * is what SQLite itself uses for the WAL on Linux.
 *
 * The descriptor stays valid because SQLite deletes (and later recreates) a WAL file only when the
 * last connection to the database closes, and the store's connection outlives this object; a
 * checkpoint truncates or rewrites the same file. A failed sync drops the descriptor, so the next
 * call opens a new one.
 */
export class HeldFileSync {
  private handle: Promise<FileHandle> | null = null
  private closed = false

  constructor(private readonly path: string) {}

  async sync(): Promise<void> {
    if (this.closed) return fsyncFile(this.path)
    const opening = (this.handle ??= open(this.path, 'r'))
    let handle: FileHandle
    try {
      handle = await opening
    } catch (error) {
      if (this.handle === opening) this.handle = null
      throw error
    }
    try {
      await handle.datasync()
    } catch (error) {
      if (this.handle === opening) this.handle = null
      await handle.close().catch(noop)
      throw error
    }
  }

  /** Closes the descriptor once its running sync finished; later syncs use a fresh one each. */
  async close(): Promise<void> {
    this.closed = true
    const opening = this.handle
    this.handle = null
    if (opening !== null) await (await opening.catch(() => null))?.close().catch(noop)
  }
}

function isMissingFile(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT'
}

/**
 * Group fsync of one database's WAL: every caller of {@link durable} gets a promise that resolves
 * once everything written before its call is on stable storage. One fsync runs at a time; callers
 * arriving meanwhile share the next one (their writes may postdate the running one's start).
 */
export class WalSync {
  private running: Promise<void> | null = null
  private queued: Promise<void> | null = null
  private readonly log: HeldFileSync | null
  private readonly syncFile: SyncFile

  constructor(
    /** The database file; its log is `<databasePath>-wal`. */
    private readonly databasePath: string,
    /** Replaces the default (the log through a {@link HeldFileSync}, anything else fresh). */
    syncFile?: SyncFile,
  ) {
    if (syncFile !== undefined) {
      this.log = null
      this.syncFile = syncFile
      return
    }
    const logPath = `${databasePath}-wal`
    const log = new HeldFileSync(logPath)
    this.log = log
    this.syncFile = (path) => (path === logPath ? log.sync() : fsyncFile(path))
  }

  /** Closes the held descriptor once the running and queued syncs finished. */
  async close(): Promise<void> {
    await this.running?.catch(noop)
    await this.queued?.catch(noop)
    await this.log?.close()
  }

  durable(): Promise<void> {
    if (this.running === null) return this.start()
    this.queued ??= this.running.then(noop, noop).then(() => {
      this.queued = null
      return this.start()
    })
    return this.queued
  }

  private start(): Promise<void> {
    const sync = this.syncLog().finally(() => {
      if (this.running === sync) this.running = null
    })
    this.running = sync
    return sync
  }

  private async syncLog(): Promise<void> {
    try {
      await this.syncFile(`${this.databasePath}-wal`)
    } catch (error) {
      // No log file: the last connection's close checkpointed everything into the database.
      if (!isMissingFile(error)) throw error
      await this.syncFile(this.databasePath)
    }
  }
}

function noop(): void {}
