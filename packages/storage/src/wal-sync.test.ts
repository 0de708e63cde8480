import { readdirSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { heldSyncs } from '../test/held-syncs'
import { makeTempDir, removeDir } from '../test/temp-dir'
import { HeldFileSync, WalSync } from './wal-sync'

/** Lets every pending promise callback run. */
function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function track(promise: Promise<void>): { done: boolean; error: unknown } {
  const state = { done: false, error: undefined as unknown }
  promise.then(
    () => (state.done = true),
    (error: unknown) => {
      state.done = true
      state.error = error
    },
  )
  return state
}

describe('WalSync', () => {
  it('fsyncs the database log and resolves only when that fsync finished', async () => {
    const { calls, syncFile } = heldSyncs()
    const sync = new WalSync('/data/docs.sqlite', syncFile)
    const first = track(sync.durable())
    await flush()
    expect(calls.map((call) => call.path)).toEqual(['/data/docs.sqlite-wal'])
    expect(first.done).toBe(false)
    calls[0]!.finish()
    await flush()
    expect(first).toEqual({ done: true, error: undefined })
  })

  it('makes callers that arrive during an fsync wait for one more, which they share', async () => {
    const { calls, syncFile } = heldSyncs()
    const sync = new WalSync('/db', syncFile)
    const early = track(sync.durable())
    const late = [track(sync.durable()), track(sync.durable()), track(sync.durable())]
    await flush()
    expect(calls).toHaveLength(1)
    calls[0]!.finish()
    await flush()
    // The running fsync may have started before the late callers wrote: it does not cover them.
    expect(early.done).toBe(true)
    expect(late.map((state) => state.done)).toEqual([false, false, false])
    expect(calls).toHaveLength(2)
    calls[1]!.finish()
    await flush()
    expect(late.map((state) => state.done)).toEqual([true, true, true])
    expect(calls).toHaveLength(2)
  })

  it('syncs the database file when there is no log file (everything was checkpointed)', async () => {
    const paths: string[] = []
    const sync = new WalSync('/db', async (path) => {
      paths.push(path)
      if (path.endsWith('-wal')) throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' })
    })
    await sync.durable()
    expect(paths).toEqual(['/db-wal', '/db'])
  })

  it('rejects the callers of a failed fsync, and the next caller gets a fresh one', async () => {
    const { calls, syncFile } = heldSyncs()
    const sync = new WalSync('/db', syncFile)
    const failed = track(sync.durable())
    await flush()
    calls[0]!.finish(Object.assign(new Error('EIO'), { code: 'EIO' }))
    await flush()
    expect((failed.error as { code?: string }).code).toBe('EIO')
    const next = track(sync.durable())
    await flush()
    expect(calls).toHaveLength(2)
    calls[1]!.finish()
    await flush()
    expect(next).toEqual({ done: true, error: undefined })
  })
})

describe('HeldFileSync', () => {
  const dirs: string[] = []
  afterEach(() => dirs.splice(0).forEach(removeDir))

  function tempFile(name = 'docs.sqlite-wal'): string {
    const dir = makeTempDir()
    dirs.push(dir)
    const path = join(dir, name)
    writeFileSync(path, 'frames')
    return path
  }

  const openDescriptors = () => readdirSync('/proc/self/fd').length

  it('keeps one descriptor across syncs, so a sync needs no open', async () => {
    const path = tempFile()
    const before = openDescriptors()
    const file = new HeldFileSync(path)
    await file.sync()
    await file.sync()
    expect(openDescriptors()).toBe(before + 1)
    // A fresh descriptor per sync would fail now; the held one still reaches the file.
    unlinkSync(path)
    await expect(file.sync()).resolves.toBeUndefined()
    await file.close()
    expect(openDescriptors()).toBe(before)
  })

  it('rejects while the file is missing and opens it once it exists', async () => {
    const path = tempFile()
    unlinkSync(path)
    const file = new HeldFileSync(path)
    await expect(file.sync()).rejects.toMatchObject({ code: 'ENOENT' })
    writeFileSync(path, 'frames')
    await expect(file.sync()).resolves.toBeUndefined()
    await file.close()
  })

  it('drops its descriptor when a sync fails, so the next sync opens a new one', async () => {
    const before = openDescriptors()
    // Character devices refuse fdatasync (EINVAL): a sync that fails after the open succeeded.
    const file = new HeldFileSync('/dev/null')
    await expect(file.sync()).rejects.toMatchObject({ code: 'EINVAL' })
    expect(openDescriptors()).toBe(before)
    await expect(file.sync()).rejects.toMatchObject({ code: 'EINVAL' })
    expect(openDescriptors()).toBe(before)
    await file.close()
  })

  it('after close, syncs through a fresh descriptor each time and holds none', async () => {
    const path = tempFile()
    const before = openDescriptors()
    const file = new HeldFileSync(path)
    await file.sync()
    await file.close()
    await file.sync()
    expect(openDescriptors()).toBe(before)
    unlinkSync(path)
    await expect(file.sync()).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('is what WalSync uses for the log by default; the database file falls back to a fresh fsync', async () => {
    const log = tempFile()
    const database = log.slice(0, -'-wal'.length)
    writeFileSync(database, 'pages')
    const sync = new WalSync(database)
    await sync.durable()
    unlinkSync(log)
    await expect(sync.durable()).resolves.toBeUndefined()
    await sync.close()
    // Closed: the log is gone, so the database file is synced instead.
    await expect(sync.durable()).resolves.toBeUndefined()
    unlinkSync(database)
    await expect(sync.durable()).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
