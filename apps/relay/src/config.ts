// Relay configuration: every environment variable, its default and meaning, in one table that
// drives parsing, `--help` and the README.
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_LIMITS, type ProtocolLimits } from '@collab/protocol'
import { DEFAULT_COMPACTION_POLICY, type CompactionPolicy } from '@collab/storage'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Everything the relay can be configured with. */
export interface RelayConfig {
  port: number
  host: string
  dataDir: string
  logLevel: LogLevel
  /** Built web app; served when it contains index.html. */
  webDistDir: string
  pingIntervalMs: number
  /** Group commit window: updates received within it are appended in one transaction. */
  flushIntervalMs: number
  /** Flush before the window ends once this many bytes are queued. */
  flushMaxBatchBytes: number
  /** How long a room stays loaded after its last client leaves. */
  roomUnloadDelayMs: number
  /** Outgoing awareness is coalesced and sent at most once per this interval per room. */
  awarenessFlushMs: number
  /** Delay before retrying a failed storage write (doubles up to 30 s). */
  storageRetryMs: number
  compaction: CompactionPolicy
  /** Longest a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs: number
  limits: ProtocolLimits
}

/** An environment variable has a value the relay cannot use. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  constructor(
    readonly variable: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`Invalid ${variable}=${JSON.stringify(value)}: expected ${expected}`)
  }
}

/** apps/web/dist, found from this file's location so it does not depend on the working directory. */
export const DEFAULT_WEB_DIST_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url))

type Parser<T> = (raw: string, variable: string) => T

