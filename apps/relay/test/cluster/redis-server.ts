// A real redis-server for cluster tests: started as a child process on a free loopback port with
// no persistence, killable (SIGKILL = a crash) and restartable on the same port. No Docker.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import net from 'node:net'
import { describe, it } from 'vitest'
import { postgresUnavailableReason } from '../../../../packages/storage/test/pg-server'
import { freePort } from '../process/relay-process'

const HOST = '127.0.0.1'
const READY_TIMEOUT_MS = 10_000

export interface RedisServer {
  readonly port: number
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  readonly running: boolean
  /** Sends `signal` and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Starts it again on the same port (empty: nothing is persisted). */
  start(): Promise<void>
  /** Everything it printed, for failure reports. */
  log(): string
  close(): Promise<void>
}

/** Why redis-server cannot run here, or undefined when it can. */
export function redisUnavailableReason(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' })
  if (probe.error !== undefined || probe.status !== 0) {
    return 'redis-server not found on PATH; install it with `apt-get install -y redis-server`'
  }
  return undefined
}

function isCi(): boolean {
  const ci = process.env.CI
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false'
}

/**
 * Call at the top of a cluster test file. True when redis-server and PostgreSQL can run;
 * otherwise registers one test saying why: failing when `CI` is set, skipped locally.
 */
export function requireClusterServers(suiteName: string, needs: { postgres: boolean } = { postgres: true }): boolean {
  const reasons = [redisUnavailableReason(), needs.postgres ? postgresUnavailableReason() : undefined].filter(
    (reason): reason is string => reason !== undefined,
  )
  if (reasons.length === 0) return true
  const reason = reasons.join('; ')
  describe(suiteName, () => {
    if (isCi()) {
      it('needs redis-server and PostgreSQL', () => {
        throw new Error(`${suiteName}: ${reason}`)
      })
    } else {
      it('needs redis-server and PostgreSQL', (context) => context.skip(reason))
    }
  })
  return false
}

const liveServers = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of liveServers) child.kill('SIGKILL')
})

/** Resolves once the server answers PING on `port`. */
async function waitForPong(port: number, deadlineMs: number, isAlive: () => boolean): Promise<void> {
  while (Date.now() < deadlineMs) {
    if (!isAlive()) throw new Error('redis-server exited while starting')
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: HOST, port })
      let reply = ''
      socket.setTimeout(1_000, () => socket.destroy())
      socket.once('connect', () => socket.write('PING\r\n'))
      socket.on('data', (chunk: Buffer) => {
        reply += chunk.toString('utf8')
        if (reply.includes('\r\n')) {
          socket.destroy()
          resolve(reply.startsWith('+PONG'))
        }
      })
      socket.once('error', () => resolve(false))
      socket.once('close', () => resolve(false))
    })
    if (ok) return
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms`)
}

/** Starts redis-server on a free loopback port: no RDB snapshots, no AOF, in the foreground. */
export async function startRedis(): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | null = null
  let exited: Promise<void> = Promise.resolve()
  let output = ''

  const start = async (): Promise<void> => {
    if (child !== null) return
    const spawned = spawn(
      'redis-server',
      ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child = spawned
    liveServers.add(spawned)
    spawned.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    spawned.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    exited = new Promise((resolve) => {
      spawned.once('exit', (code, signal) => {
        output += `\n[test] redis-server exited (code ${code}, signal ${signal})\n`
        liveServers.delete(spawned)
        if (child === spawned) child = null
        resolve()
      })
    })
    try {
      await waitForPong(port, Date.now() + READY_TIMEOUT_MS, () => child === spawned)
    } catch (error) {
      spawned.kill('SIGKILL')
      throw new Error(`${(error as Error).message}\n${output}`)
    }
  }

  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    const running = child
    if (running === null) return
    running.kill(signal)
    await exited
  }

  await start()
  return {
    port,
    url: `redis://${HOST}:${port}`,
    get running() {
      return child !== null
    },
    kill,
    start,
    log: () => output,
    close: () => kill('SIGKILL'),
  }
}
