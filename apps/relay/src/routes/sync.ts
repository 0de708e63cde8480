import { CloseCode, ProtocolError, closeReason, decodeFrame, type Frame } from '@collab/protocol'
import type { FastifyInstance } from 'fastify'
import type { RawData } from 'ws'
import type { OriginPolicy } from '../auth/origin-policy'
import type { RelayConfig } from '../config'
import { Connection } from '../connection/connection'
import type { AddressLimits } from '../limits/address-limits'
import type { RelayMetrics } from '../metrics/relay-metrics'
import type { Room } from '../rooms/room'
import type { RoomManager } from '../rooms/room-manager'
import type { TimerHandle, Timers } from '../timers'
import { rejectInvalidDocId, type DocIdParams } from './doc-id-guard'
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

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
}

/** The only WebSocket route. */
export const SYNC_ROUTE = '/sync/:docId'

/** setTimeout cannot wait longer than this (longer delays fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1
/** A message costs one token plus one per this many bytes … */
const BYTES_PER_TOKEN = 64 * 1024
/** … plus one per millisecond the relay spent handling it. */
const MS_PER_TOKEN = 1

/** `WS /sync/:docId`: the y-websocket protocol (see packages/protocol/PROTOCOL.md). */
export async function syncRoutes(fastify: FastifyInstance, options: SyncRouteOptions): Promise<void> {
  const { rooms, connections, config, timers, addressLimits, metrics } = options
  fastify.decorateRequest('relayGrant', null)

  fastify.get<{ Params: DocIdParams; Querystring: { token?: string } }>(
    SYNC_ROUTE,
    {
      websocket: true,
      preValidation: [rejectInvalidDocId, upgradeGuard({ ...options, metrics })],
    },
    (socket, request) => {
      const { docId } = request.params
      const grant = request.relayGrant
      const connection = new Connection(socket, docId, request.ip, {
        role: grant?.role ?? 'write',
        timers,
        metrics,
        rate: { perSecond: config.limits.maxMessagesPerSecond, burst: config.limits.messageBurst },
        sendBuffer: {
          softLimitBytes: config.sendBufferSoftLimitBytes,
          hardLimitBytes: config.sendBufferHardLimitBytes,
          maxBehindMs: config.maxBehindMs,
        },
      })
      if (rooms.closing) {
        connection.close(CloseCode.ServiceRestart)
        return
      }
      const log = request.log.child({ docId, connection: connection.id })
      if (!addressLimits.mayConnect(request.ip)) {
        // Concurrent upgrades from one address all passed the guard before any was counted.
        connection.close(CloseCode.TooManyConnections)
        return
      }
      let room: Room
      try {
        room = rooms.getOrLoad(docId)
      } catch (error) {
        log.warn({ err: error }, 'no room for connection')
        connection.close(CloseCode.ServiceRestart)
        return
      }
      addressLimits.connected(request.ip)
      connections.add(connection)
      room.join(connection)

      const refuse = (code: CloseCode, message: string): void => {
        log.info({ code, reason: closeReason[code], message }, 'connection refused')
        connection.close(code)
      }

      // A socket that never speaks holds a slot for nothing; a stock client sends its step 1 at once.
      let handshakeTimer: TimerHandle | null = timers.setTimeout(() => {
        handshakeTimer = null
        refuse(CloseCode.AuthTimeout, `no message within ${config.handshakeTimeoutMs} ms of the upgrade`)
      }, config.handshakeTimeoutMs)
      let expiryTimer: TimerHandle | null = null
      const armExpiry = (): void => {
        if (grant === null) return
        const remainingMs = grant.expiresAtMs - options.wallClockMs()
        if (remainingMs <= 0) {
          refuse(CloseCode.Unauthorized, 'token expired')
          return
        }
        expiryTimer = timers.setTimeout(armExpiry, Math.min(remainingMs, MAX_TIMER_MS))
      }
      armExpiry()

      socket.on('message', (data: RawData, isBinary: boolean) => {
        connection.alive = true
        if (!connection.open) return
        if (handshakeTimer !== null) {
          timers.clearTimeout(handshakeTimer)
          handshakeTimer = null
        }
        if (!connection.rate.take(1)) {
          refuse(CloseCode.RateLimited, 'message rate over MAX_MESSAGES_PER_SECOND / MESSAGE_BURST')
          return
        }
        if (!isBinary) {
          refuse(CloseCode.MalformedFrame, 'text frame; the protocol is binary')
          return
        }
        const bytes = toBytes(data)
        const startedMs = timers.now()
        try {
          const frame: Frame = decodeFrame(bytes)
          metrics?.message('in', frame.type, bytes.byteLength)
          room.receive(connection, frame)
        } catch (error) {
          // Untrusted input never throws out of a socket handler.
          if (error instanceof ProtocolError) refuse(error.closeCode, error.message)
          else {
            log.error({ err: error }, 'handling a frame failed unexpectedly')
            connection.close(CloseCode.InternalError)
          }
        }
        // Large frames and expensive ones (conflict resolution, big answers) cost more.
        connection.rate.charge(bytes.byteLength / BYTES_PER_TOKEN + (timers.now() - startedMs) / MS_PER_TOKEN)
      })
      socket.on('pong', () => {
        connection.alive = true
      })
      socket.on('error', (error: Error & { code?: string }) => {
        if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') metrics?.refusal(CloseCode.FrameTooBig, closeReason[CloseCode.FrameTooBig])
      })
      socket.once('close', () => {
        if (handshakeTimer !== null) timers.clearTimeout(handshakeTimer)
        if (expiryTimer !== null) timers.clearTimeout(expiryTimer)
        handshakeTimer = null
        expiryTimer = null
        connection.dispose()
        connections.delete(connection)
        addressLimits.disconnected(request.ip)
        room.leave(connection)
      })
    },
  )
}
