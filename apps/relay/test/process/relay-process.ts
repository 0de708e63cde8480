// The relay as a real child process: free port, temp DATA_DIR, readiness probe, signals,
// restart on the same port and directory. Free of vitest so the benchmarks can use it too.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { processListensOn } from './port-owner'

const relayDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
/** The workspace root (/work/main): the relay is started from here, like `pnpm start` does. */
export const repoRoot = path.resolve(relayDir, '../..')
/** What `pnpm start` runs: the production build (test/global-setup.ts builds it once per run). */
export const builtServerEntry = path.join(relayDir, 'dist/server.js')
/** `RELAY_ENTRY` runs another server file under the same contract (e.g. the sources). */
const serverEntry = process.env['RELAY_ENTRY'] ?? builtServerEntry
// A TypeScript entry needs tsx's loader. `tsx server.ts` would run the server in a *grandchild*
// node process (SIGKILL on the wrapper would orphan it with the port still bound, and its pid
// would not be the relay's); `node --import tsx` is the same loader in a single process.
const loaderArgs = serverEntry.endsWith('.ts') ? ['--import', createRequire(path.join(relayDir, 'package.json')).resolve('tsx')] : []

const maxKeptOutputLines = 2_000

export interface RelayOptions {
  /** Reuse an existing data directory (default: a fresh temp dir, removed by `dispose`). */
  dataDir?: string
  /** Reuse a port (default: a free one). */
  port?: number
  /** Extra environment for the relay (e.g. LOG_LEVEL). */
  env?: Record<string, string>
  /** How long to wait for `GET /readyz` to answer 200. */
  readyTimeoutMs?: number
  /** Extra node flags before the entry (e.g. `--inspect=127.0.0.1:0` for benchmarks). */
  nodeArgs?: string[]
}

export interface ExitStatus {
  code: number | null
  signal: NodeJS.Signals | null
}

/** Picks a port the kernel considers free right now (listen on 0, read it, close). */
/**
 * Ports for relays are drawn below the kernel's ephemeral range (32768–60999 on Linux), where
 * sockets bound to port 0 (other tests' clients, proxies and servers) never land: a relay that is
 * down for a restart keeps its port to itself.
 */
const RELAY_PORT_RANGE = { from: 20_000, to: 32_000 } as const

function tryListen(port: number, host: string): Promise<number | null> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', () => resolve(null))
    server.listen(port, host, () => {
      const address = server.address()
      const bound = address !== null && typeof address !== 'string' ? address.port : null
      server.close(() => resolve(bound))
    })
  })
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = RELAY_PORT_RANGE.from + Math.floor(Math.random() * (RELAY_PORT_RANGE.to - RELAY_PORT_RANGE.from))
    const port = await tryListen(candidate, host)
    if (port !== null) return port
  }
  const fallback = await tryListen(0, host)
  if (fallback === null) throw new Error(`no free port on ${host}`)
  return fallback
}

/** One GET without keep-alive (a pooled idle socket would hold the relay open on shutdown). */
export async function httpGet(url: string, timeoutMs = 5_000): Promise<{ status: number; body: string }> {
  return await new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)))
    req.on('error', reject)
  })
}

const liveChildren = new Set<ChildProcess>()
// A crashed or interrupted test run must not leave relays listening.
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL')
})

/** A relay child process that can be killed and restarted on the same port and DATA_DIR. */
export class RelayProcess {
  readonly host = '127.0.0.1'
  private child: ChildProcess | null = null
  private exitPromise: Promise<ExitStatus> | null = null
  private readonly lines: string[] = []
  private partialLine = ''
  private runCount = 0

