// A real relay process for browser tests: started from source with tsx on a free loopback port
// and a temporary DATA_DIR, so a test can crash it (SIGKILL), stop it (SIGTERM) and start it
// again on the same port with the same storage.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { pollUntil } from './poll'

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const RELAY_DIR = path.join(REPO_ROOT, 'apps/relay')
const DEFAULT_ENTRY = path.join(RELAY_DIR, 'src/server.ts')
/** Keep only the tail of a chatty relay's output. */
const MAX_LOG_CHARS = 2_000_000

export interface RelayOptions {
  /** Server entry file; default E2E_RELAY_ENTRY, else apps/relay/src/server.ts. */
  entry?: string
  /** Extra environment for the relay (PORT, HOST and DATA_DIR are set by the fixture). */
  env?: Record<string, string>
  /** How long to wait for `GET /readyz` to answer 200 after a start. */
  readyTimeoutMs?: number
}

export interface RelayExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** Thrown when the relay does not become ready, or exits while starting. */
export class RelayStartError extends Error {
  override readonly name = 'RelayStartError'
  constructor(reason: string, log: string) {
    super(`Relay did not start: ${reason}\n--- relay output ---\n${log.slice(-8000)}`)
  }
}

/**
 * A free loopback port below the kernel's ephemeral range (32768+ on Linux), so no socket bound
 * to port 0 (a browser, a client) can take a relay's port while the relay is down for a restart.
 */
export async function freePort(): Promise<number> {
  const attempt = (port: number): Promise<number | null> =>
    new Promise((resolve) => {
      const server = net.createServer()
      server.unref()
      server.once('error', () => resolve(null))
      server.listen(port, '127.0.0.1', () => {
        const address = server.address()
        server.close(() => resolve(address !== null && typeof address !== 'string' ? address.port : null))
      })
    })
  for (let tries = 0; tries < 50; tries++) {
    const port = await attempt(10_000 + Math.floor(Math.random() * 10_000))
    if (port !== null) return port
  }
  const fallback = await attempt(0)
  if (fallback === null) throw new Error('no free loopback port')
  return fallback
}

function resolveTsxBin(): string {
  const candidates = [
    path.join(RELAY_DIR, 'node_modules/.bin/tsx'),
    path.join(REPO_ROOT, 'node_modules/.bin/tsx'),
  ]
  const found = candidates.find((candidate) => existsSync(candidate))
  if (found === undefined) throw new Error(`tsx not found; looked in ${candidates.join(', ')}`)
  return found
}

