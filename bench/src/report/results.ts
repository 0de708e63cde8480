// Raw results: one JSON per run (bench-results/run-<time>.json) and the latest result of each
// scenario (latest-s<id>.json), from which BENCHMARKS.md is rendered. Smoke runs (BENCH_SIZE=small)
// keep their own latest files and report in bench-results/, so they never replace the committed
// figures.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BENCHMARKS_MD, RESULTS_DIR } from '../paths'
import { renderBenchmarks, type StoredScenario } from './markdown'
import { SCENARIO_IDS, type SizeName } from '../config/bench-config'

/** Where the report of runs of this size goes: BENCHMARKS.md, or bench-results/ for smoke runs. */
export function benchmarksMdPath(size: SizeName): string {
  return size === 'small' ? join(RESULTS_DIR, 'BENCHMARKS-small.md') : BENCHMARKS_MD
}

function latestPath(size: SizeName, id: number): string {
  return join(RESULTS_DIR, size === 'small' ? `latest-small-s${id}.json` : `latest-s${id}.json`)
}

export function writeRun(runFile: string, content: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, runFile)
  writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`)
  return path
}

export function storeLatest(scenario: StoredScenario & { size: SizeName }): void {
  mkdirSync(RESULTS_DIR, { recursive: true })
  writeFileSync(latestPath(scenario.size, scenario.report.id), `${JSON.stringify(scenario, null, 2)}\n`)
}

export function loadLatest(size: SizeName): StoredScenario[] {
  return SCENARIO_IDS.map((id) => latestPath(size, id))
    .filter((path) => existsSync(path))
    .map((path) => JSON.parse(readFileSync(path, 'utf8')) as StoredScenario)
}

/** Renders the latest result of every scenario run at `size` (default and large share one report). */
export function writeBenchmarksMd(intro: string[], size: SizeName): string {
  const path = benchmarksMdPath(size)
  writeFileSync(path, renderBenchmarks(loadLatest(size), intro))
  return path
}
