import { CloseCode } from '@collab/protocol'
import type { FastifyInstance } from 'fastify'
import type { OriginPolicy } from '../auth/origin-policy'
import { TokenExpiries } from '../auth/token-expiry'
import type { RelayConfig } from '../config'
import { Connection } from '../connection/connection'
import { inlineInflater } from '../connection/compression'
import type { AddressLimits } from '../limits/address-limits'
import type { RelayMetrics } from '../metrics/relay-metrics'
import type { Room } from '../rooms/room'
import type { RoomManager } from '../rooms/room-manager'
import type { Timers } from '../timers'
import { rejectInvalidDocId, type DocIdParams } from './doc-id-guard'
import { releaseUpgradeRequest } from './release-upgrade'
import { SyncSession, type SyncSessionContext } from './sync-session'
import { corkUpgrade } from './upgrade-cork'
import { upgradeGuard } from './upgrade-guard'

export interface SyncRouteOptions {
  rooms: RoomManager
  /** Every open connection (the heartbeat walks it). */
  connections: Set<Connection>
  config: RelayConfig
  timers: Timers
  addressLimits: AddressLimits
  originPolicy: OriginPolicy
  /** HS256 key from AUTH_SECRET; null when authentication is off. */
  authKey: Uint8Array | null
  metrics: RelayMetrics | null
  /** Wall clock (token expiry), ms since the epoch. */
  wallClockMs(): number
}

/** The only WebSocket route. */
export const SYNC_ROUTE = '/sync/:docId'

/** `WS /sync/:docId`: the y-websocket protocol (see packages/protocol/PROTOCOL.md). */
export async function syncRoutes(fastify: FastifyInstance, options: SyncRouteOptions): Promise<void> {
  const { rooms, connections, config, timers, addressLimits, metrics } = options
  fastify.decorateRequest('relayGrant', null)
  const expiries = new TokenExpiries(timers, options.wallClockMs)
  fastify.addHook('onClose', async () => expiries.dispose())
  const context: SyncSessionContext = { config, timers, connections, addressLimits, metrics, log: fastify.log, expiries, wallClockMs: options.wallClockMs }
  // Shared by every connection (each would otherwise hold its own copy).
  const rate = { perSecond: config.limits.maxMessagesPerSecond, burst: config.limits.messageBurst }
  const sendBuffer = {
    softLimitBytes: config.sendBufferSoftLimitBytes,
    hardLimitBytes: config.sendBufferHardLimitBytes,
    maxBehindMs: config.maxBehindMs,
  }
  const inflater = inlineInflater(config.limits.maxFrameBytes)

  fastify.get<{ Params: DocIdParams; Querystring: { token?: string } }>(
    SYNC_ROUTE,
    {
      websocket: true,
      preValidation: [rejectInvalidDocId, upgradeGuard({ ...options, metrics })],
      preHandler: corkUpgrade,
    },
    (socket, request) => {
      // Everything the connection needs from the request is read here: nothing below may keep
      // `request` (and with it the upgrade's HTTP objects) alive for the socket's life.
      // An open room's copy of the id: its connections share one string instead of one each.
      const docId = rooms.get(request.params.docId)?.docId ?? request.params.docId
      const grant = request.relayGrant
      const ip = request.ip
      const reqId = request.id
      const connection = new Connection(socket, docId, ip, { role: grant?.role ?? 'write', timers, metrics, rate, sendBuffer, tcp: request.raw.socket, inflater })
      // A refused socket logs its errors through a closure; an admitted one through its session.
      releaseUpgradeRequest(socket, request, (error: Error) => fastify.log.info({ reqId, docId, err: error }, 'websocket error'))
      if (rooms.closing) {
        connection.close(CloseCode.ServiceRestart)
        return
      }
      if (!addressLimits.mayConnect(ip)) {
        // Concurrent upgrades from one address all passed the guard before any was counted.
        connection.close(CloseCode.TooManyConnections)
        return
      }
      let room: Room
      try {
        room = rooms.getOrLoad(docId)
      } catch (error) {
        fastify.log.warn({ reqId, docId, connection: connection.id, err: error }, 'no room for connection')
        connection.close(CloseCode.ServiceRestart)
        return
      }
      addressLimits.connected(ip)
      connections.add(connection)
      room.join(connection)
      new SyncSession(context, connection, room, reqId, grant?.expiresAtMs ?? null).start(socket)
    },
  )
}
