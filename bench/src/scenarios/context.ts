// What every scenario gets from the runner, and the per-server loop they share: start the server,
// run the cases, stop it, record a failure instead of aborting the whole bench.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { BenchConfig, SizeName } from '../config/bench-config'
import type { WorkerPool } from '../load/worker-pool'
import { RESULTS_DIR } from '../paths'
import { createDataDir, removeDataDir, RunningServer } from '../servers/server-process'
import { SERVERS, type ServerId, type ServerSpec } from '../servers/server-spec'
import type { ConvergenceCheck, ScenarioReport } from '../report/report-types'
import { freePort } from '../util/ports'
import { cpuStallMicros, waitForQuiet } from '../util/cpu-pressure'
import { progress } from '../util/progress'
import { turnOrder } from '../util/turn-order'
import { readTexts } from '../wire/doc-client'
import { DIALECTS } from '../wire/dialect'

export interface ScenarioContext {
  config: BenchConfig
  size: SizeName
  pool: WorkerPool
  /** Unique per run, so document names never collide across runs against a persistent server. */
  runTag: string
}

export interface Scenario {
  id: number
  title: string
  run(context: ScenarioContext): Promise<ScenarioReport>
}

/** A started server plus what scenarios need to restart it on the same data. */
export interface ServerSession {
  spec: ServerSpec
  server: RunningServer
  /** Stop and start again on the same DATA_DIR (a cold restart). */
  restart(): Promise<RunningServer>
}

export interface ServerLoopOptions {
  /** Servers this scenario runs against (intersected with BENCH_SERVERS). */
  servers: readonly ServerId[]
  extraEnv?: (spec: ServerSpec) => Record<string, string>
}

/** A server process managed for a scenario: its DATA_DIR, optional profile, restart and disposal. */
export interface ManagedServer extends ServerSession {
  dispose(): Promise<void>
}

/** Starts `spec` for scenario `scenarioId` (fresh DATA_DIR; CPU profile when BENCH_PROFILE=1). */
export async function startManaged(context: ScenarioContext, scenarioId: number, spec: ServerSpec, options: ServerLoopOptions): Promise<ManagedServer> {
  const dataDir = createDataDir(spec)
  const profiled = context.config.profile === 'all' || (context.config.profile === 'ours' && spec.id.startsWith('ours'))
  const profileDir = profiled ? join(RESULTS_DIR, 'profiles', `s${scenarioId}-${spec.id}`) : undefined
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true })
  const start = async (): Promise<RunningServer> => {
    const started = await RunningServer.start(spec, {
      port: await freePort(),
      dataDir,
      ...(options.extraEnv ? { extraEnv: options.extraEnv(spec) } : {}),
      ...(profileDir !== undefined ? { cpuProfileDir: profileDir } : {}),
    })
    progress(`  ${spec.label} started: pid ${started.pid}, port ${started.port}`)
    return started
  }
  let server: RunningServer
  try {
    server = await start()
  } catch (error) {
    removeDataDir(dataDir)
    throw error
  }
  return {
    spec,
    get server() {
      return server
    },
    restart: async () => {
      await server.stop()
      server = await start()
      return server
    },
    dispose: async () => {
      await server.stop()
      removeDataDir(dataDir)
    },
  }
}

function recordFailure(report: Pick<ScenarioReport, 'id' | 'failures'>, id: ServerId, error: unknown, server: RunningServer | null): void {
  const message = error instanceof Error ? error.message : String(error)
  progress(`scenario ${report.id}: ${SERVERS[id].label} FAILED: ${message.split('\n')[0]}`)
  report.failures.push({ server: id, error: `${message}${server !== null ? `\n${server.outputTail()}` : ''}` })
}

/**
 * Runs `body` once per server, each in its own freshly started process, after waiting for a quiet
 * machine; a server that fails is recorded in `failures` and the loop goes on.
 */
export async function forEachServer(
  context: ScenarioContext,
  report: Pick<ScenarioReport, 'id' | 'failures' | 'pressure'>,
  options: ServerLoopOptions,
  body: (session: ServerSession) => Promise<void>,
): Promise<void> {
  for (const id of options.servers) {
    if (!context.config.servers.includes(id)) continue
    const spec = SERVERS[id]
    let managed: ManagedServer | null = null
    try {
      const quiet = await waitForQuiet(context.config.quietThreshold, context.config.quietMaxWaitMs)
      progress(`scenario ${report.id}: ${spec.label} (CPU pressure ${formatPressure(quiet.pressure)}${quiet.waitedMs > 1_000 ? ` after waiting ${(quiet.waitedMs / 1000).toFixed(0)} s for a quieter machine` : ''})`)
      managed = await startManaged(context, report.id, spec, options)
      const stall = stallMeter()
      await body(managed)
      report.pressure[id] = { before: quiet.pressure, during: stall.share(), waitedMs: quiet.waitedMs }
    } catch (error) {
      recordFailure(report, id, error, managed?.server ?? null)
    } finally {
      await managed?.dispose()
    }
  }
}

