// The relay as a Fastify plugin (fastify/demo style): server.ts only listens and handles signals,
// tests build it with their own store, clock and logger.
import { CloseCode, HttpRefusal } from '@collab/protocol'
import { StorageUnavailableError, type DocStore } from '@collab/storage'
import fastifyWebsocket from '@fastify/websocket'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { ClusterBus } from './cluster/bus'
import type { ClusterLink } from './cluster/cluster-link'
import { createClusterLink, storeIsShared } from './cluster/create-cluster'
import { secretKey } from './auth/access-token'
import { OriginPolicy, isLoopbackHost } from './auth/origin-policy'
import { defaultConfig, type RelayConfig } from './config'
import { AddressLimits } from './limits/address-limits'
import { instrumentStore } from './metrics/instrumented-store'
import { RelayMetrics } from './metrics/relay-metrics'
import { metricsRoutes } from './routes/metrics'
import { reapStalledUpgrades } from './routes/upgrade-reaper'
import { acceptableDeflateOffers, perMessageDeflateOptions } from './connection/compression'
import type { Connection } from './connection/connection'
import { startHeartbeat } from './connection/heartbeat'
import { RoomManager } from './rooms/room-manager'
import { docsRoutes } from './routes/docs'
import { healthRoutes } from './routes/health'
import { SYNC_ROUTE, syncRoutes } from './routes/sync'
import { webRoutes } from './routes/web'
import { realTimers, type Timers } from './timers'
import { serializeRequest } from './request-log'

/** Most fragments one WebSocket message may arrive in (browsers send one; ws closes with 1008). */
export const MAX_MESSAGE_FRAGMENTS = 1_024

/** What tests and server.ts can reach on a built app (`app.relay`). */
export interface RelayHandle {
  readonly config: RelayConfig
  readonly rooms: RoomManager
  /** Every open client connection. */
  readonly connections: ReadonlySet<Connection>
  /** `/metrics` counters. */
  readonly metrics: RelayMetrics
  /** Connections and document opens per remote address. */
  readonly addressLimits: AddressLimits
  /** The link to the other relays (REDIS_URL); null when this relay runs alone. */
  readonly cluster: ClusterLink | null
}

declare module 'fastify' {
  interface FastifyInstance {
    relay: RelayHandle
  }
}

export interface RelayAppOptions {
  /** An open store; the caller closes it after `app.close()`. */
  store: DocStore
  config: RelayConfig
  timers?: Timers
  /** A cluster bus instead of Redis at `config.redisUrl` (tests). */
  clusterBus?: ClusterBus
}

export interface BuildAppOptions {
  store: DocStore
  /** Overrides of the defaults (`limits` and `compaction` may be partial). */
  config?: ConfigOverrides
  /**
   * Fastify logger option; default `{ level: config.logLevel }`. Tests pass `false`. Requests are
   * always logged with their token redacted ({@link serializeRequest}).
   */
  logger?: FastifyServerOptions['logger']
  timers?: Timers
  /** A cluster bus instead of Redis at `config.redisUrl` (tests). */
  clusterBus?: ClusterBus
}

export type ConfigOverrides = Partial<Omit<RelayConfig, 'limits' | 'compaction'>> & {
  limits?: Partial<RelayConfig['limits']>
  compaction?: Partial<RelayConfig['compaction']>
}

/** Defaults with `overrides` applied. */
export function resolveConfig(overrides: ConfigOverrides = {}): RelayConfig {
  const defaults = defaultConfig()
  return {
    ...defaults,
    ...overrides,
    limits: { ...defaults.limits, ...overrides.limits },
    compaction: { ...defaults.compaction, ...overrides.compaction },
  }
}

/**
 * The relay: WebSocket sync, health, document API and the web app, over an injected store.
 * Registered without encapsulation so `app.relay` is visible on the instance it is added to.
 */
