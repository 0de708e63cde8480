// Starts a server under test as a child process pinned to the server core, waits until it
// answers HTTP, measures it from /proc, asks its probe for GC and event-loop figures, stops it.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { REPO_DIR } from '../paths'
import { builtServer } from './build-servers'
import { nowMs, sleep } from '../util/clock'
import { SERVER_CPU, pinnedCommand } from './affinity'
import type { ProbeReply, ProbeRequest } from './probe'
import { cpuSeconds, ioBytes, rssBytes } from './proc-stats'
import type { ServerSpec } from './server-spec'

const PROBE_URL = pathToFileURL(builtServer('probe')).href
/** How often a starting server's ready path is polled. */
const READY_POLL_MS = 10

/** A server process did not become ready, or died. */
export class ServerStartError extends Error {
  override readonly name = 'ServerStartError'
  constructor(label: string, detail: string, outputTail: string) {
    super(`${label} did not start: ${detail}\n--- last output ---\n${outputTail}`)
  }
}

export interface StartOptions {
  port: number
  /** DATA_DIR for servers that store (kept across restarts by the caller). */
  dataDir: string | null
  /** Extra environment (e.g. relay limits a scenario needs raised), recorded in the results. */
  extraEnv?: Record<string, string>
  /** Write a V8 CPU profile of the server into this directory when it exits. */
  cpuProfileDir?: string
}

/** A fresh DATA_DIR on disk for servers that store there; null for the others. */
export function createDataDir(spec: ServerSpec): string | null {
  if (spec.storage !== 'disk') return null
  return mkdtempSync(join(tmpdir(), `bench-${spec.id}-`))
}

export function removeDataDir(dataDir: string | null): void {
  if (dataDir !== null) rmSync(dataDir, { recursive: true, force: true })
}

function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', timeout: 1_000 }, (response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
    req.on('error', () => resolve(0))
    req.on('timeout', () => {
      req.destroy()
      resolve(0)
    })
    req.end()
  })
}

export class RunningServer {
  private readonly output: string[] = []
  private exitCode: number | null = null
  private nextProbeId = 1
  private readonly pendingProbes = new Map<number, (reply: ProbeReply) => void>()
  readonly exited: Promise<void>
  /** Spawn → the first 200 from its ready path, ms (polled every {@link READY_POLL_MS}). */
  readyAfterMs = Number.NaN
  /** CPU seconds the process had used when it was first seen ready (its startup). */
  startupCpuSeconds = Number.NaN

  private constructor(
    readonly spec: ServerSpec,
    readonly port: number,
    readonly dataDir: string | null,
    private readonly child: ChildProcess,
    private readonly profiled: boolean,
  ) {
    const keep = (chunk: Buffer): void => {
      this.output.push(chunk.toString('utf8'))
      if (this.output.length > 200) this.output.splice(0, this.output.length - 200)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    child.on('message', (message: unknown) => {
      const reply = message as ProbeReply
      const resolve = this.pendingProbes.get(reply.probeId)
      if (resolve !== undefined) {
        this.pendingProbes.delete(reply.probeId)
        resolve(reply)
      }
    })
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal === null ? -1 : 128)
        resolve()
      })
    })
  }

  /** Spawns the server and resolves once its ready path answers 200. */
  static async start(spec: ServerSpec, options: StartOptions): Promise<RunningServer> {
    if (!existsSync(spec.entry)) throw new ServerStartError(spec.label, `${spec.entry} is not built (pnpm bench builds it)`, '')
    const nodeArgs = ['--expose-gc', '--import', PROBE_URL, ...spec.nodeFlags]
    if (options.cpuProfileDir !== undefined) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir)
    const { command, args } = pinnedCommand(SERVER_CPU, process.execPath, [...nodeArgs, spec.entry])
    const child = spawn(command, args, {
      cwd: REPO_DIR,
      env: { ...process.env, ...spec.env({ port: options.port, dataDir: options.dataDir }), ...options.extraEnv },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    const spawnedMs = nowMs()
    const server = new RunningServer(spec, options.port, options.dataDir, child, options.cpuProfileDir !== undefined)
    const deadline = Date.now() + 60_000
    for (;;) {
      if (server.exitCode !== null) throw new ServerStartError(spec.label, `exited with ${server.exitCode}`, server.outputTail())
      if ((await httpStatus(options.port, spec.readyPath)) === 200) {
        server.readyAfterMs = nowMs() - spawnedMs
        server.startupCpuSeconds = server.cpuSeconds()
        return server
      }
      if (Date.now() > deadline) {
        await server.stop()
        throw new ServerStartError(spec.label, 'not ready after 60 s', server.outputTail())
      }
      await sleep(READY_POLL_MS)
    }
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  get wsBase(): string {
    return this.spec.wsBase(this.port)
  }

  get alive(): boolean {
    return this.exitCode === null
  }

  outputTail(): string {
    return this.output.join('').split('\n').slice(-30).join('\n')
  }

  cpuSeconds(): number {
    return cpuSeconds(this.pid)
  }

  rssBytes(): number {
    return rssBytes(this.pid)
  }

  ioBytes(): { readBytes: number; writtenBytes: number } {
    return ioBytes(this.pid)
  }

  /** Asks the in-process probe (forced GC, event-loop delay). */
  probe(command: ProbeRequest['command'], timeoutMs = 10_000, path?: string): Promise<ProbeReply> {
    const probeId = this.nextProbeId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingProbes.delete(probeId)
        reject(new Error(`${this.spec.label} probe '${command}' got no answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pendingProbes.set(probeId, (reply) => {
        clearTimeout(timer)
        resolve(reply)
      })
      this.child.send({ probeId, command, ...(path !== undefined ? { path } : {}) } satisfies ProbeRequest)
    })
  }

  /**
   * Memory after a forced GC: RSS (median of `samples` readings `gapMs` apart) and the JS heap in
   * use plus external memory (buffers) as the probe reports them.
   */
  async settledMemory(samples = 3, gapMs = 150): Promise<{ rssBytes: number; heapBytes: number; youngGenerationBytes: number }> {
    const rss: number[] = []
    const heap: number[] = []
    const young: number[] = []
    for (let i = 0; i < samples; i++) {
      const reply = await this.probe('gc')
      heap.push(reply.heapUsedBytes + reply.externalBytes)
      young.push(reply.youngGenerationBytes)
      await sleep(gapMs)
      rss.push(this.rssBytes())
    }
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
    return { rssBytes: median(rss), heapBytes: median(heap), youngGenerationBytes: median(young) }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exitCode !== null) return
    if (this.profiled) await this.probe('exit-if-unhandled', 1_000).catch(() => {})
    if (this.exitCode !== null) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await this.exited
    clearTimeout(timer)
  }
}
