// Benchmark output: a readable table on stdout and the same numbers as JSON under
// <repo>/bench-results/<name>.json, for comparison across runs and machines.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { repoRoot } from '../test/process/relay-process'

export const resultsDir = path.join(repoRoot, 'bench-results')

export type Metrics = Record<string, number | string | boolean | null>

/** Prints `metrics` and writes them with machine facts to bench-results/<name>.json. */
export function reportResults(name: string, metrics: Metrics, details: Record<string, unknown> = {}): string {
  const width = Math.max(...Object.keys(metrics).map((key) => key.length))
  process.stdout.write(`\n${name}\n`)
  for (const [key, value] of Object.entries(metrics)) {
    const shown = typeof value === 'number' ? value.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(value)
    process.stdout.write(`  ${key.padEnd(width)}  ${shown}\n`)
  }
  mkdirSync(resultsDir, { recursive: true })
  const file = path.join(resultsDir, `${name}.json`)
  const machine = {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
    loadAverage1m: os.loadavg()[0],
  }
  writeFileSync(file, JSON.stringify({ name, measuredAt: new Date().toISOString(), machine, metrics, details }, null, 2) + '\n')
  process.stdout.write(`  → ${path.relative(repoRoot, file)}\n`)
  return file
}

/** A size field of /proc/<pid>/status in bytes (VmRSS = resident now, VmHWM = peak); Linux only. */
export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(status)
  if (match === null) throw new Error(`No ${field} line in /proc/${pid}/status`)
  return Number(match[1]) * 1024
}

/** Resident set size of a process in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  return procStatusBytes(pid, 'VmRSS')
}

export const mebibytes = (bytes: number): number => Math.round((bytes / 1_048_576) * 100) / 100
