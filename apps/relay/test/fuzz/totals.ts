// Run totals across seeds, and the JSON files under bench-results/.
import { mkdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { repoRoot } from '../process/relay-process'
import type { SessionReport } from './session'

export interface FuzzTotals {
  seeds: number
  actions: number
  edits: number
  markers: number
  faults: number
  proxyResets: number
  proxyStalls: number
  proxySplitChunks: number
  proxyDelayedConnections: number
  relaySigkills: number
  relaySigterms: number
  clientReplacements: number
  /** Seeds with any problem (divergence, loss, duplication, relay misbehaviour). */
  divergences: number
  failingSeeds: number[]
  slowestConvergeMs: number
}

export class TotalsCollector {
  readonly totals: FuzzTotals = {
    seeds: 0,
    actions: 0,
    edits: 0,
    markers: 0,
    faults: 0,
    proxyResets: 0,
    proxyStalls: 0,
    proxySplitChunks: 0,
    proxyDelayedConnections: 0,
    relaySigkills: 0,
    relaySigterms: 0,
    clientReplacements: 0,
    divergences: 0,
    failingSeeds: [],
    slowestConvergeMs: 0,
  }

  add(report: SessionReport): void {
    const t = this.totals
    t.seeds++
    t.actions += report.actions
    t.edits += report.edits
    t.markers += report.markers
    t.faults += report.faults
    t.proxyResets += report.faultCounts.resets
    t.proxyStalls += report.faultCounts.stalls
    t.proxySplitChunks += report.faultCounts.splitChunks
    t.proxyDelayedConnections += report.faultCounts.delayedConnections
    t.relaySigkills += report.relaySigkills
    t.relaySigterms += report.relaySigterms
    t.clientReplacements += report.replacements
    t.slowestConvergeMs = Math.max(t.slowestConvergeMs, report.convergeMs)
    if (report.problems.length > 0) {
      t.divergences++
      t.failingSeeds.push(report.seed)
    }
  }

  /** One line for the end of a run. */
  line(label: string, wallMs: number): string {
    const t = this.totals
    return (
      `${label}: ${t.seeds} seeds, ${t.actions} actions (${t.edits} edits, ${t.markers} markers), ` +
      `${t.faults} faults, ${t.relaySigkills} SIGKILL + ${t.relaySigterms} SIGTERM, ` +
      `${t.divergences} divergent${t.failingSeeds.length > 0 ? ` (seeds ${t.failingSeeds.join(', ')})` : ''}, ` +
      `${(wallMs / 1000).toFixed(1)} s\n`
    )
  }
}

/** Writes bench-results/<name>.json with machine facts; returns the path. */
export function writeResultsJson(name: string, metrics: object, details: object = {}): string {
  const dir = path.join(repoRoot, 'bench-results')
  mkdirSync(dir, { recursive: true })
  const file = path.join(dir, `${name}.json`)
  const machine = {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAverage1m: os.loadavg()[0],
  }
  writeFileSync(file, JSON.stringify({ name, measuredAt: new Date().toISOString(), machine, metrics, details }, null, 2) + '\n')
  return file
}
