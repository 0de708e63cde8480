import { CloseCode, ProtocolError, closeReason, decodeFrame, type Frame } from '@collab/protocol'
import type { FastifyInstance } from 'fastify'
import type { RawData } from 'ws'
import { Connection } from '../connection/connection'
import type { Room } from '../rooms/room'
import type { RoomManager } from '../rooms/room-manager'
import { rejectInvalidDocId, type DocIdParams } from './doc-id-guard'

export interface SyncRouteOptions {
  rooms: RoomManager
  /** Every open connection (the heartbeat walks it). */
  connections: Set<Connection>
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
}

/** The only WebSocket route. */
export const SYNC_ROUTE = '/sync/:docId'

/** `WS /sync/:docId`: the y-websocket protocol (see packages/protocol/PROTOCOL.md). */
export async function syncRoutes(fastify: FastifyInstance, options: SyncRouteOptions): Promise<void> {
  const { rooms, connections } = options

  fastify.get<{ Params: DocIdParams }>(
    SYNC_ROUTE,
    { websocket: true, preValidation: rejectInvalidDocId },
    (socket, request) => {
      const { docId } = request.params
      const connection = new Connection(socket, docId, request.ip)
      if (rooms.closing) {
        connection.close(CloseCode.ServiceRestart)
        return
      }
      const log = request.log.child({ docId, connection: connection.id })
      let room: Room
      try {
        room = rooms.getOrLoad(docId)
      } catch (error) {
        log.warn({ err: error }, 'no room for connection')
        connection.close(CloseCode.ServiceRestart)
        return
      }
      connections.add(connection)
      room.join(connection)

      const refuse = (code: CloseCode, message: string): void => {
        log.info({ code, reason: closeReason[code], message }, 'connection refused')
        connection.close(code)
      }

      socket.on('message', (data: RawData, isBinary: boolean) => {
        connection.alive = true
        if (!connection.open) return
        if (!isBinary) {
          refuse(CloseCode.MalformedFrame, 'text frame; the protocol is binary')
          return
        }
        try {
          const frame: Frame = decodeFrame(toBytes(data))
          room.receive(connection, frame)
        } catch (error) {
          // Untrusted input never throws out of a socket handler.
          if (error instanceof ProtocolError) refuse(error.closeCode, error.message)
          else {
            log.error({ err: error }, 'handling a frame failed unexpectedly')
            connection.close(CloseCode.InternalError)
          }
        }
      })
      socket.on('pong', () => {
        connection.alive = true
      })
      socket.once('close', () => {
        connections.delete(connection)
        room.leave(connection)
      })
    },
  )
}
