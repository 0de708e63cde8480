// The run report: one JSON file per seed under test-results/, merged into chaos-report.json, and
// one summary line.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { DuplicateMarker } from './markers'
import type { LossCause, ObservedEvent } from './ledger'

export interface ActionTally {
  done: Record<string, number>
  skipped: Record<string, number>
  refused: Record<string, number>
}

export interface LostMarker {
  marker: string
  cause: LossCause
  /** Every count change any page saw for it, first ones first. */
  history: ObservedEvent[]
}

export interface ReportedDuplicate extends DuplicateMarker {
  history: ObservedEvent[]
}

export interface ChaosReport {
  seed: number
  startedAt: string
  result: 'pass' | 'fail'
  failures: string[]
  target: string
  pages: number
  actionsPerPage: number
  actions: ActionTally & { total: number }
  faults: { planned: Record<string, number>; executed: Record<string, number>; skipped: Record<string, number> }
  markers: {
    typed: number
    retractedByOwnUndo: number
    expected: number
    /** expected markers × documents checked (every page and the fresh page). */
    checked: number
    lost: LostMarker[]
    splitDuplicates: ReportedDuplicate[]
    undoRestoreDuplicates: ReportedDuplicate[]
    unexplainedDuplicates: ReportedDuplicate[]
  }
  guardRefusals: number
  /** From "every fault healed" (all pages online, relay up) to identical documents and state vectors. */
  convergeMs: number | null
  totalMs: number
  reproduce: string
  notes: string[]
  timeline: string[]
  /** Every action and fault step of every page, in the order they finished. */
  actionLog: string[]
}

function tally(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b))
  return entries.length === 0 ? 'none' : entries.map(([kind, count]) => `${kind} ${count}`).join(', ')
}

function countBy(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1
  return counts
}

function describeLosses(lost: readonly LostMarker[]): string {
  if (lost.length === 0) return ''
  return ` (${tally(countBy(lost.map((marker) => marker.cause)))})`
}

/** The one summary line of a run. */
export function summaryLine(report: ChaosReport): string {
  const seconds = (ms: number | null): string => (ms === null ? '–' : `${(ms / 1000).toFixed(1)}s`)
  const { markers } = report
  const verdict = report.result.toUpperCase()
  return (
    `chaos seed=${report.seed} ${verdict}: ${report.pages} pages, ${report.actions.total} actions, ` +
    `faults [${tally(report.faults.executed)}], markers ${markers.expected} expected × checked ${markers.checked}, ` +
    `lost ${markers.lost.length}${describeLosses(markers.lost)}, splitDuplicates ${markers.splitDuplicates.length}, ` +
    `undoRestoreDuplicates ${markers.undoRestoreDuplicates.length}, unexplained duplicates ${markers.unexplainedDuplicates.length}, ` +
    `converged in ${seconds(report.convergeMs)}, took ${seconds(report.totalMs)}` +
    (report.failures.length > 0 ? ` — ${report.failures.length} failure(s); reproduce: ${report.reproduce}` : '')
  )
}

/**
 * Writes `chaos-report-<seed>.json` into `dir` and rebuilds `chaos-report.json` from every
 * per-seed file there (workers may finish seeds in any order; the rename keeps readers from
 * seeing half a file).
 */
export function writeReport(dir: string, report: ChaosReport): string {
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, `chaos-report-${report.seed}.json`), `${JSON.stringify(report, null, 2)}\n`)
  const runs = readdirSync(dir)
    .filter((name) => /^chaos-report-\d+\.json$/.test(name))
    .map((name) => JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as ChaosReport)
  const combined = path.join(dir, 'chaos-report.json')
  const temporary = `${combined}.${process.pid}.tmp`
  const summary = {
    runs: runs.length,
    failed: runs.filter((run) => run.result === 'fail').map((run) => run.seed),
    actions: runs.reduce((sum, run) => sum + run.actions.total, 0),
    splitDuplicates: runs.reduce((sum, run) => sum + run.markers.splitDuplicates.length, 0),
    undoRestoreDuplicates: runs.reduce((sum, run) => sum + run.markers.undoRestoreDuplicates.length, 0),
    unexplainedDuplicates: runs.reduce((sum, run) => sum + run.markers.unexplainedDuplicates.length, 0),
    lost: runs.reduce((sum, run) => sum + run.markers.lost.length, 0),
  }
  writeFileSync(temporary, `${JSON.stringify({ summary, runs }, null, 2)}\n`)
  renameSync(temporary, combined)
  return combined
}
