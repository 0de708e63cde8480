// Soak: fuzz sessions back to back against ONE long-lived relay for a given time. Each session
// heals and must converge (the periodic check); after each one the relay's memory is sampled
// after two forced full GCs, and must not keep growing.
import { readFileSync } from 'node:fs'
import { InspectorSession } from '../../bench/inspector'
import { RelayProcess } from '../process/relay-process'
import { sleep } from '../process/wait'
import { CI_SETTINGS, type SessionSettings } from './plan'
import { runSession } from './session'
import { TotalsCollector, type FuzzTotals } from './totals'

/**
 * The memory rule. A leak of per-room or per-connection state (every session opens a new room
 * and hundreds of connections) raises the live heap after a full GC a little per session, so:
 * - heap used after GC may not exceed the first checkpoint's by more than `maxHeapGrowthBytes`;
 * - RSS is noisy (allocator and SQLite caches, fragmentation), so only its floor counts: the
 *   lowest of the last `rssWindow` checkpoints may not exceed the first by `maxRssGrowthBytes`.
 * The first checkpoint is the baseline because by then JIT, SQLite and module caches are warm.
 */
export const MEMORY_RULE = {
  maxHeapGrowthBytes: 32 * 1_048_576,
  maxRssGrowthBytes: 96 * 1_048_576,
  rssWindow: 3,
} as const

/** The relay in a soak stays up: kills would reset the memory being watched. */
export const SOAK_SETTINGS: SessionSettings = { ...CI_SETTINGS, maxSigkills: 0, maxSigterms: 0 }
const SOAK_RELAY_ENV = { LOG_LEVEL: 'warn', ROOM_UNLOAD_DELAY_MS: '200', COMPACT_MAX_LOG_ENTRIES: '64', FLUSH_INTERVAL_MS: '50' }

export interface Checkpoint {
  index: number
  seed: number
  elapsedS: number
  rssMiB: number
  heapUsedMiB: number
  convergeMs: number
  problems: number
}

export interface SoakResult {
  totals: FuzzTotals
  checkpoints: Checkpoint[]
  /** Problems of the memory rule and of the relay process itself. */
  memoryProblems: string[]
  failureReports: string[]
  wallMs: number
}

const mib = (bytes: number): number => Math.round((bytes / 1_048_576) * 10) / 10

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (match === null) throw new Error(`No VmRSS line in /proc/${pid}/status`)
  return Number(match[1]) * 1024
}

async function sampleMemory(pid: number, inspector: InspectorSession): Promise<{ rssBytes: number; heapUsedBytes: number }> {
  await inspector.collectGarbage()
  await sleep(200)
  await inspector.collectGarbage()
  const samples: number[] = []
  for (let i = 0; i < 5; i++) {
    samples.push(rssBytes(pid))
    await sleep(100)
  }
  samples.sort((a, b) => a - b)
  return { rssBytes: samples[2]!, heapUsedBytes: await inspector.heapUsedBytes() }
}

function checkMemory(checkpoints: Checkpoint[]): string[] {
  const [first] = checkpoints
  const last = checkpoints[checkpoints.length - 1]
  if (first === undefined || last === undefined || checkpoints.length < 2) return []
  const problems: string[] = []
  const heapGrowthMiB = last.heapUsedMiB - first.heapUsedMiB
  if (heapGrowthMiB > mib(MEMORY_RULE.maxHeapGrowthBytes)) {
    problems.push(`relay heap after GC grew ${heapGrowthMiB.toFixed(1)} MiB since checkpoint 1 (limit ${mib(MEMORY_RULE.maxHeapGrowthBytes)} MiB)`)
  }
  const window = checkpoints.slice(-MEMORY_RULE.rssWindow)
  if (window.length === MEMORY_RULE.rssWindow) {
    const floorMiB = Math.min(...window.map((c) => c.rssMiB))
    if (floorMiB - first.rssMiB > mib(MEMORY_RULE.maxRssGrowthBytes)) {
      problems.push(`relay RSS floor of the last ${MEMORY_RULE.rssWindow} checkpoints is ${(floorMiB - first.rssMiB).toFixed(1)} MiB above checkpoint 1 (limit ${mib(MEMORY_RULE.maxRssGrowthBytes)} MiB)`)
    }
  }
  return problems
}

export async function runSoak(minutes: number, firstSeed: number, onCheckpoint: (line: string) => void): Promise<SoakResult> {
  const startedMs = Date.now()
  const deadlineMs = startedMs + minutes * 60_000
  const totals = new TotalsCollector()
  const checkpoints: Checkpoint[] = []
  const failureReports: string[] = []
  let memoryProblems: string[] = []
  const relay = await RelayProcess.start({ env: SOAK_RELAY_ENV, nodeArgs: ['--inspect=127.0.0.1:0'] })
  const inspector = await InspectorSession.connect(relay)
  try {
    for (let index = 1; Date.now() < deadlineMs; index++) {
      const seed = (firstSeed + index - 1) >>> 0
      const report = await runSession({ seed, settings: SOAK_SETTINGS, sharedRelay: relay, relayEnv: SOAK_RELAY_ENV })
      totals.add(report)
      if (report.reportFile !== null) failureReports.push(report.reportFile)
      const pid = relay.pid
      if (pid === null) {
        memoryProblems.push(`relay process died during session ${index} (seed ${seed})`)
        break
      }
      const memory = await sampleMemory(pid, inspector)
      const checkpoint: Checkpoint = {
        index,
        seed,
        elapsedS: Math.round((Date.now() - startedMs) / 1000),
        rssMiB: mib(memory.rssBytes),
        heapUsedMiB: mib(memory.heapUsedBytes),
        convergeMs: report.convergeMs,
        problems: report.problems.length,
      }
      checkpoints.push(checkpoint)
      memoryProblems = checkMemory(checkpoints)
      onCheckpoint(
        `soak #${index} seed ${seed} t=${checkpoint.elapsedS}s: ${report.actions} actions, ${report.faults} faults, ` +
          `converged in ${report.convergeMs} ms, ${report.problems.length} problems, ` +
          `relay RSS ${checkpoint.rssMiB} MiB heap ${checkpoint.heapUsedMiB} MiB${memoryProblems.length > 0 ? ' MEMORY RULE BROKEN' : ''}\n`,
      )
    }
  } finally {
    inspector.close()
    await relay.dispose()
  }
  return { totals: totals.totals, checkpoints, memoryProblems, failureReports, wallMs: Date.now() - startedMs }
}