async function portAcceptsConnections(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

const liveRelays = new Set<RelayProcess>()
// A worker that dies must not leave relays behind holding ports and temp dirs.
process.once('exit', () => {
  for (const relay of liveRelays) relay.killGroupNow()
})

/**
 * One relay on a fixed port and DATA_DIR that can be started, crashed, stopped and restarted.
 * tsx runs the server in a child process of its own CLI, so the relay is spawned in its own
 * process group: SIGTERM goes to tsx (which forwards it), SIGKILL goes to the whole group.
 */
export class RelayProcess {
  readonly port: number
  readonly dataDir: string
  readonly baseUrl: string
  private readonly entry: string
  private readonly env: Record<string, string>
  private readonly readyTimeoutMs: number
  private child: ChildProcess | null = null
  /** Process group of the last start; kept after exit so stragglers in the group can be killed. */
  private groupPid: number | null = null
  private exited: Promise<RelayExit> | null = null
  private output = ''
  private droppedChars = 0

  private constructor(port: number, dataDir: string, options: RelayOptions) {
    this.port = port
    this.dataDir = dataDir
    this.baseUrl = `http://127.0.0.1:${port}`
    this.entry = options.entry ?? process.env.E2E_RELAY_ENTRY ?? DEFAULT_ENTRY
    this.env = options.env ?? {}
    this.readyTimeoutMs = options.readyTimeoutMs ?? 60_000
  }

  /** Starts a relay on a free port with a fresh temporary DATA_DIR and waits until it is ready. */
  static async start(options: RelayOptions = {}): Promise<RelayProcess> {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'collab-e2e-relay-'))
    const relay = new RelayProcess(await freePort(), dataDir, options)
    try {
      await relay.start()
    } catch (error) {
      await relay.dispose()
      throw error
    }
    return relay
  }

  /** The WebSocket base the stock y-websocket client takes: `ws://host:port/sync`. */
  get syncUrl(): string {
    return `ws://127.0.0.1:${this.port}/sync`
  }

  get running(): boolean {
    return this.child !== null
  }

  /** Everything the relay printed (stdout and stderr, interleaved), across restarts. */
  get log(): string {
    return this.output
  }

  /** Position in the log, for {@link logSince}. */
  get logOffset(): number {
    return this.droppedChars + this.output.length
  }

  /** What the relay printed since `offset` (from {@link logOffset}). */
  logSince(offset: number): string {
    return this.output.slice(Math.max(0, offset - this.droppedChars))
  }

  /** Starts the process (same port, same DATA_DIR as before) and waits for `GET /readyz` → 200. */
  async start(): Promise<void> {
    if (this.child !== null) throw new Error(`Relay on port ${this.port} is already running`)
    await pollUntil(async () => !(await portAcceptsConnections(this.port)), {
      timeoutMs: 10_000,
      message: `port ${this.port} is still taken by a previous relay`,
    })
    this.append(`\n[e2e] starting relay on port ${this.port}, DATA_DIR ${this.dataDir}\n`)
    const child = spawn(resolveTsxBin(), [this.entry], {
      cwd: RELAY_DIR,
      env: {
        ...process.env,
        ...this.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        DATA_DIR: this.dataDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    this.child = child
    this.groupPid = child.pid ?? null
    liveRelays.add(this)
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.append(chunk))
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.append(chunk))
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.append(`\n[e2e] relay exited (code ${code}, signal ${signal})\n`)
        if (this.child === child) this.child = null
        liveRelays.delete(this)
        resolve({ code, signal })
      })
    })
    try {
      await this.waitReady()
    } catch (error) {
      if (this.child !== null) await this.kill('SIGKILL').catch(() => undefined)
      throw error
    }
  }

  /**
   * Sends `signal` and waits for the process to exit. SIGKILL kills the whole process group at
   * once (a crash); other signals go to tsx, which forwards them to the server.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<RelayExit> {
    const child = this.child
    const exited = this.exited
    if (child === null || exited === null || child.pid === undefined) {
      throw new Error(`Relay on port ${this.port} is not running`)
    }
    this.append(`\n[e2e] sending ${signal}\n`)
    if (signal === 'SIGKILL') this.killGroupNow()
    else child.kill(signal)
    const exit = await exited
    // The server child of tsx may outlive tsx by a moment; the port tells when it is gone.
    this.killGroupNow()
    await pollUntil(async () => !(await portAcceptsConnections(this.port)), {
      timeoutMs: 10_000,
      message: `relay on port ${this.port} still accepts connections after ${signal}`,
    })
    return exit
  }

  /** Graceful stop: SIGTERM, and SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<RelayExit | null> {
    if (this.child === null || this.exited === null) return null
    const exited = this.exited
    const timer = setTimeout(() => {
      this.append(`\n[e2e] relay ignored SIGTERM for ${graceMs} ms, sending SIGKILL\n`)
      this.killGroupNow()
    }, graceMs)
    try {
      await this.kill('SIGTERM')
      return await exited
    } finally {
      clearTimeout(timer)
    }
  }

  /** SIGTERM, then start again on the same port with the same DATA_DIR. */
  async restart(): Promise<void> {
    await this.stop()
    await this.start()
  }

  /** Stops the relay and deletes its DATA_DIR. */
  async dispose(): Promise<void> {
    await this.stop().catch(() => this.killGroupNow())
    rmSync(this.dataDir, { recursive: true, force: true })
  }

  /** @internal SIGKILL to the process group, ignoring a group that is already gone. */
  killGroupNow(): void {
    const pid = this.groupPid
    if (pid === null) return
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // ESRCH: already gone.
    }
  }

  private async waitReady(): Promise<void> {
    const url = `${this.baseUrl}/readyz`
    let lastProblem = 'no answer yet'
    const deadline = Date.now() + this.readyTimeoutMs
    while (Date.now() < deadline) {
      if (this.child === null) throw new RelayStartError('process exited while starting', this.output)
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2_000) })
        if (response.status === 200) return
        lastProblem = `GET /readyz answered ${response.status}`
      } catch (error) {
        lastProblem = `GET /readyz failed: ${(error as Error).message}`
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    throw new RelayStartError(`not ready within ${this.readyTimeoutMs} ms (${lastProblem})`, this.output)
  }

  private append(text: string): void {
    this.output += text
    if (this.output.length > MAX_LOG_CHARS) {
      const drop = this.output.length - MAX_LOG_CHARS
      this.output = this.output.slice(drop)
      this.droppedChars += drop
    }
  }
}
