// PostgreSQL and Redis for multi-relay specs, started by the test on free loopback ports and
// removed afterwards: initdb + pg_ctl (as the `postgres` user when running as root, since
// PostgreSQL refuses root) with trust auth and fsync off, and redis-server without persistence.
// Plain child processes; nothing from apps/* or packages/*.
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { freePort } from './relay-process'
import { pollUntil } from './poll'

const HOST = '127.0.0.1'
const isRoot = process.getuid?.() === 0

function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  return readdirSync(root)
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => path.join(root, version, 'bin'))
    .find((dir) => ['initdb', 'pg_ctl', 'postgres'].every((name) => existsSync(path.join(dir, name))))
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined
  } catch {
    return undefined
  }
}

/** Why the multi-relay specs cannot run here (missing servers), or null when they can. */
export function clusterServersUnavailable(): string | null {
  const missing: string[] = []
  const redis = spawnSync('redis-server', ['--version'])
  if (redis.error !== undefined || redis.status !== 0) missing.push('redis-server (apt-get install -y redis-server)')
  if (postgresBinDir() === undefined) missing.push('PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install -y postgresql)')
  else if (isRoot && postgresUserIds() === undefined) missing.push('a `postgres` user to run PostgreSQL as (running as root)')
  return missing.length === 0 ? null : `not installed: ${missing.join('; ')}`
}

export interface ClusterServers {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  databaseUrl: string
  /** `redis://127.0.0.1:<port>` */
  redisUrl: string
  /** Stops both servers and removes their files. */
  stop(): Promise<void>
}

function run(file: string, args: string[], cwd: string): Promise<void> {
  const [command, fullArgs] = isRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args]
  return new Promise((resolve, reject) => {
    execFile(command, fullArgs, { cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} failed: ${error.message}\n${stdout}\n${stderr}`))
      else resolve()
    })
  })
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port })
    socket.setTimeout(1_000, () => socket.destroy())
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (reply: Buffer) => {
      socket.destroy()
      resolve(reply.toString('utf8').startsWith('+PONG'))
    })
    socket.once('error', () => resolve(false))
    socket.once('close', () => resolve(false))
  })
}

/** Starts a throwaway PostgreSQL and Redis; throws with the reason when they cannot start. */
export async function startClusterServers(): Promise<ClusterServers> {
  const binDir = postgresBinDir()
  if (binDir === undefined) throw new Error(clusterServersUnavailable() ?? 'PostgreSQL not found')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'collab-e2e-pg-'))
  if (isRoot) {
    const ids = postgresUserIds()
    if (ids === undefined) throw new Error('running as root without a postgres user')
    chownSync(dir, ids.uid, ids.gid)
  }
  const dataDir = path.join(dir, 'data')
  const pgPort = await freePort()
  const pgCtl = path.join(binDir, 'pg_ctl')
  let redis: ChildProcess | null = null
  let pgStarted = false
  const stop = async () => {
    redis?.kill('SIGKILL')
    if (pgStarted) await run(pgCtl, ['-D', dataDir, 'stop', '-m', 'immediate', '-w'], dir).catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await run(path.join(binDir, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'], dir)
    const options = [`-p ${pgPort}`, `-c listen_addresses=${HOST}`, `-c unix_socket_directories=${dir}`, '-c fsync=off'].join(' ')
    await run(pgCtl, ['-D', dataDir, '-l', path.join(dir, 'postgres.log'), '-w', '-t', '30', '-o', options, 'start'], dir)
    pgStarted = true

    const redisPort = await freePort()
    const child = spawn('redis-server', ['--port', String(redisPort), '--bind', HOST, '--save', '', '--appendonly', 'no', '--daemonize', 'no'], {
      stdio: 'ignore',
    })
    redis = child
    process.once('exit', () => child.kill('SIGKILL'))
    await pollUntil(() => answersPing(redisPort), {
      timeoutMs: 10_000,
      intervalMs: 50,
      message: `redis-server on port ${redisPort} to answer PING`,
    })
    return { databaseUrl: `postgres://postgres@${HOST}:${pgPort}/postgres`, redisUrl: `redis://${HOST}:${redisPort}`, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
