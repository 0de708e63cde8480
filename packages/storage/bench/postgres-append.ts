// Micro-benchmark: PostgresDocStore appends to many documents, as a relay's flush of many active
// rooms makes them: all in one tick (the store sends them as one statement per 100 documents)
// against one tick each (one statement each, side by side on the pool, as before batching).
//
//   cd packages/storage && node --import tsx bench/postgres-append.ts [--docs 1000] [--ticks 20]
//     [--rounds 3] [--out <file>]
//
// Starts its own PostgreSQL server (test/pg-server.ts: loopback, fsync=off, so the figures leave
// out the server's disk; with fsync on, every statement also waits for a WAL flush). Each tick
// appends one 40-byte update to each of `docs` documents and waits until all are stored. Measured
// per tick: wall time until every append resolved; per append: this process's CPU (user +
// system; the server's own CPU is not counted). The modes alternate for `rounds` rounds; the
// summary gives the median tick and the CPU pooled over the rounds. Prints it and writes JSON
// (default <repo>/bench-results/micro-postgres-append.json).
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PostgresDocStore } from '../src/index'
import { startPostgres } from '../test/pg-server'
import { argument } from './cli'

const docs = Number(argument('docs', '1000'))
const ticks = Number(argument('ticks', '20'))
const rounds = Number(argument('rounds', '3'))
const outFile = argument('out', fileURLToPath(new URL('../../../bench-results/micro-postgres-append.json', import.meta.url)))
const UPDATE_BYTES = 40
/** Unmeasured ticks first: connections opened, statements prepared, JIT warm. */
const WARM_UP_TICKS = 2

type Mode = 'one tick' | 'one tick each'

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

async function tick(store: PostgresDocStore, mode: Mode, seed: number): Promise<void> {
  const update = new Uint8Array(UPDATE_BYTES).fill(seed & 0xff)
  const appended: Promise<number>[] = []
  for (let index = 0; index < docs; index++) {
    if (mode === 'one tick each') await nextTurn()
    appended.push(store.append(`doc-${index}`, [update]))
  }
  await Promise.all(appended)
}

async function run(databaseUrl: string, mode: Mode, round: number) {
  const store = await PostgresDocStore.open({ databaseUrl, schema: `bench_${round}_${mode === 'one tick' ? 'batched' : 'spread'}` })
  try {
    for (let index = 0; index < WARM_UP_TICKS; index++) await tick(store, mode, index)
    const tickMs: number[] = []
    const cpuBefore = process.cpuUsage()
    for (let index = 0; index < ticks; index++) {
      const started = performance.now()
      await tick(store, mode, index)
      tickMs.push(performance.now() - started)
    }
    const cpu = process.cpuUsage(cpuBefore)
    const lastSeq = (await store.load('doc-0')).lastSeq
    if (lastSeq !== WARM_UP_TICKS + ticks) throw new Error(`doc-0 holds ${lastSeq} updates, expected ${WARM_UP_TICKS + ticks}`)
    return { tickMs, cpuMicros: cpu.user + cpu.system }
  } finally {
    await store.close()
  }
}

const server = await startPostgres()
try {
  const databaseUrl = await server.createDatabase('bench')
  const results = new Map<Mode, Awaited<ReturnType<typeof run>>[]>([
    ['one tick', []],
    ['one tick each', []],
  ])
  for (let round = 0; round < rounds; round++) {
    for (const [mode, runs] of results) runs.push(await run(databaseUrl, mode, round))
  }
  const summary = {
    benchmark: 'micro-postgres-append',
    date: new Date().toISOString(),
    environment: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cpuCount: cpus().length, postgres: 'loopback, fsync=off' },
    workload: `${ticks} ticks × ${docs} documents × one ${UPDATE_BYTES}-byte update, ${rounds} alternating rounds per mode`,
    modes: [...results].map(([mode, runs]) => ({
      mode,
      tickMsMedian: Math.round(median(runs.flatMap((r) => r.tickMs)) * 10) / 10,
      tickMsMedianPerRound: runs.map((r) => Math.round(median(r.tickMs) * 10) / 10),
      cpuMicrosPerAppend: Math.round((runs.reduce((sum, r) => sum + r.cpuMicros, 0) / (runs.length * ticks * docs)) * 10) / 10,
    })),
  }
  mkdirSync(dirname(outFile), { recursive: true })
  writeFileSync(outFile, JSON.stringify(summary, null, 2) + '\n')
  console.log(JSON.stringify(summary, null, 2))
  console.log(`written to ${outFile}`)
} finally {
  await server.close()
}
