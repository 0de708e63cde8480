// `pnpm bench`: runs the selected scenarios against every server, writes the raw JSON to
// bench-results/ and renders BENCHMARKS.md. Progress goes to stderr.
import { loadavg } from 'node:os'
import { BenchConfigError, loadBenchConfig, type ScenarioId } from './config/bench-config'
import { WorkerPool } from './load/worker-pool'
import { machineInfo } from './report/machine'
import { storeLatest, writeBenchmarksMd, writeRun } from './report/results'
import type { ScenarioReport } from './report/report-types'
import { LOAD_CPU, pinProcess } from './servers/affinity'
import { buildBenchServers } from './servers/build-servers'
import type { Scenario } from './scenarios/context'
import { typingScenario } from './scenarios/s1-typing'
import { saturationScenario } from './scenarios/s2-saturation'
import { memoryScenario } from './scenarios/s3-memory'
import { coldLoadScenario } from './scenarios/s4-cold-load'
import { awarenessScenario } from './scenarios/s5-awareness'
import { reconnectStormScenario } from './scenarios/s6-reconnect-storm'
import { browserScenario } from './scenarios/s7-browser'
import { progress } from './util/progress'
import { INTRO } from './report/intro'

const SCENARIOS: Record<ScenarioId, Scenario> = {
  1: typingScenario,
  2: saturationScenario,
  3: memoryScenario,
  4: coldLoadScenario,
  5: awarenessScenario,
  6: reconnectStormScenario,
  7: browserScenario,
}

async function main(): Promise<void> {
  let config
  try {
    config = loadBenchConfig()
  } catch (error) {
    if (error instanceof BenchConfigError) {
      process.stderr.write(`bench: ${error.message}\n`)
      process.exit(2)
    }
    throw error
  }
  pinProcess(process.pid, LOAD_CPU)
  await buildBenchServers()
  const machine = machineInfo()
  const startedAt = new Date()
  progress(`size ${config.size}; scenarios ${config.scenarios.join(',')}; servers ${config.servers.join(',')}; load average ${machine.loadAverageStart.toFixed(2)}`)
  const pool = WorkerPool.start(config.workers)
  const reports: ScenarioReport[] = []
  const runTag = startedAt.toISOString().replace(/[-:T.Z]/g, '').slice(2, 14)
  try {
    for (const id of config.scenarios) {
      const scenario = SCENARIOS[id]
      progress(`scenario ${id}: ${scenario.title}`)
      const report = await scenario.run({ config, size: config.size, pool, runTag })
      reports.push(report)
      storeLatest({ report, machine: { ...machine, loadAverageEnd: loadavg()[0]! }, size: config.size, finishedAt: new Date().toISOString() })
      progress(`scenario ${id}: done in ${report.wallSeconds.toFixed(0)} s`)
    }
  } finally {
    pool.stop()
  }
  machine.loadAverageEnd = loadavg()[0]!
  const wallSeconds = (Date.now() - startedAt.getTime()) / 1000
  const runFile = writeRun(`run-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`, { config, machine, startedAt, wallSeconds, reports })
  const md = writeBenchmarksMd(INTRO, config.size)
  progress(`wrote ${runFile} and ${md}; total ${wallSeconds.toFixed(0)} s`)
}

await main()
