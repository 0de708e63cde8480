// A real PostgreSQL server for tests: initdb into a temp dir, pg_ctl start on a free loopback
// port, trust auth, stopped and removed afterwards. No Docker. Reusable by other packages'
// tests (multi-relay tests): import { startPostgres, requirePostgres } from this file.
//
// PostgreSQL refuses to run as root, so as root every server command runs as the `postgres`
// user (created by the Debian package) through `runuser`, in a temp dir it owns.
import { execFile, execFileSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { describe, it } from 'vitest'

const HOST = '127.0.0.1'
const SUPERUSER = 'postgres'
const COMMAND_TIMEOUT_MS = 60_000
const START_ATTEMPTS = 3
/** For the beforeAll/afterAll that start and stop a server: initdb + start take seconds on a busy machine. */
export const SERVER_HOOK_TIMEOUT_MS = 120_000

export interface PostgresServer {
  readonly host: string
  readonly port: number
  /** Temp dir holding the data directory, the log and the Unix socket. */
  readonly dir: string
  /** Connection URL of `database` (default `postgres`) as the superuser, no password (trust auth). */
  url(database?: string): string
  /** Creates an empty database with a fresh name and returns its URL. */
  createDatabase(prefix?: string): Promise<string>
  /** Drops a database created by {@link createDatabase}, disconnecting its sessions. */
  dropDatabase(url: string): Promise<void>
  /** Runs one statement as the superuser (default database `postgres`) and returns its rows. */
  query<Row extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
    database?: string,
  ): Promise<Row[]>
  /**
   * `pg_ctl stop`: `fast` disconnects sessions and shuts down cleanly; `immediate` kills every
   * server process without a checkpoint, like a crash (the next start runs recovery).
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  /** Starts the stopped server again on the same port and data. */
  start(): Promise<void>
  /** Whether the server is running (as far as this helper started/stopped it). */
  readonly running: boolean
  /** The server log, for assertion messages. */
  log(): string
  /** Stops the server (fast) and removes its directory. Safe to call twice. */
  close(): Promise<void>
}

/** The newest `/usr/lib/postgresql/<version>/bin` with initdb and pg_ctl, or `PG_BIN_DIR`. */
export function findPostgresBinDir(): string | undefined {
  const override = process.env.PG_BIN_DIR
  if (override !== undefined && override !== '') return hasServerBinaries(override) ? override : undefined
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root)
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => Number(b) - Number(a))
  for (const version of versions) {
    const dir = join(root, version, 'bin')
    if (hasServerBinaries(dir)) return dir
  }
  return undefined
}

function hasServerBinaries(dir: string): boolean {
  return ['initdb', 'pg_ctl', 'postgres'].every((name) => existsSync(join(dir, name)))
}

const isRoot = process.getuid?.() === 0

/** Why PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresUnavailableReason(): string | undefined {
  if (findPostgresBinDir() === undefined) {
    return 'PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in /usr/lib/postgresql/*/bin or PG_BIN_DIR; install them with `apt-get install -y postgresql`'
  }
  if (isRoot && postgresUserIds() === undefined) {
    return 'running as root but there is no `postgres` user to run the server as (PostgreSQL refuses to run as root)'
  }
  return undefined
}

/**
 * Call at the top of a test file. Returns true when PostgreSQL tests can run. Otherwise
 * registers a test that says why: failing when `CI` is set (a missing server must not turn
 * into a green run), skipped locally with the reason as the skip note.
 */
export function requirePostgres(suiteName: string): boolean {
  const reason = postgresUnavailableReason()
  if (reason === undefined) return true
  if (isCi()) {
    describe(suiteName, () => {
      it('needs a PostgreSQL server', () => {
        throw new Error(`${suiteName}: ${reason}`)
      })
    })
  } else {
    describe(suiteName, () => {
      it('needs a PostgreSQL server', (context) => context.skip(reason))
    })
  }
  return false
}

function isCi(): boolean {
  const ci = process.env.CI
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false'
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim())
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined
  } catch {
    return undefined
  }
}

