import { timingSafeEqual } from 'node:crypto'
import { HttpRefusal } from '@collab/protocol'
import type { FastifyInstance } from 'fastify'
import { METRICS_CONTENT_TYPE, type RelayMetrics } from '../metrics/relay-metrics'

export interface MetricsRouteOptions {
  metrics: RelayMetrics
  /** When set, requests need `Authorization: Bearer <token>` (METRICS_TOKEN). */
  token: string | null
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** `GET /metrics`: Prometheus text format (see README "Metrics"). */
export async function metricsRoutes(fastify: FastifyInstance, options: MetricsRouteOptions): Promise<void> {
  fastify.get('/metrics', async (request, reply) => {
    if (options.token !== null) {
      const header = request.headers.authorization ?? ''
      const given = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : ''
      if (!sameSecret(given, options.token)) {
        return reply
          .code(HttpRefusal.Unauthorized)
          .header('www-authenticate', 'Bearer')
          .send({ statusCode: HttpRefusal.Unauthorized, error: 'Unauthorized', message: 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"' })
      }
    }
    return reply.header('content-type', METRICS_CONTENT_TYPE).send(await options.metrics.render())
  })
}
