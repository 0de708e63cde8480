import type { DocStore } from '@collab/storage'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AccessDeniedError, authorize, grantCovers, verifyAccessToken, type AccessGrant } from '../auth/access-token'
import type { RoomManager } from '../rooms/room-manager'
import { rejectInvalidDocId, type DocIdParams } from './doc-id-guard'

export interface DocsRouteOptions {
  store: DocStore
  rooms: RoomManager
  /** HS256 key (AUTH_SECRET): when set, both routes need a token and list only what it covers. */
  authKey?: Uint8Array | null
  wallClockMs?: () => number
}

/** `Authorization: Bearer <token>`, else the `token` query parameter. */
function requestToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (header?.startsWith('Bearer ')) return header.slice('Bearer '.length)
  const query = request.query as { token?: unknown } | undefined
  return typeof query?.token === 'string' ? query.token : undefined
}

async function denied(reply: FastifyReply, error: AccessDeniedError): Promise<void> {
  await reply.code(error.status).send({ statusCode: error.status, error: error.reason, message: error.message })
}

/** Largest page `GET /api/docs` returns. */
export const MAX_DOCS_PAGE = 1_000

interface ListQuery {
  limit: number
  offset: number
  token?: string
}

const listQuerySchema = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: MAX_DOCS_PAGE, default: 100 },
    offset: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
    token: { type: 'string', maxLength: 8192 },
  },
  additionalProperties: false,
} as const

const docSummarySchema = {
  type: 'object',
  properties: {
    docId: { type: 'string' },
    updatedAtMs: { type: 'number' },
    storedBytes: { type: 'integer' },
    open: { type: 'boolean' },
    connections: { type: 'integer' },
  },
} as const

const docStatsSchema = {
  type: 'object',
  properties: {
    docId: { type: 'string' },
    snapshotBytes: { type: 'integer' },
    logEntries: { type: 'integer' },
    logBytes: { type: 'integer' },
    storedBytes: { type: 'integer' },
    open: { type: 'boolean' },
    connections: { type: 'integer' },
    pendingUpdates: { type: 'integer' },
  },
} as const

/** `GET /api/docs` (stored documents, plus open ones not stored yet) and `GET /api/docs/:docId`. */
export async function docsRoutes(fastify: FastifyInstance, options: DocsRouteOptions): Promise<void> {
  const { store, rooms } = options
  const authKey = options.authKey ?? null
  const wallClockMs = options.wallClockMs ?? Date.now

  fastify.get<{ Querystring: ListQuery }>(
    '/api/docs',
    {
      schema: {
        querystring: listQuerySchema,
        response: {
          200: {
            type: 'object',
            properties: {
              docs: { type: 'array', items: docSummarySchema },
              limit: { type: 'integer' },
              offset: { type: 'integer' },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const { limit, offset } = request.query
      let grant: AccessGrant | null = null
      if (authKey !== null) {
        try {
          grant = await verifyAccessToken(requestToken(request), authKey, wallClockMs())
        } catch (error) {
          if (error instanceof AccessDeniedError) return denied(reply, error)
          throw error
        }
      }
      const visible = (docId: string): boolean => grant === null || grantCovers(grant, docId)
      const stored = (await store.list({ limit, offset })).filter((doc) => visible(doc.docId))
      const open = new Map(rooms.list().map((room) => [room.docId, room]))
      const docs = stored.map((doc) => ({
        ...doc,
        open: open.has(doc.docId),
        connections: open.get(doc.docId)?.connections ?? 0,
      }))
      if (offset === 0) {
        // Open documents with nothing durable yet (new, or first writes still in the group
        // commit) are not in the store's listing; list them first.
        const listed = new Set(stored.map((doc) => doc.docId))
        const unsaved = [...open.values()]
          .filter((room) => !room.stored && !listed.has(room.docId) && visible(room.docId))
          .map((room) => ({
            docId: room.docId,
            updatedAtMs: room.openedAtMs,
            storedBytes: 0,
            open: true,
            connections: room.connections,
          }))
        docs.unshift(...unsaved)
      }
      return { docs: docs.slice(0, limit), limit, offset }
    },
  )

  fastify.get<{ Params: DocIdParams }>(
    '/api/docs/:docId',
    { preValidation: rejectInvalidDocId, schema: { response: { 200: docStatsSchema } } },
    async (request, reply) => {
      const { docId } = request.params
      if (authKey !== null) {
        try {
          await authorize(requestToken(request), authKey, docId, wallClockMs())
        } catch (error) {
          if (error instanceof AccessDeniedError) return denied(reply, error)
          throw error
        }
      }
      const stats = await store.stats(docId)
      const room = rooms.get(docId)
      return {
        docId,
        ...stats,
        storedBytes: stats.snapshotBytes + stats.logBytes,
        open: room !== undefined,
        connections: room?.connectionCount ?? 0,
        pendingUpdates: room?.persistence.pendingUpdates ?? 0,
      }
    },
  )
}
