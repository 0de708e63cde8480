// Micro-benchmark: how long each SqliteDocStore.append blocks the event loop, with checkpoints on
// the worker thread (default) and inline (SQLite's automatic checkpoint inside the commit).
//
//   cd packages/storage && node --import tsx bench/sqlite-append.ts [--appends 20000] [--docs 5]
//     [--rounds 3] [--out <file>]
//
// Each append stores two 40-byte updates and is awaited (real fsyncs). What is measured is the
// synchronous part of the call, the time nothing else could run on the event loop. The two modes
// alternate for `rounds` rounds, each in a fresh directory, so background load on a shared machine
// hits both alike; the summary pools the rounds. Prints it and writes JSON (default
// <repo>/bench-results/micro-sqlite-append.json).
import { mkdirSync, statSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SqliteDocStore, type CheckpointMode } from '../src/index'
import { makeTempDir, removeDir } from '../test/temp-dir'
import { argument } from './cli'

const appends = Number(argument('appends', '20000'))
const docs = Number(argument('docs', '5'))
const rounds = Number(argument('rounds', '3'))
const outFile = argument('out', fileURLToPath(new URL('../../../bench-results/micro-sqlite-append.json', import.meta.url)))
const UPDATE_BYTES = 40

function update(seed: number): Uint8Array {
  return new Uint8Array(UPDATE_BYTES).map((_, i) => (i * 31 + seed) & 0xff)
}

function round(value: number, digits = 3): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

function percentile(sorted: readonly number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] as number
}

function walBytes(path: string): number {
  try {
    return statSync(`${path}-wal`).size
  } catch {
    return 0
  }
}

/** One round: `appends` awaited appends to a fresh store; the event-loop time of each call. */
async function run(checkpoints: CheckpointMode) {
  const dir = makeTempDir('collab-sqlite-append-')
  let fellBack: string | null = null
  const store = SqliteDocStore.open({
    dataDir: join(dir, 'data'),
    checkpoints,
    onCheckpointFallback: (error) => (fellBack = error.message),
  })
  const blockedMs: number[] = []
  let maxWalBytes = 0
  const started = performance.now()
  try {
    for (let i = 0; i < appends; i++) {
      const callStarted = performance.now()
      const appended = store.append(`doc-${i % docs}`, [update(i), update(i + 1)])
      blockedMs.push(performance.now() - callStarted)
      await appended
      if (i % 100 === 0) maxWalBytes = Math.max(maxWalBytes, walBytes(store.path))
    }
  } finally {
    await store.close()
    removeDir(dir)
  }
  return { blockedMs, totalMs: performance.now() - started, maxWalBytes, fellBack }
}

type Round = Awaited<ReturnType<typeof run>>

function summarize(checkpoints: CheckpointMode, runs: Round[]) {
  const blockedMs = runs.flatMap((r) => r.blockedMs)
  const sorted = [...blockedMs].sort((a, b) => a - b)
  const over1Ms = (samples: number[]) => samples.filter((ms) => ms > 1).length
  return {
    checkpoints,
    appends: blockedMs.length,
    appendsPerSecond: Math.round(blockedMs.length / (runs.reduce((sum, r) => sum + r.totalMs, 0) / 1000)),
    blockedMs: {
      p50: round(percentile(sorted, 0.5)),
      p99: round(percentile(sorted, 0.99)),
      p999: round(percentile(sorted, 0.999)),
      max: round(sorted[sorted.length - 1] as number),
    },
    over1Ms: over1Ms(blockedMs),
    over1MsPerRound: runs.map((r) => over1Ms(r.blockedMs)),
    maxWalFileBytes: Math.max(...runs.map((r) => r.maxWalBytes)),
    fellBack: runs.find((r) => r.fellBack !== null)?.fellBack ?? null,
  }
}

const worker: Round[] = []
const inline: Round[] = []
for (let round = 0; round < rounds; round++) {
  worker.push(await run('worker'))
  inline.push(await run('inline'))
}
const result = {
  benchmark: 'micro-sqlite-append',
  date: new Date().toISOString(),
  environment: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cpuCount: cpus().length },
  workload:
    `${appends} appends of 2 × ${UPDATE_BYTES}-byte updates across ${docs} docs, each awaited (fsync), ` +
    `${rounds} alternating rounds per mode`,
  modes: [summarize('worker', worker), summarize('inline', inline)],
}
mkdirSync(dirname(outFile), { recursive: true })
writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n')
console.log(JSON.stringify(result, null, 2))
console.log(`written to ${outFile}`)
