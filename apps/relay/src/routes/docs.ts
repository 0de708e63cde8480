import type { DocStore } from '@collab/storage'
import type { FastifyInstance } from 'fastify'
import type { RoomManager } from '../rooms/room-manager'
import { rejectInvalidDocId, type DocIdParams } from './doc-id-guard'

export interface DocsRouteOptions {
  store: DocStore
  rooms: RoomManager
}

/** Largest page `GET /api/docs` returns. */
export const MAX_DOCS_PAGE = 1_000

interface ListQuery {
  limit: number
  offset: number
}

const listQuerySchema = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: MAX_DOCS_PAGE, default: 100 },
    offset: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
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
    async (request) => {
      const { limit, offset } = request.query
      const stored = await store.list({ limit, offset })
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
          .filter((room) => !room.stored && !listed.has(room.docId))
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
    async (request) => {
      const { docId } = request.params
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