async function relayAppPlugin(fastify: FastifyInstance, options: RelayAppOptions): Promise<void> {
  const { store, config } = options
  const timers = options.timers ?? realTimers
  const connections = new Set<Connection>()
  const metrics: RelayMetrics = new RelayMetrics({ connections: () => connections.size, rooms: (): number => rooms.openRoomCount })
  const addressLimits = new AddressLimits({
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    maxRoomOpensPerIpPerMinute: config.maxRoomOpensPerIpPerMinute,
    now: () => timers.now(),
  })
  const authKey = config.authSecret === null ? null : secretKey(config.authSecret)
  const cluster = await createClusterLink({
    config,
    store,
    timers,
    logger: fastify.log,
    ...(options.clusterBus ? { bus: options.clusterBus } : {}),
  })
  const rooms = new RoomManager({
    store: instrumentStore(store, metrics, () => timers.now()),
    metrics,
    timers,
    logger: fastify.log,
    limits: config.limits,
    flushIntervalMs: config.flushIntervalMs,
    flushMaxBatchBytes: config.flushMaxBatchBytes,
    storageRetryMs: config.storageRetryMs,
    compaction: config.compaction,
    awarenessFlushMs: config.awarenessFlushMs,
    awarenessMaxStatesPerSecond: config.awarenessMaxStatesPerSecond,
    unloadDelayMs: config.roomUnloadDelayMs,
    deflateKeptAnswers: config.compression === 'all',
    cluster,
    sharedStore: storeIsShared(config, cluster),
  })
  let accepting = true
  fastify.decorate('relay', { config, rooms, connections, cluster, metrics, addressLimits } satisfies RelayHandle)
  if (authKey === null) {
    fastify.log.info({ auth: 'off' }, 'authentication off: any client that can reach the relay may read and write every document (set AUTH_SECRET to require tokens)')
  } else {
    fastify.log.info({ auth: 'hs256' }, 'authentication on: WebSockets and /api need an HS256 token (query parameter token)')
  }

  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(HttpRefusal.BadRequest).send({
        statusCode: HttpRefusal.BadRequest,
        error: 'Bad Request',
        code: error.code,
        message: error.message,
      })
    }
    if (error instanceof StorageUnavailableError) {
      request.log.warn({ err: error }, 'storage unavailable')
      return reply
        .code(HttpRefusal.ServiceUnavailable)
        .send({ statusCode: HttpRefusal.ServiceUnavailable, error: 'Service Unavailable', message: 'storage unavailable' })
    }
    request.log.error({ err: error }, 'request failed')
    const statusCode = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500
    return reply.code(statusCode).send({ statusCode, error: 'Error', message: statusCode === 500 ? 'internal error' : error.message })
  })

  await fastify.register(fastifyWebsocket, {
    // A message may come in fragments; more than MAX_MESSAGE_FRAGMENTS close it with 1008.
    // All frames of one TCP read are handled in one tick (ws's default): one event-loop turn
    // per frame made the relay ~2× slower under load (benchmark scenario 2, N=10: 7.2k → 13.2k
    // updates/s). A burst stays bounded by the per-connection message rate and frame limits.
    options: {
      maxPayload: config.limits.maxFrameBytes,
      maxFragments: MAX_MESSAGE_FRAGMENTS,
      allowSynchronousEvents: true,
      // The relay tracks its sockets itself (`connections`); ws's own Set would add an entry and
      // a 'close' listener closure to every socket (~150 bytes each).
      clientTracking: false,
      // WS_COMPRESSION=awareness or all: negotiated so awareness broadcasts (and with `all` a
      // room's large kept answers to joiners) can go compressed (see connection/compression.ts);
      // ws itself never compresses (threshold ∞, compress: false).
      perMessageDeflate: config.compression !== 'off' ? perMessageDeflateOptions(config.limits.maxFrameBytes) : false,
    },
    // Client-caused socket errors (oversized frame → ws closes with 1009, resets) are routine.
    errorHandler: (error, _socket, request) => {
      request.log.info({ err: error }, 'websocket error')
    },
    // Shutdown: fastify already refuses new requests (503) and upgrades; flush every room, then
    // close every socket with 1012 so clients reconnect to the next process.
    preClose: async () => {
      accepting = false
      await rooms.closeAll(timers.now() + config.shutdownTimeoutMs)
      // After the rooms flushed: peers drop our clients' presence when they see our BYE.
      await cluster?.close()
      // ws's close() waits only for the clients it tracks (none, see clientTracking): wait for
      // ours to finish their close handshake (or ws's close timeout) here.
      const closed = [...connections].map((connection) => new Promise((resolve) => connection.socket.once('close', resolve)))
      for (const connection of connections) connection.close(CloseCode.ServiceRestart)
      await Promise.all(closed)
      await new Promise<void>((resolve) => fastify.websocketServer.close(() => resolve()))
    },
  })

  // Only /sync/:docId speaks WebSocket. Without this, @fastify/websocket would upgrade a request
  // to any other route (e.g. the web app's wildcard) and then close it without a code.
  fastify.addHook('onRequest', async (request, reply) => {
    if (request.ws && config.compression !== 'off') {
      // Offers ws could only answer by refusing the upgrade are dropped: that client runs
      // uncompressed instead.
      const offers = acceptableDeflateOffers(request.raw.headers['sec-websocket-extensions'])
      if (offers === null) delete request.raw.headers['sec-websocket-extensions']
      else request.raw.headers['sec-websocket-extensions'] = offers
    }
    if (request.ws && request.routeOptions.url !== SYNC_ROUTE) {
      await reply.code(404).send({
        statusCode: 404,
        error: 'Not Found',
        message: `No WebSocket endpoint at ${request.url.split('?')[0]}; documents sync at ${SYNC_ROUTE}`,
      })
    }
  })

  reapStalledUpgrades(fastify.server, fastify.websocketServer, config.handshakeTimeoutMs, timers)

  const stopHeartbeat = startHeartbeat({
    intervalMs: config.pingIntervalMs,
    timers,
    connections: () => connections,
    onDead: (connection) => fastify.log.info({ docId: connection.docId, connection: connection.id }, 'terminating socket that missed a pong'),
  })
  fastify.addHook('onClose', async () => {
    stopHeartbeat()
    metrics.close()
  })

  await fastify.register(healthRoutes, { rooms, connections, accepting: () => accepting })
  await fastify.register(syncRoutes, {
    rooms,
    connections,
    config,
    timers,
    addressLimits,
    originPolicy: new OriginPolicy({ allowedOrigins: config.allowedOrigins, listensOnLoopback: isLoopbackHost(config.host) }),
    authKey,
    metrics,
    wallClockMs: Date.now,
  })
  await fastify.register(docsRoutes, { store, rooms, authKey, wallClockMs: Date.now })
  await fastify.register(metricsRoutes, { metrics, token: config.metricsToken })
  await fastify.register(webRoutes, { webDistDir: config.webDistDir })
}

