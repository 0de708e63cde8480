// Relay configuration: every environment variable, its default and meaning, in one table that
// drives parsing, `--help` and the README.
import { isIP } from 'node:net'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_LIMITS, type ProtocolLimits } from '@collab/protocol'
import { DEFAULT_COMPACTION_POLICY, type CompactionPolicy } from '@collab/storage'
import { MIN_AUTH_SECRET_LENGTH } from './auth/access-token'
import { COMPRESSION_MODES, type CompressionMode } from './connection/compression'
import { DEFAULT_ALLOWED_ORIGINS, OriginPatternError, parseAllowedOrigins } from './auth/origin-policy'
import { RELAY_ID_PATTERN } from './cluster/wire'

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export const PERSISTENCE_MODES = ['on', 'off'] as const
/** `on`: documents are stored (SQLite or PostgreSQL); `off`: kept in memory only. */
export type PersistenceMode = (typeof PERSISTENCE_MODES)[number]

/** Everything the relay can be configured with. */
export interface RelayConfig {
  port: number
  host: string
  dataDir: string
  /** PERSISTENCE: `off` keeps documents in memory only (lost on restart); refused with DATABASE_URL. */
  persistence: PersistenceMode
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
  /** Presence states one connection receives per second at most (larger rooms flush less often). */
  awarenessMaxStatesPerSecond: number
  /** WS_COMPRESSION: `awareness` (default) negotiates permessage-deflate for awareness broadcasts, `all` also for large whole-document answers; `off` never. */
  compression: CompressionMode
  /** Delay before retrying a failed storage write (doubles up to 30 s). */
  storageRetryMs: number
  compaction: CompactionPolicy
  /** Longest a graceful shutdown may take before the process exits anyway. */
  shutdownTimeoutMs: number
  limits: ProtocolLimits
  /** HS256 secret access tokens are signed with (AUTH_SECRET); null: authentication off. */
  authSecret: string | null
  /** Browser origins allowed to open WebSockets besides the relay's own page (ALLOWED_ORIGINS). */
  allowedOrigins: string[]
  /** Bearer token GET /metrics requires (METRICS_TOKEN); null: open. */
  metricsToken: string | null
  /**
   * Reverse proxies whose X-Forwarded-For is believed (TRUST_PROXY): addresses, CIDR ranges, or
   * `loopback` / `linklocal` / `uniquelocal`. A request from one of them counts as coming from
   * the nearest address in that header it does not trust. Empty: the TCP peer is the client.
   */
  trustProxy: string[]
  /** Most open WebSocket connections per remote address. */
  maxConnectionsPerIp: number
  /** Most documents not yet open that one address may open per minute. */
  maxRoomOpensPerIpPerMinute: number
  /** Time a client has to send its upgrade request's headers, and then its first message. */
  handshakeTimeoutMs: number
  /** Past this many bytes buffered for a socket it is "behind": no updates or awareness queued. */
  sendBufferSoftLimitBytes: number
  /** Past this many bytes buffered (beyond one large frame) the socket is closed with 4508. */
  sendBufferHardLimitBytes: number
  /** A socket behind for longer than this is closed with 4508. */
  maxBehindMs: number
  /** PostgreSQL connection string (DATABASE_URL); null: SQLite under dataDir. */
  databaseUrl: string | null
  /** Redis for pub/sub between relays (REDIS_URL); null: this relay runs alone. */
  redisUrl: string | null
  /** This relay's id among its peers (RELAY_ID); null: a random one is chosen at start. */
  relayId: string | null
  /** How often each open document's state vector is announced to peer relays (jittered ±25 %). */
  antiEntropyIntervalMs: number
  /** How often this relay tells its peers it is alive; silent for 3.5 intervals = presumed dead. */
  relayHeartbeatMs: number
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

/** One of a fixed set of lower-case words (case-insensitive input). */
function oneOf<T extends string>(values: readonly T[]): Parser<T> {
  return (raw, variable) => {
    const value = raw.trim().toLowerCase()
    if (!(values as readonly string[]).includes(value)) {
      throw new ConfigError(variable, raw, `one of ${values.join(', ')}`)
    }
    return value as T
  }
}

const logLevel = oneOf(LOG_LEVELS)
const compressionMode = oneOf(COMPRESSION_MODES)
const persistenceMode = oneOf(PERSISTENCE_MODES)

/** `user:password@` → `user:***@`, so an error message never shows a password. */
function redactPassword(raw: string): string {
  return raw.replace(/\/\/([^:/@]*):([^@/]*)@/, '//$1:***@')
}

function url(protocols: readonly string[], example: string): Parser<string> {
  return (raw, variable) => {
    const value = raw.trim()
    let protocol: string | null = null
    try {
      protocol = new URL(value).protocol
    } catch {
      protocol = null
    }
    if (protocol === null || !protocols.includes(protocol)) {
      throw new ConfigError(variable, redactPassword(raw), `a URL like ${example}`)
    }
    return value
  }
}

const relayId: Parser<string> = (raw, variable) => {
  const value = raw.trim()
  if (!RELAY_ID_PATTERN.test(value)) throw new ConfigError(variable, raw, '1-64 characters of A-Z a-z 0-9 _ . -')
  return value
}

const authSecret: Parser<string> = (raw, variable) => {
  // Never echo a secret in an error message.
  if (raw.length < MIN_AUTH_SECRET_LENGTH) {
    throw new ConfigError(variable, `(${raw.length} characters)`, `at least ${MIN_AUTH_SECRET_LENGTH} characters (HS256 needs a 256-bit key)`)
  }
  return raw
}

const allowedOrigins: Parser<string[]> = (raw, variable) => {
  try {
    return parseAllowedOrigins(raw)
  } catch (error) {
    if (error instanceof OriginPatternError) throw new ConfigError(variable, raw, 'a comma list of scheme://host[:port|:*] or *')
    throw error
  }
}

/** Names proxy-addr (Fastify's `trustProxy`) gives to address ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal']

const proxyList: Parser<string[]> = (raw, variable) => {
  const entries = raw.split(',').map((entry) => entry.trim())
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/')
    const family = isIP(address)
    const prefixValid = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32))
    if (!(PROXY_RANGE_NAMES.includes(entry) || (family !== 0 && prefixValid && rest.length === 0))) {
      throw new ConfigError(variable, raw, `a comma list of proxy addresses: IPs, CIDR ranges (10.0.0.0/8, fd00::/8) or ${PROXY_RANGE_NAMES.join(', ')}`)
    }
  }
  return entries
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
/**
 * Durations are at most a day. Node runs a timer longer than 2^31 - 1 ms (24.8 days) after 1 ms
 * instead (TimeoutOverflowWarning): a PING_INTERVAL_MS past it pinged every millisecond and
 * dropped every socket. A day leaves room for the timers derived from them (shutdown + 2 s,
 * heartbeat × 3.5).
 */
const MAX_DURATION_MS = 86_400_000
const duration = (min: number): Parser<number> => integer(min, MAX_DURATION_MS)
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
  variable('PERSISTENCE', 'on', 'on: documents are stored (SQLite under DATA_DIR, or DATABASE_URL); off: kept in memory only and lost on restart (benchmarks, demos; not with DATABASE_URL)', persistenceMode, (c, v) => {
    c.persistence = v
  }),
  variable('LOG_LEVEL', 'info', `Log level: ${LOG_LEVELS.join(', ')}`, logLevel, (c, v) => {
    c.logLevel = v
  }),
  variable('WEB_DIST_DIR', 'apps/web/dist', 'Built web app, served at / when it contains index.html', nonEmpty, (c, v) => {
    c.webDistDir = v
  }),
  variable('PING_INTERVAL_MS', 30_000, 'WebSocket ping interval; a socket that missed the previous pong is dropped', duration(1), (c, v) => {
    c.pingIntervalMs = v
  }),
  variable('FLUSH_INTERVAL_MS', 50, 'Group commit window: updates are appended to storage in one batch per window', duration(1), (c, v) => {
    c.flushIntervalMs = v
  }),
  variable('FLUSH_MAX_BATCH_BYTES', 1_048_576, 'Flush a room before its window ends once this many bytes are queued', positive, (c, v) => {
    c.flushMaxBatchBytes = v
  }),
  variable('ROOM_UNLOAD_DELAY_MS', 2_000, 'How long a document stays in memory after its last client leaves', duration(0), (c, v) => {
    c.roomUnloadDelayMs = v
  }),
  variable('AWARENESS_FLUSH_MS', 50, 'Awareness (presence) is coalesced and sent at most once per this interval per room', duration(1), (c, v) => {
    c.awarenessFlushMs = v
  }),
  variable('AWARENESS_MAX_STATES_PER_SECOND', 200, 'Presence states a connection receives per second at most: a room with more than this × AWARENESS_FLUSH_MS / 1000 people sends presence less often (at least once per second)', positive, (c, v) => {
    c.awarenessMaxStatesPerSecond = v
  }),
  variable('WS_COMPRESSION', 'awareness', 'awareness: accept permessage-deflate and send each coalesced awareness frame compressed, once per room (presence traffic ~6–13× smaller; clients then compress what they send, which the relay inflates); all: also the whole state of a large document, to joiners once several asked for one version (about half the bytes, for slow links; each joiner then inflates it); off: no compression', compressionMode, (c, v) => {
    c.compression = v
  }),
  variable('STORAGE_RETRY_MS', 500, 'First retry delay after a failed storage write (doubles up to 30 s)', duration(1), (c, v) => {
    c.storageRetryMs = v
  }),
  variable('COMPACT_MAX_LOG_ENTRIES', DEFAULT_COMPACTION_POLICY.maxLogEntries, 'Fold the update log into a snapshot once it has this many entries', positive, (c, v) => {
    c.compaction.maxLogEntries = v
  }),
  variable('COMPACT_MAX_LOG_BYTES', DEFAULT_COMPACTION_POLICY.maxLogBytes, 'Fold the update log into a snapshot once it holds this many bytes', positive, (c, v) => {
    c.compaction.maxLogBytes = v
  }),
  variable('SHUTDOWN_TIMEOUT_MS', 10_000, 'Longest a graceful shutdown (flush, close sockets) may take', duration(1), (c, v) => {
    c.shutdownTimeoutMs = v
  }),
  variable('DATABASE_URL', '(unset)', 'PostgreSQL connection string (postgres://user:password@host:5432/db); when set, documents are stored there instead of SQLite under DATA_DIR, so several relays can share them', url(['postgres:', 'postgresql:'], 'postgres://user:password@host:5432/collab'), (c, v) => {
    c.databaseUrl = v
  }),
  variable('REDIS_URL', '(unset)', 'Redis for running several relays (redis://host:6379): edits and presence cross between relays over pub/sub; needs DATABASE_URL shared by all of them', url(['redis:', 'rediss:'], 'redis://host:6379'), (c, v) => {
    c.redisUrl = v
  }),
  variable('RELAY_ID', '(random)', 'This relay\'s name among its peers (unique per relay; shows in logs)', relayId, (c, v) => {
    c.relayId = v
  }),
  variable('ANTI_ENTROPY_INTERVAL_MS', 5_000, 'With REDIS_URL: how often each open document\'s state is compared with the other relays (repairs lost messages)', duration(100), (c, v) => {
    c.antiEntropyIntervalMs = v
  }),
  variable('RELAY_HEARTBEAT_MS', 2_000, 'With REDIS_URL: heartbeat interval; a relay silent for 3.5 intervals is presumed dead and its clients\' presence dropped', duration(100), (c, v) => {
    c.relayHeartbeatMs = v
  }),
  limit('MAX_FRAME_BYTES', 'maxFrameBytes', 'Largest WebSocket frame; larger ones close the socket with 1009'),
  limit('MAX_UPDATE_BYTES', 'maxUpdateBytes', 'Largest Yjs update in one message (close 4413)'),
  limit('MAX_DOCUMENT_BYTES', 'maxDocumentBytes', 'Largest a document may grow to (close 4414)'),
  limit('MAX_UPDATE_CLIENT_IDS', 'maxUpdateClientIds', 'Most distinct client ids in one update (close 4422)'),
  limit('MAX_AWARENESS_STATE_BYTES', 'maxAwarenessStateBytes', 'Largest awareness state JSON of one client (close 4423)'),
  limit('MAX_AWARENESS_JSON_DEPTH', 'maxAwarenessJsonDepth', 'Deepest nesting of an awareness state (close 4423)'),
  limit('MAX_AWARENESS_ENTRIES', 'maxAwarenessEntries', 'Most client entries in one awareness update (close 4423)'),
  limit('MAX_AWARENESS_CLIENTS_PER_CONNECTION', 'maxAwarenessClientsPerConnection', 'Most awareness client ids one connection may own'),
  limit('MAX_AWARENESS_CLOCK_JUMP', 'maxAwarenessClockJump', 'Largest jump of an owned awareness client id\'s clock between two messages (close 4423)'),
  limit('MAX_MESSAGES_PER_SECOND', 'maxMessagesPerSecond', 'Sustained messages per second per connection: a token bucket where a message costs 1, plus 1 per 64 KiB and per ms of handling (close 4529)'),
  limit('MESSAGE_BURST', 'messageBurst', 'Size of that bucket: messages a connection may send at once above the sustained rate'),
  limit('MAX_PENDING_UPDATES', 'maxPendingUpdates', 'Most updates with missing dependencies held per connection until what they need arrives (close 4422)'),
  limit('MAX_PENDING_UPDATE_BYTES', 'maxPendingUpdateBytes', 'Bytes of such held updates per connection (close 4422)'),
  limit('MAX_CONFLICT_SCAN_STEPS', 'maxConflictScanSteps', 'Most conflict-resolution steps one update may cost: concurrent inserts at one position or map key × those already there (close 4422)'),
  variable('MAX_CONNECTIONS_PER_IP', 256, 'Most open WebSocket connections from one address (HTTP 429; behind a proxy every client shares its address unless TRUST_PROXY names the proxy)', positive, (c, v) => {
    c.maxConnectionsPerIp = v
  }),
  variable('MAX_ROOM_OPENS_PER_IP_PER_MINUTE', 600, 'Most documents that are not open yet one address may open per minute (HTTP 429)', positive, (c, v) => {
    c.maxRoomOpensPerIpPerMinute = v
  }),
  variable('TRUST_PROXY', '(unset)', `Comma list of reverse proxies (IPs, CIDR ranges, or ${PROXY_RANGE_NAMES.join(', ')}) whose X-Forwarded-For names the client: per-address limits and logs then use the client's address. Unset: the TCP peer is the client (behind a proxy, every client shares its address)`, proxyList, (c, v) => {
    c.trustProxy = v
  }),
  // At most Node's requestTimeout (5 min): it becomes the HTTP server's headersTimeout, which
  // Node refuses above that with a RangeError at startup.
  variable('HANDSHAKE_TIMEOUT_MS', 10_000, 'Time to send the upgrade request headers (else the socket is dropped), then the first message (else close 4408); at most 300000', integer(1, 300_000), (c, v) => {
    c.handshakeTimeoutMs = v
  }),
  variable('SEND_BUFFER_SOFT_LIMIT_BYTES', 1_048_576, 'Bytes buffered for a slow socket before it is "behind": no updates or presence queued, one resync once it drains', positive, (c, v) => {
    c.sendBufferSoftLimitBytes = v
  }),
  variable('SEND_BUFFER_HARD_LIMIT_BYTES', 16_777_216, 'Bytes buffered (beyond one large frame) at which a slow socket is closed with 4508', positive, (c, v) => {
    c.sendBufferHardLimitBytes = v
  }),
  variable('MAX_BEHIND_MS', 30_000, 'How long a socket may stay behind before it is closed with 4508', duration(1), (c, v) => {
    c.maxBehindMs = v
  }),
  variable('AUTH_SECRET', '(unset)', `HS256 secret (at least ${MIN_AUTH_SECRET_LENGTH} characters) access tokens are signed with; when set, WebSockets and /api need a token (query parameter token). Unset: authentication off`, authSecret, (c, v) => {
    c.authSecret = v
  }),
  variable('ALLOWED_ORIGINS', '(localhost)', 'Comma list of browser origins allowed to open WebSockets, as scheme://host[:port], port may be * ("*" allows all). The relay\'s own page and requests without Origin are always allowed. Default: http(s) on localhost, 127.0.0.1, [::1], any port', allowedOrigins, (c, v) => {
    c.allowedOrigins = v
  }),
  variable('METRICS_TOKEN', '(unset)', 'When set, GET /metrics requires "Authorization: Bearer <token>"', nonEmpty, (c, v) => {
    c.metricsToken = v
  }),
]