/** Share of wall time some task waited for a CPU since it was created (null without PSI). */
export function stallMeter(): { share(): number | null; totals(): { stalledMs: number; wallMs: number } } {
  const before = cpuStallMicros()
  const startMs = Date.now()
  const totals = () => {
    const after = cpuStallMicros()
    return { stalledMs: before === null || after === null ? Number.NaN : (after - before) / 1000, wallMs: Date.now() - startMs }
  }
  return {
    share: () => {
      const t = totals()
      return Number.isNaN(t.stalledMs) ? null : t.stalledMs / Math.max(1, t.wallMs)
    },
    totals,
  }
}

/**
 * Interleaved runs for latency- and time-sensitive scenarios on a shared machine: every server is
 * started up front, then each round runs every case on every server in turn, so a burst of load
 * from other jobs hits all servers alike instead of one server's whole run. The turn order rotates
 * from case to case (and round to round), so no server always goes first. A server that fails a
 * case is recorded and skipped from then on.
 */
export async function runInterleaved<C>(
  context: ScenarioContext,
  report: Pick<ScenarioReport, 'id' | 'failures' | 'pressure'>,
  options: ServerLoopOptions & { rounds: number; cases: readonly C[]; caseLabel(c: C): string },
  runCase: (session: ServerSession, item: C, round: number) => Promise<void>,
): Promise<void> {
  const managed: ManagedServer[] = []
  const stalls = new Map<ServerId, { stalledMs: number; wallMs: number }>()
  try {
    for (const id of options.servers) {
      if (!context.config.servers.includes(id)) continue
      try {
        managed.push(await startManaged(context, report.id, SERVERS[id], options))
      } catch (error) {
        recordFailure(report, id, error, null)
      }
    }
    const failed = new Set<ServerId>()
    for (let round = 0; round < options.rounds; round++) {
      const quiet = await waitForQuiet(context.config.quietThreshold, context.config.quietMaxWaitMs)
      progress(`scenario ${report.id}: round ${round + 1}/${options.rounds} (CPU pressure ${formatPressure(quiet.pressure)}${quiet.waitedMs > 1_000 ? ` after waiting ${(quiet.waitedMs / 1000).toFixed(0)} s` : ''})`)
      for (const [index, item] of options.cases.entries()) {
        for (const session of turnOrder(managed, round * options.cases.length + index)) {
          if (failed.has(session.spec.id)) continue
          const stall = stallMeter()
          try {
            await runCase(session, item, round)
          } catch (error) {
            failed.add(session.spec.id)
            recordFailure(report, session.spec.id, new Error(`${options.caseLabel(item)}, round ${round + 1}: ${error instanceof Error ? error.message : String(error)}`), session.server)
          }
          const t = stall.totals()
          const sum = stalls.get(session.spec.id) ?? { stalledMs: 0, wallMs: 0 }
          stalls.set(session.spec.id, { stalledMs: sum.stalledMs + t.stalledMs, wallMs: sum.wallMs + t.wallMs })
        }
      }
    }
  } finally {
    await Promise.all(managed.map((m) => m.dispose()))
  }
  for (const [id, t] of stalls) report.pressure[id] = { before: null, during: Number.isNaN(t.stalledMs) ? null : t.stalledMs / Math.max(1, t.wallMs), waitedMs: 0 }
}

/** Compares root texts of the server's copy of `docId` with what was written. */
export async function checkTexts(
  server: RunningServer,
  docId: string,
  expected: ReadonlyMap<string, string>,
  caseName: string,
): Promise<ConvergenceCheck> {
  try {
    const texts = await readTexts({ baseUrl: server.wsBase, docId, dialect: DIALECTS[server.spec.dialect], names: [...expected.keys()] })
    const wrong = [...expected].filter(([name, text]) => texts.get(name) !== text)
    const detail =
      wrong.length === 0
        ? `${expected.size} text(s), ${[...expected.values()].reduce((s, t) => s + t.length, 0).toLocaleString('en-US')} chars match`
        : wrong.map(([name, text]) => `${name}: ${texts.get(name)?.length ?? 0} chars, expected ${text.length}`).join('; ')
    return { server: server.spec.id, caseName, converged: wrong.length === 0, detail }
  } catch (error) {
    return { server: server.spec.id, caseName, converged: false, detail: `check client failed: ${(error as Error).message}` }
  }
}

export function formatPressure(pressure: number | null): string {
  return pressure === null ? 'n/a' : `${(100 * pressure).toFixed(0)}%`
}

/** Short random suffix for document names. */
export function randomTag(): string {
  return Math.random().toString(36).slice(2, 8)
}