/** {@link relayAppPlugin} marked like fastify-plugin does, so its decorators are not encapsulated. */
export const relayApp = Object.assign(relayAppPlugin, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'collab-relay',
})

/** The logger option with the relay's request serializer, which no option may replace. */
function withRedactedRequests(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (logger === false || logger === undefined) return logger
  const options = logger === true ? {} : logger
  return { ...options, serializers: { ...options.serializers, req: serializeRequest } }
}

/** A Fastify instance with the relay registered (not listening yet). */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const config = resolveConfig(options.config)
  const app = Fastify({
    logger: withRedactedRequests(options.logger ?? { level: config.logLevel }),
    // request.ip (per-address limits, logs): the client's address when a trusted proxy forwarded it.
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    // Doc ids are up to 128 characters; longer (invalid) ids must still reach the 400 handler.
    routerOptions: { maxParamLength: 2048 },
    // Ajv checks each schema against the JSON Schema meta-schema before compiling it, and compiling
    // that meta-schema took ~70 ms of every start (for one querystring schema). Our schemas are
    // constants; route-schemas.test.ts checks them against the meta-schema instead.
    ajv: { customOptions: { validateSchema: false } },
    // Pre-auth time: the upgrade request's headers must arrive within the handshake timeout
    // (a slowloris upgrade gets 408), checked often enough to matter; a connection idle that
    // long is dropped (ws clears the idle timeout of upgraded sockets; the heartbeat takes over).
    connectionTimeout: config.handshakeTimeoutMs,
    http: {
      headersTimeout: config.handshakeTimeoutMs,
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(config.handshakeTimeoutMs / 4))),
    },
  })
  await app.register(relayApp, {
    store: options.store,
    config,
    ...(options.timers ? { timers: options.timers } : {}),
    ...(options.clusterBus ? { clusterBus: options.clusterBus } : {}),
  })
  return app
}