  private constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
    private readonly env: Record<string, string>,
    private readonly readyTimeoutMs: number,
    private readonly nodeArgs: readonly string[],
  ) {}

  /** Spawns a relay and waits until `/readyz` says 200. */
  static async start(options: RelayOptions = {}): Promise<RelayProcess> {
    if (!existsSync(serverEntry)) {
      throw new Error(`Relay entry ${serverEntry} does not exist; build it with: pnpm --filter @collab/relay run build`)
    }
    const port = options.port ?? (await freePort())
    const ownsDataDir = options.dataDir === undefined
    const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'relay-process-'))
    const relay = new RelayProcess(port, dataDir, ownsDataDir, options.env ?? {}, options.readyTimeoutMs ?? 30_000, options.nodeArgs ?? [])
    await relay.spawnAndWaitReady()
    return relay
  }

  /** `http://127.0.0.1:PORT` */
  get httpUrl(): string {
    return `http://${this.host}:${this.port}`
  }

  /** Server URL for a stock `WebsocketProvider` (it appends `/<docId>`). */
  get syncUrl(): string {
    return `ws://${this.host}:${this.port}/sync`
  }

  get pid(): number | null {
    return this.child?.pid ?? null
  }

  get running(): boolean {
    return this.child !== null
  }

  /** The last lines the relay wrote (stdout and stderr, all runs), for failure reports. */
  output(): string {
    return [...this.lines, this.partialLine].join('\n')
  }

  /** Parsed pino JSON lines (non-JSON lines are skipped). */
  logRecords(): Array<Record<string, unknown>> {
    const records: Array<Record<string, unknown>> = []
    for (const line of this.lines) {
      if (!line.startsWith('{')) continue
      try {
        records.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        // a line cut by the output cap or interleaved writes; not a log record we can use
      }
    }
    return records
  }

  /** Sends `signal` and resolves once the process has exited. */
  async kill(signal: NodeJS.Signals, exitTimeoutMs = 20_000): Promise<ExitStatus> {
    const child = this.child
    const exited = this.exitPromise
    if (child === null || exited === null) throw new Error(`Relay on port ${this.port} is not running`)
    child.kill(signal)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`Relay pid ${child.pid} did not exit within ${exitTimeoutMs} ms after ${signal}`))
      }, exitTimeoutMs)
    })
    try {
      return await Promise.race([exited, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Starts the relay again on the same port and DATA_DIR (it must have exited). */
  async restart(): Promise<void> {
    if (this.child !== null) throw new Error(`Relay pid ${this.child.pid} is still running; kill it first`)
    await this.spawnAndWaitReady()
  }

  /** Kills the process if it still runs (SIGKILL) and removes the temp data dir it created. */
  async dispose(): Promise<void> {
    if (this.child !== null) await this.kill('SIGKILL')
    if (this.ownsDataDir) rmSync(this.dataDir, { recursive: true, force: true })
  }

  private record(chunk: string): void {
    const parts = (this.partialLine + chunk).split('\n')
    this.partialLine = parts.pop() ?? ''
    this.lines.push(...parts)
    if (this.lines.length > maxKeptOutputLines) this.lines.splice(0, this.lines.length - maxKeptOutputLines)
  }

  private async spawnAndWaitReady(): Promise<void> {
    this.runCount += 1
    this.record(`--- relay run ${this.runCount} (port ${this.port}, DATA_DIR ${this.dataDir}) ---\n`)
    const child = spawn(process.execPath, [...this.nodeArgs, ...loaderArgs, serverEntry], {
      cwd: repoRoot,
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: this.host,
        DATA_DIR: this.dataDir,
        LOG_LEVEL: 'info',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.child = child
    liveChildren.add(child)
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.record(chunk))
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.record(chunk))
    this.exitPromise = new Promise<ExitStatus>((resolve) => {
      child.once('exit', (code, signal) => {
        liveChildren.delete(child)
        if (this.child === child) this.child = null
        if (this.partialLine !== '') this.record('\n')
        this.record(`--- relay run ${this.runCount} exited: code ${code}, signal ${signal} ---\n`)
        resolve({ code, signal })
      })
    })
    await this.waitReady(child)
  }

  private async waitReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + this.readyTimeoutMs
    let lastProblem = 'no answer yet'
    while (Date.now() < deadline) {
      if (this.child !== child) {
        throw new Error(`Relay exited before it was ready (port ${this.port}; ${lastProblem}).\n${this.output()}`)
      }
      try {
        const res = await httpGet(`${this.httpUrl}/readyz`, 2_000)
        // The answer must come from this child: on restart, another process (another test's
        // relay or proxy) may have taken the port while ours was down; its 200 would send every
        // client to the wrong relay (an empty document) while ours exits with EADDRINUSE.
        if (res.status === 200 && child.pid !== undefined && processListensOn(child.pid, this.port) === false) {
          lastProblem = `GET /readyz answered 200, but not from relay pid ${child.pid}: another process holds port ${this.port}`
        } else if (res.status === 200) {
          return
        } else {
          lastProblem = `GET /readyz answered ${res.status}: ${res.body.slice(0, 200)}`
        }
      } catch (error) {
        lastProblem = error instanceof Error ? error.message : String(error)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    child.kill('SIGKILL')
    throw new Error(
      `Relay not ready within ${this.readyTimeoutMs} ms on port ${this.port} (${lastProblem}).\n${this.output()}`,
    )
  }
}