/** The configuration with every default applied. */
export function defaultConfig(): RelayConfig {
  return {
    port: 8080,
    host: '127.0.0.1',
    dataDir: './data',
    persistence: 'on',
    logLevel: 'info',
    webDistDir: DEFAULT_WEB_DIST_DIR,
    pingIntervalMs: 30_000,
    flushIntervalMs: 50,
    flushMaxBatchBytes: 1_048_576,
    roomUnloadDelayMs: 2_000,
    awarenessFlushMs: 50,
    awarenessMaxStatesPerSecond: 200,
    compression: 'awareness',
    storageRetryMs: 500,
    compaction: { ...DEFAULT_COMPACTION_POLICY },
    shutdownTimeoutMs: 10_000,
    limits: { ...DEFAULT_LIMITS },
    authSecret: null,
    allowedOrigins: [...DEFAULT_ALLOWED_ORIGINS],
    metricsToken: null,
    trustProxy: [],
    maxConnectionsPerIp: 256,
    maxRoomOpensPerIpPerMinute: 600,
    handshakeTimeoutMs: 10_000,
    sendBufferSoftLimitBytes: 1_048_576,
    sendBufferHardLimitBytes: 16_777_216,
    maxBehindMs: 30_000,
    databaseUrl: null,
    redisUrl: null,
    relayId: null,
    antiEntropyIntervalMs: 5_000,
    relayHeartbeatMs: 2_000,
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
  if (config.persistence === 'off' && (config.databaseUrl !== null || config.redisUrl !== null)) {
    // Asking for shared storage and for none at once is a mistake; guessing which one was meant
    // would either lose documents or store them where nobody expects.
    const other = config.databaseUrl !== null ? 'DATABASE_URL' : 'REDIS_URL'
    throw new ConfigError('PERSISTENCE', env['PERSISTENCE'] ?? 'off', `on when ${other} is set (PERSISTENCE=off keeps documents in memory only; unset ${other} or PERSISTENCE)`)
  }
  if (config.redisUrl !== null && config.databaseUrl === null) {
    // Each relay would keep only its own clients' edits in its own SQLite file.
    throw new ConfigError('REDIS_URL', redactPassword(config.redisUrl), 'DATABASE_URL to be set too (relays behind Redis must share one PostgreSQL database)')
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
    'Usage: pnpm start [-- --help]   (node apps/relay/dist/server.js, built by pnpm --filter @collab/relay run build)',
    '',
    'Collaborative-editing relay: y-websocket protocol on ws://HOST:PORT/sync/<docId>,',
    'documents stored in SQLite under DATA_DIR (or PostgreSQL at DATABASE_URL, or only in memory',
    'with PERSISTENCE=off; several relays share edits through Redis at REDIS_URL). Configured by',
    'environment variables:',
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