/** Runs a PostgreSQL binary, as the postgres user when we are root. */
function runServerCommand(binDir: string, name: string, args: string[], cwd: string): Promise<string> {
  const binary = join(binDir, name)
  const [file, fullArgs] = isRoot ? ['runuser', ['-u', SUPERUSER, '--', binary, ...args]] : [binary, args]
  return new Promise((resolve, reject) => {
    execFile(file, fullArgs, { cwd, timeout: COMMAND_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${name} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`))
      else resolve(stdout)
    })
  })
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, HOST, () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })
}

/** Servers this process started and has not stopped, stopped on exit if a test run dies. */
const runningServers = new Map<string, () => void>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const stopNow of runningServers.values()) stopNow()
  })
}

let databaseCounter = 0

/** initdb + pg_ctl start on a free loopback port. Reject with the server log when it fails. */
export async function startPostgres(): Promise<PostgresServer> {
  const reason = postgresUnavailableReason()
  if (reason !== undefined) throw new Error(reason)
  const binDir = findPostgresBinDir() as string
  const dir = mkdtempSync(join(tmpdir(), 'collab-pg-'))
  if (isRoot) {
    const ids = postgresUserIds() as { uid: number; gid: number }
    chownSync(dir, ids.uid, ids.gid)
  }
  const dataDir = join(dir, 'data')
  const logFile = join(dir, 'postgres.log')
  let port = 0
  let running = false
  let closed = false

  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '(no log)')
  const pgCtl = (args: string[]) => runServerCommand(binDir, 'pg_ctl', ['-D', dataDir, ...args], dir)
  const stopSync = () => {
    try {
      execFileSync(isRoot ? 'runuser' : join(binDir, 'pg_ctl'), [
        ...(isRoot ? ['-u', SUPERUSER, '--', join(binDir, 'pg_ctl')] : []),
        ...['-D', dataDir, 'stop', '-m', 'immediate', '-w'],
      ], { cwd: dir, stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS })
    } catch {
      // Best effort while the process exits.
    }
    rmSync(dir, { recursive: true, force: true })
  }

  const startOn = async (onPort: number) => {
    // fsync and full-page writes off: test data need not survive an OS crash, and it keeps
    // the shared CI machine fast. Commits still reach the kernel before COMMIT returns, so a
    // killed server (stop -m immediate) keeps every committed transaction.
    const serverOptions = [
      `-p ${onPort}`,
      `-c listen_addresses=${HOST}`,
      `-c unix_socket_directories=${dir}`,
      '-c fsync=off',
      '-c full_page_writes=off',
      '-c max_connections=200',
    ].join(' ')
    await pgCtl(['-l', logFile, '-w', '-t', '30', '-o', serverOptions, 'start'])
    running = true
    runningServers.set(dir, stopSync)
  }

  try {
    await runServerCommand(
      binDir,
      'initdb',
      ['-D', dataDir, '-A', 'trust', '-U', SUPERUSER, '-E', 'UTF8', '--locale=C', '--no-sync'],
      dir,
    )
    installExitHook()
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      try {
        await startOn(port)
        break
      } catch (error) {
        // Another process may have taken the port between probing and starting.
        if (attempt >= START_ATTEMPTS) throw error
      }
    }
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    const serverLog = log()
    stopSync()
    throw new Error(`Could not start PostgreSQL: ${detail}\n--- server log ---\n${serverLog}`)
  }

  const url = (database = 'postgres') => `postgres://${SUPERUSER}@${HOST}:${port}/${database}`

  const query = async <Row extends pg.QueryResultRow>(text: string, values: unknown[] = [], database = 'postgres') => {
    const client = new pg.Client({ connectionString: url(database), connectionTimeoutMillis: 10_000 })
    client.on('error', () => undefined)
    await client.connect()
    try {
      return (await client.query<Row>(text, values)).rows
    } finally {
      await client.end().catch(() => undefined)
    }
  }

  const server: PostgresServer = {
    host: HOST,
    get port() {
      return port
    },
    dir,
    url,
    get running() {
      return running
    },
    async createDatabase(prefix = 'test') {
      const name = `${prefix.replace(/[^a-z0-9_]/g, '_')}_${process.pid}_${++databaseCounter}`
      await query(`CREATE DATABASE "${name}"`)
      return url(name)
    },
    async dropDatabase(databaseUrl) {
      const name = new URL(databaseUrl).pathname.slice(1)
      await query(`DROP DATABASE IF EXISTS "${name.replace(/"/g, '""')}" WITH (FORCE)`)
    },
    query,
    async stop(mode = 'fast') {
      if (!running) return
      await pgCtl(['stop', '-m', mode, '-w', '-t', '30'])
      running = false
    },
    async start() {
      if (running) return
      await startOn(port)
    },
    log,
    async close() {
      if (closed) return
      closed = true
      runningServers.delete(dir)
      try {
        await server.stop('fast')
      } catch {
        stopSync()
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return server
}
