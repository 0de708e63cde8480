// Raw results: one JSON per run (bench-results/run-<time>.json) and the latest result of each
// scenario (latest-s<id>.json), from which BENCHMARKS.md is rendered.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BENCHMARKS_MD, RESULTS_DIR } from '../paths'
import { renderBenchmarks, type StoredScenario } from './markdown'
import { SCENARIO_IDS } from '../config/bench-config'

export function writeRun(runFile: string, content: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const path = join(RESULTS_DIR, runFile)
  writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`)
  return path
}

export function storeLatest(scenario: StoredScenario): void {
  mkdirSync(RESULTS_DIR, { recursive: true })
  writeFileSync(join(RESULTS_DIR, `latest-s${scenario.report.id}.json`), `${JSON.stringify(scenario, null, 2)}\n`)
}

export function loadLatest(): StoredScenario[] {
  return SCENARIO_IDS.map((id) => join(RESULTS_DIR, `latest-s${id}.json`))
    .filter((path) => existsSync(path))
    .map((path) => JSON.parse(readFileSync(path, 'utf8')) as StoredScenario)
}

export function writeBenchmarksMd(intro: string[]): string {
  writeFileSync(BENCHMARKS_MD, renderBenchmarks(loadLatest(), intro))
  return BENCHMARKS_MD
}
