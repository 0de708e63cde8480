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
import { progress } from '../util/progress'
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

/**
 * Runs `body` once per server, each in its own freshly started process; a server that fails is
 * recorded in `failures` and the loop goes on.
 */
export async function forEachServer(
  context: ScenarioContext,
  scenarioId: number,
  options: ServerLoopOptions,
  failures: ScenarioReport['failures'],
  body: (session: ServerSession) => Promise<void>,
): Promise<void> {
  for (const id of options.servers) {
    if (!context.config.servers.includes(id)) continue
    const spec = SERVERS[id]
    const dataDir = createDataDir(spec)
    const profileDir = context.config.profileRelay && spec.id.startsWith('ours') ? join(RESULTS_DIR, 'profiles', `s${scenarioId}-${spec.id}`) : undefined
    if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true })
    const start = async (): Promise<RunningServer> =>
      RunningServer.start(spec, {
        port: await freePort(),
        dataDir,
        ...(options.extraEnv ? { extraEnv: options.extraEnv(spec) } : {}),
        ...(profileDir !== undefined ? { cpuProfileDir: profileDir } : {}),
      })
    let server: RunningServer | null = null
    try {
      progress(`scenario ${scenarioId}: ${spec.label}`)
      server = await start()
      const session: ServerSession = {
        spec,
        get server() {
          return server!
        },
        restart: async () => {
          await server?.stop()
          server = await start()
          return server
        },
      }
      await body(session)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      progress(`scenario ${scenarioId}: ${spec.label} FAILED: ${message.split('\n')[0]}`)
      failures.push({ server: id, error: `${message}${server !== null ? `\n${server.outputTail()}` : ''}` })
    } finally {
      await server?.stop()
      removeDataDir(dataDir)
    }
  }
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

/** Short random suffix for document names. */
export function randomTag(): string {
  return Math.random().toString(36).slice(2, 8)
}