function integer(min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> {
  return (raw, variable) => {
    const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`
      throw new ConfigError(variable, raw, range)
    }
    return value
  }
}

const nonEmpty: Parser<string> = (raw, variable) => {
  if (raw.trim() === '') throw new ConfigError(variable, raw, 'a non-empty value')
  return raw.trim()
}

const logLevel: Parser<LogLevel> = (raw, variable) => {
  const value = raw.trim().toLowerCase()
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(variable, raw, `one of ${LOG_LEVELS.join(', ')}`)
  }
  return value as LogLevel
}

interface Variable {
  name: string
  default: string
  meaning: string
  apply(config: RelayConfig, raw: string): void
}

function variable<T>(
  name: string,
  defaultValue: string | number,
  meaning: string,
  parse: Parser<T>,
  set: (config: RelayConfig, value: T) => void,
): Variable {
  return { name, default: String(defaultValue), meaning, apply: (config, raw) => set(config, parse(raw, name)) }
}

const positive = integer(1)
const limit = (name: string, key: keyof ProtocolLimits, meaning: string): Variable =>
  variable(name, DEFAULT_LIMITS[key], meaning, positive, (c, v) => {
    c.limits[key] = v
  })

/** Every variable the relay reads, in `--help` / README order. */
export const CONFIG_VARIABLES: readonly Variable[] = [
  variable('PORT', 8080, 'TCP port to listen on (0 picks a free port)', integer(0, 65535), (c, v) => {
    c.port = v
  }),
  variable('HOST', '127.0.0.1', 'Interface to listen on (0.0.0.0 for every interface)', nonEmpty, (c, v) => {
    c.host = v
  }),
  variable('DATA_DIR', './data', 'Directory of the SQLite database (created when missing; relative to where the command was started)', nonEmpty, (c, v) => {
    c.dataDir = v
  }),
  variable('LOG_LEVEL', 'info', `Log level: ${LOG_LEVELS.join(', ')}`, logLevel, (c, v) => {
    c.logLevel = v
  }),
  variable('WEB_DIST_DIR', 'apps/web/dist', 'Built web app, served at / when it contains index.html', nonEmpty, (c, v) => {
    c.webDistDir = v
  }),
  variable('PING_INTERVAL_MS', 30_000, 'WebSocket ping interval; a socket that missed the previous pong is dropped', positive, (c, v) => {
    c.pingIntervalMs = v
  }),
  variable('FLUSH_INTERVAL_MS', 50, 'Group commit window: updates are appended to storage in one batch per window', positive, (c, v) => {
    c.flushIntervalMs = v
  }),
  variable('FLUSH_MAX_BATCH_BYTES', 1_048_576, 'Flush a room before its window ends once this many bytes are queued', positive, (c, v) => {
    c.flushMaxBatchBytes = v
  }),
  variable('ROOM_UNLOAD_DELAY_MS', 2_000, 'How long a document stays in memory after its last client leaves', integer(0), (c, v) => {
    c.roomUnloadDelayMs = v
  }),
  variable('AWARENESS_FLUSH_MS', 50, 'Awareness (presence) is coalesced and sent at most once per this interval per room', positive, (c, v) => {
    c.awarenessFlushMs = v
  }),
  variable('STORAGE_RETRY_MS', 500, 'First retry delay after a failed storage write (doubles up to 30 s)', positive, (c, v) => {
    c.storageRetryMs = v
  }),
  variable('COMPACT_MAX_LOG_ENTRIES', DEFAULT_COMPACTION_POLICY.maxLogEntries, 'Fold the update log into a snapshot once it has this many entries', positive, (c, v) => {
    c.compaction.maxLogEntries = v
  }),
  variable('COMPACT_MAX_LOG_BYTES', DEFAULT_COMPACTION_POLICY.maxLogBytes, 'Fold the update log into a snapshot once it holds this many bytes', positive, (c, v) => {
    c.compaction.maxLogBytes = v
  }),
  variable('SHUTDOWN_TIMEOUT_MS', 10_000, 'Longest a graceful shutdown (flush, close sockets) may take', positive, (c, v) => {
    c.shutdownTimeoutMs = v
  }),
  limit('MAX_FRAME_BYTES', 'maxFrameBytes', 'Largest WebSocket frame; larger ones close the socket with 1009'),
  limit('MAX_UPDATE_BYTES', 'maxUpdateBytes', 'Largest Yjs update in one message (close 4413)'),
  limit('MAX_DOCUMENT_BYTES', 'maxDocumentBytes', 'Largest a document may grow to (close 4414)'),
  limit('MAX_UPDATE_CLIENT_IDS', 'maxUpdateClientIds', 'Most distinct client ids in one update (close 4422)'),
  limit('MAX_AWARENESS_STATE_BYTES', 'maxAwarenessStateBytes', 'Largest awareness state JSON of one client (close 4423)'),
  limit('MAX_AWARENESS_JSON_DEPTH', 'maxAwarenessJsonDepth', 'Deepest nesting of an awareness state (close 4423)'),
  limit('MAX_AWARENESS_ENTRIES', 'maxAwarenessEntries', 'Most client entries in one awareness update (close 4423)'),
  limit('MAX_AWARENESS_CLIENTS_PER_CONNECTION', 'maxAwarenessClientsPerConnection', 'Most awareness client ids one connection may own'),
]

/** The configuration with every default applied. */
export function defaultConfig(): RelayConfig {
  return {
    port: 8080,
    host: '127.0.0.1',
    dataDir: './data',
    logLevel: 'info',
    webDistDir: DEFAULT_WEB_DIST_DIR,
    pingIntervalMs: 30_000,
    flushIntervalMs: 50,
    flushMaxBatchBytes: 1_048_576,
    roomUnloadDelayMs: 2_000,
    awarenessFlushMs: 50,
    storageRetryMs: 500,
    compaction: { ...DEFAULT_COMPACTION_POLICY },
    shutdownTimeoutMs: 10_000,
    limits: { ...DEFAULT_LIMITS },
  }
}

/**
 * Reads the configuration from environment variables. Unset or empty variables take their
 * default; an invalid value throws {@link ConfigError} naming the variable and the value.
 * Relative DATA_DIR / WEB_DIST_DIR are resolved against the directory the command was started
 * in (pnpm's INIT_CWD, so `pnpm start` at the repository root keeps data in ./data there),
 * else the working directory.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  cwd: string = process.cwd(),
): RelayConfig {
  const config = defaultConfig()
  for (const entry of CONFIG_VARIABLES) {
    const raw = env[entry.name]
    if (raw !== undefined && raw !== '') entry.apply(config, raw)
  }
  const base = env['INIT_CWD'] || cwd
  config.dataDir = resolve(base, config.dataDir)
  config.webDistDir = resolve(base, config.webDistDir)
  return config
}

/** The `--help` text: every variable with its default and meaning. */
export function configHelp(): string {
  const nameWidth = Math.max(...CONFIG_VARIABLES.map((v) => v.name.length))
  const defaultWidth = Math.max(...CONFIG_VARIABLES.map((v) => v.default.length))
  const lines = CONFIG_VARIABLES.map(
    (v) => `  ${v.name.padEnd(nameWidth)}  ${v.default.padEnd(defaultWidth)}  ${v.meaning}`,
  )
  return [
    'Usage: tsx apps/relay/src/server.ts [--help]',
    '',
    'Collaborative-editing relay: y-websocket protocol on ws://HOST:PORT/sync/<docId>,',
    'documents stored in SQLite under DATA_DIR. Configured by environment variables:',
    '',
    `  ${'VARIABLE'.padEnd(nameWidth)}  ${'DEFAULT'.padEnd(defaultWidth)}  MEANING`,
    ...lines,
    '',
  ].join('\n')
}

/** The same table as Markdown, for the README. */
export function configMarkdownTable(): string {
  return [
    '| Variable | Default | Meaning |',
    '| --- | --- | --- |',
    ...CONFIG_VARIABLES.map((v) => `| \`${v.name}\` | \`${v.default}\` | ${v.meaning} |`),
  ].join('\n')
}
