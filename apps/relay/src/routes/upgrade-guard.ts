import { HttpRefusal } from '@collab/protocol'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { AccessDeniedError, authorize, type AccessGrant } from '../auth/access-token'
import type { OriginPolicy } from '../auth/origin-policy'
import type { AddressLimits } from '../limits/address-limits'
import type { RelayMetrics } from '../metrics/relay-metrics'
import type { RoomManager } from '../rooms/room-manager'
import type { DocIdParams } from './doc-id-guard'

export interface UpgradeGuardOptions {
  originPolicy: OriginPolicy
  addressLimits: AddressLimits
  rooms: RoomManager
  /** HS256 key (AUTH_SECRET); null: authentication off, every client may write. */
  authKey: Uint8Array | null
  metrics: RelayMetrics | null
  /** Wall clock for token expiry, ms since the epoch. */
  wallClockMs(): number
}

declare module 'fastify' {
  interface FastifyRequest {
    /** What the upgrade's token allows (null while authentication is off). */
    relayGrant: AccessGrant | null
  }
}

interface TokenQuery {
  token?: string
}

/**
 * preValidation hook of `WS /sync/:docId`, after the doc-id check: everything that must be
 * refused before the upgrade completes, so a refused client never gets a socket. In order:
 * foreign `Origin` (403), too many connections from the address (429), token missing, invalid or
 * expired (401) or not for this document (403), too many documents opened from the address (429).
 */
export function upgradeGuard(options: UpgradeGuardOptions) {
  const { originPolicy, addressLimits, rooms, authKey, metrics } = options

  const refuse = async (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    reason: string,
    message: string,
  ): Promise<void> => {
    metrics?.refusal(status, reason)
    // Debug only: a flood of refused upgrades must not become a flood of log lines.
    request.log.debug({ status, reason, ip: request.ip }, 'upgrade refused')
    await reply.code(status).send({ statusCode: status, error: reason, message })
  }

  return async function guardUpgrade(
    request: FastifyRequest<{ Params: DocIdParams; Querystring: TokenQuery }>,
    reply: FastifyReply,
  ): Promise<void> {
    request.relayGrant = null
    const origin = request.headers.origin
    if (!originPolicy.allows(origin, request.headers.host)) {
      return refuse(request, reply, HttpRefusal.Forbidden, 'foreign-origin', `Origin ${JSON.stringify(origin)} is not allowed (ALLOWED_ORIGINS)`)
    }
    if (!addressLimits.mayConnect(request.ip)) {
      return refuse(request, reply, HttpRefusal.TooManyRequests, 'too-many-connections', 'Too many connections from this address')
    }
    const { docId } = request.params
    if (authKey !== null) {
      const token = typeof request.query.token === 'string' ? request.query.token : undefined
      try {
        request.relayGrant = await authorize(token, authKey, docId, options.wallClockMs())
      } catch (error) {
        if (error instanceof AccessDeniedError) return refuse(request, reply, error.status, error.reason, error.message)
        throw error
      }
    }
    if (rooms.get(docId) === undefined && !addressLimits.tryOpenRoom(request.ip)) {
      return refuse(request, reply, HttpRefusal.TooManyRequests, 'too-many-documents', 'Too many documents opened from this address; try again in a minute')
    }
  }
}
