// Relay-level fuzz: seeded sessions of simulated y-websocket clients editing through
// fault-injecting proxies while the relay is killed and restarted; every session must converge
// (state vectors, delete sets, content), keep every marker exactly once, and reload from storage.
//
//   FUZZ_SEED=<n> (or SEED=<n>)   run exactly that seed
//   FUZZ_SEEDS=<k>                run k fresh random seeds (default 6) besides the pinned ones
//   FUZZ_SOAK_MINUTES=<m>         soak instead: sessions back to back on one relay for m minutes
//   FUZZ_VERBOSE=1                a JSON line per seed
//   FUZZ_KEEP_REPORTS=1           report files (trace, relay output) for passing seeds too
import { afterAll, describe, expect, it } from 'vitest'
import { CI_SETTINGS } from './plan'
import { freshSeed, parseSeed } from './random'
import { runSession } from './session'
import { MEMORY_RULE, runSoak } from './soak'
import { TotalsCollector, writeResultsJson } from './totals'

/**
 * Seeds that once failed (or guard a fixed bug); always run. Add a line per seed with what it
 * found.
 */
const REGRESSION_SEEDS: ReadonlyArray<{ seed: number; found: string }> = [
  {
    seed: 1806388419,
    found:
      'relay restarted (after SIGKILL) on a half-edited upgrade-guard.ts: every WebSocket upgrade threw ' +
      "TypeError reading 'allows' (HTTP 500), no client could reconnect. Passes on the finished file; " +
      'FLUSH_INTERVAL_MS 1000, ROOM_UNLOAD_DELAY_MS 0, 3 SIGKILLs + 1 SIGTERM.',
  },
]

const DEFAULT_FRESH_SEEDS = 6

function envSeed(name: string): number | undefined {
  const raw = process.env[name]
  return raw === undefined || raw === '' ? undefined : parseSeed(name, raw)
}

function envCount(name: string): number | undefined {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return undefined
  const count = /^\s*\d+\s*$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(count)) throw new Error(`${name}=${JSON.stringify(raw)} is not a whole number`)
  return count
}

function seedsToRun(): Array<{ seed: number; pinned: boolean }> {
  const single = process.env['FUZZ_SEED'] ?? process.env['SEED']
  if (single !== undefined && single !== '') return [{ seed: parseSeed('FUZZ_SEED', single), pinned: false }]
  const fresh = envCount('FUZZ_SEEDS') ?? DEFAULT_FRESH_SEEDS
  return [
    ...REGRESSION_SEEDS.map(({ seed }) => ({ seed, pinned: true })),
    ...Array.from({ length: fresh }, () => ({ seed: freshSeed(), pinned: false })),
  ]
}

const soakMinutes = Number(process.env['FUZZ_SOAK_MINUTES'] ?? 0)
const SESSION_TIMEOUT_MS = 180_000
/** FUZZ_VERBOSE=1: one JSON line per seed (FUZZ_KEEP_REPORTS=1: a report file for passing seeds too). */
const verbose = process.env['FUZZ_VERBOSE'] === '1'

describe.runIf(!(soakMinutes > 0))('relay fuzz', () => {
  const collector = new TotalsCollector()
  const startedMs = Date.now()

  afterAll(() => {
    const wallMs = Date.now() - startedMs
    writeResultsJson('fuzz-summary', { ...collector.totals, wallMs }, { settings: CI_SETTINGS })
    process.stdout.write(collector.line('relay fuzz', wallMs))
  })

  for (const { seed, pinned } of seedsToRun()) {
    it(`seed ${seed}${pinned ? ' (pinned regression)' : ''}: converges, keeps every marker, reloads from storage (FUZZ_SEED=${seed})`, { timeout: SESSION_TIMEOUT_MS }, async () => {
      const report = await runSession({ seed, settings: CI_SETTINGS, keepReport: process.env['FUZZ_KEEP_REPORTS'] === '1' })
      collector.add(report)
      if (verbose) process.stdout.write(`seed ${seed}: ${JSON.stringify({ ...report, problems: report.problems.length })}\n`)
      expect(report.problems, `FUZZ_SEED=${seed} failed; trace and relay output: ${report.reportFile}`).toEqual([])
    })
  }
})

describe.runIf(soakMinutes > 0)('relay fuzz soak', () => {
  it(`runs ${soakMinutes} minutes of sessions on one relay; converges every time; memory stays bounded`, { timeout: soakMinutes * 60_000 + 300_000 }, async () => {
    const firstSeed = envSeed('FUZZ_SEED') ?? envSeed('SEED') ?? freshSeed()
    const result = await runSoak(soakMinutes, firstSeed, (line) => process.stdout.write(line))
    const file = writeResultsJson(
      'fuzz-soak',
      {
        minutes: soakMinutes,
        firstSeed,
        ...result.totals,
        memoryProblems: result.memoryProblems.length,
        wallMs: result.wallMs,
      },
      { memoryRule: MEMORY_RULE, checkpoints: result.checkpoints, failureReports: result.failureReports, memoryProblems: result.memoryProblems },
    )
    process.stdout.write(`soak done: ${result.totals.seeds} sessions, ${result.totals.divergences} divergent, report ${file}\n`)
    expect(result.totals.failingSeeds, `soak sessions failed; reports: ${result.failureReports.join(', ')}`).toEqual([])
    expect(result.memoryProblems).toEqual([])
  })
})
