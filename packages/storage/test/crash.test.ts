// kill -9 during a burst of appends: every append that resolved is stored, in order, intact.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, expect, it } from 'vitest'
import { SqliteDocStore } from '../src/index'
import { plain } from './contract-helpers'
import { CRASH_BATCH, CRASH_DOC_ID, crashUpdate } from './crash-data'
import { makeTempDir, removeDir } from './temp-dir'

const CHILD = fileURLToPath(new URL('./fixtures/append-until-killed.ts', import.meta.url))
const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url))
const ACKS_BEFORE_KILL = 40
const DEADLINE_MS = 30_000

let dir: string | undefined

afterEach(() => {
  if (dir !== undefined) removeDir(dir)
  dir = undefined
})

it('keeps every acknowledged append after SIGKILL, and the database passes integrity_check', async () => {
  dir = makeTempDir()
  const dataDir = dir
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))

  let lastAcked = 0
  let acks = 0
  let buffered = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child acknowledged only ${acks} appends; stderr: ${stderr}`)), DEADLINE_MS)
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const lines = buffered.split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) {
        lastAcked = Number(line)
        acks++
      }
      if (acks >= ACKS_BEFORE_KILL) {
        clearTimeout(timer)
        // Mid-burst: the child is writing its next batch right now.
        child.kill('SIGKILL')
        resolve()
      }
    })
    child.on('exit', () => {
      clearTimeout(timer)
      if (acks < ACKS_BEFORE_KILL) reject(new Error(`child exited early; stderr: ${stderr}`))
    })
  })
  expect(await exited).toBe('SIGKILL')

  const store = SqliteDocStore.open({ dataDir })
  try {
    expect(await store.integrityCheck()).toBe('ok')
    const loaded = await store.load(CRASH_DOC_ID)
    expect(loaded.lastSeq).toBeGreaterThanOrEqual(lastAcked)
    // Whole batches only: a transaction is stored completely or not at all.
    expect(loaded.lastSeq % CRASH_BATCH).toBe(0)
    expect(loaded.updates).toHaveLength(loaded.lastSeq)
    const expected = Array.from({ length: loaded.lastSeq }, (_, index) => crashUpdate(index + 1))
    expect(plain(loaded.updates)).toEqual(plain(expected))
  } finally {
    await store.close()
  }
})
