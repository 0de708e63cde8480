// What a session reports: its numbers, its problems, and (on failure) a file with the action
// trace and the relay's output to investigate from.
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { RelayProcess } from '../process/relay-process'
import type { FaultCounts } from './fault-profile'
import type { FinalStop } from './plan'

export interface SessionReport {
  seed: number
  docId: string
  clients: number
  /** Every SimClient created: initial ones, replacements, reopened tabs. */
  clientInstances: number
  actions: number
  edits: number
  markers: number
  faults: number
  faultCounts: FaultCounts
  relaySigkills: number
  relaySigterms: number
  replacements: number
  finalStop: FinalStop | 'none (shared relay)'
  /** From the end of the chaos (calm network, relay up) until every client was connected and synced. */
  syncedMs: number
  /** From the last edit until every replica was identical. */
  convergeMs: number
  /** Wall time of the whole session (relay boots included). */
  durationMs: number
  /** Every close code the relay sent, with counts. */
  closeCodes: Record<string, number>
  relayEnv: Record<string, string>
  /** Empty when the seed passed; each entry names a divergence, a loss or a relay misbehaviour. */
  problems: string[]
  /** Written on failure (or with `keepReport`): trace, problems and relay output. */
  reportFile: string | null
}

/** 44xx: the relay refused an honest client for good; 1011: it failed handling one. */
function closeCodeIsBug(code: number): boolean {
  return (code >= 4400 && code < 4500) || code === 1011
}

export function closeCodeProblems(closeCodes: Record<string, number>): string[] {
  const bad = Object.keys(closeCodes).map(Number).filter(closeCodeIsBug)
  return bad.length === 0 ? [] : [`relay closed honest clients with ${bad.join(', ')} (counts ${JSON.stringify(closeCodes)})`]
}

/** Error-level lines the relay logged since `sinceMs`: it failed at something honest clients did. */
export function relayErrors(relay: RelayProcess, sinceMs: number): string[] {
  const errors = relay.logRecords().filter((record) => Number(record['level']) >= 50 && Number(record['time']) >= sinceMs)
  if (errors.length === 0) return []
  const first = errors[0]!
  const err = first['err'] as { message?: unknown } | undefined
  const detail = err?.message !== undefined ? ` (${String(err.message)})` : ''
  return [`relay logged ${errors.length} error(s); first: ${String(first['msg'])}${detail}`]
}

export function sumCounts(all: readonly FaultCounts[]): FaultCounts {
  const total: FaultCounts = { connections: 0, refused: 0, resets: 0, stalls: 0, splitChunks: 0, delayedConnections: 0 }
  for (const counts of all) {
    for (const key of Object.keys(total) as Array<keyof FaultCounts>) total[key] += counts[key]
  }
  return total
}

/** Writes problems, summary, action trace and relay output to a temp file; returns its path. */
export function writeReportFile(report: SessionReport, trace: readonly string[], relayOutput: string, keptDataDir: string | null): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `relay-fuzz-report-${report.seed}-`))
  const file = path.join(dir, 'report.txt')
  const { problems, ...summary } = report
  writeFileSync(
    file,
    [
      `Reproduce: cd /work/main && FUZZ_SEED=${report.seed} pnpm exec vitest run apps/relay/test/fuzz`,
      `DATA_DIR kept at: ${keptDataDir ?? '(not kept)'}`,
      '',
      '== problems ==',
      ...problems,
      '',
      '== summary ==',
      JSON.stringify(summary, null, 2),
      '',
      '== trace ==',
      ...trace,
      '',
      '== relay output (last lines) ==',
      relayOutput,
    ].join('\n'),
  )
  return file
}
