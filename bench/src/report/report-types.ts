import type { ServerId } from '../servers/server-spec'

export type Better = 'lower' | 'higher'

/** One measured figure per server. */
export interface Row {
  label: string
  unit: string
  better: Better | null
  values: Partial<Record<ServerId, number | null>>
  /** Why a value is missing or what qualifies it (shown next to the value). */
  notes?: Partial<Record<ServerId, string>>
  /** Values that do not count as the best peer (e.g. measured on a run that never converged). */
  excluded?: ServerId[]
  /**
   * Values that only bound the server's true figure from below: it fell behind, so what it had
   * sent when the measurement stopped understates what it would send. On a lower-is-better row,
   * ours is ahead of such a peer when ours (× the target's factor) is at most the bound, and the
   * comparison is unknown otherwise; on a higher-is-better row they are not compared.
   */
  lowerBounds?: ServerId[]
}

export interface Table {
  title: string
  rows: Row[]
}

/** Whether a server's final content matched what was written, per case. */
export interface ConvergenceCheck {
  server: ServerId
  caseName: string
  converged: boolean
  detail: string
}

export interface TargetCheck {
  target: string
  /** null: could not be judged (a server failed or did not run). */
  met: boolean | null
  detail: string
}

export interface ScenarioReport {
  id: number
  title: string
  /** How it was run: sizes, rates, durations. */
  setup: string[]
  tables: Table[]
  targets: TargetCheck[]
  convergence: ConvergenceCheck[]
  /**
   * CPU pressure (share of time some task waited for a CPU, from /proc/pressure/cpu) before and
   * during each server's run: other jobs on a shared machine, and our own load contending.
   */
  pressure: Partial<Record<ServerId, { before: number | null; during: number | null; waitedMs: number }>>
  /** Servers that failed to run this scenario, with the error. */
  failures: { server: ServerId; error: string }[]
  notes: string[]
  wallSeconds: number
  /** Raw per-case measurements for the JSON file. */
  raw: unknown
}
