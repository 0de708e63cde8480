import { HttpRefusal } from '@collab/protocol'
import type { FastifyInstance } from 'fastify'
import type { Connection } from '../connection/connection'
import type { RoomManager } from '../rooms/room-manager'

export interface HealthRouteOptions {
  rooms: RoomManager
  connections: ReadonlySet<Connection>
  /** False once shutdown started. */
  accepting(): boolean
}

const statusSchema = {
  type: 'object',
  properties: {
    status: { type: 'string' },
    reason: { type: 'string' },
    rooms: { type: 'integer' },
    connections: { type: 'integer' },
  },
} as const

/** `GET /healthz` (the process runs) and `GET /readyz` (storage open, not shutting down). */
export async function healthRoutes(fastify: FastifyInstance, options: HealthRouteOptions): Promise<void> {
  const { rooms, connections } = options

  fastify.get('/healthz', { schema: { response: { 200: statusSchema } } }, async () => ({
    status: 'ok',
    rooms: rooms.openRoomCount,
    connections: connections.size,
  }))

  fastify.get(
    '/readyz',
    { schema: { response: { 200: statusSchema, [HttpRefusal.ServiceUnavailable]: statusSchema } } },
    async (_request, reply) => {
      if (!options.accepting() || rooms.closing) {
        return reply.code(HttpRefusal.ServiceUnavailable).send({ status: 'unavailable', reason: 'shutting down' })
      }
      if (rooms.storageFailing) {
        return reply.code(HttpRefusal.ServiceUnavailable).send({ status: 'unavailable', reason: 'storage failing' })
      }
      return { status: 'ready' }
    },
  )
}
