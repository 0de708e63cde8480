import type { DocStore } from '@collab/storage'
import type { FastifyBaseLogger } from 'fastify'
import type { RelayConfig } from '../config'
import type { Timers } from '../timers'
import type { ClusterBus } from './bus'
import { ClusterLink, randomRelayId } from './cluster-link'
import { RedisBus, redactUrl } from './redis-bus'

export interface CreateClusterOptions {
  config: RelayConfig
  store: DocStore
  timers: Timers
  logger: FastifyBaseLogger
  /** A bus instead of Redis at `config.redisUrl` (tests). */
  bus?: ClusterBus
  random?: () => number
}

/** The cluster link when REDIS_URL (or a test bus) is given, else null: this relay runs alone. */
export async function createClusterLink(options: CreateClusterOptions): Promise<ClusterLink | null> {
  const { config, logger } = options
  if (options.bus === undefined && config.redisUrl === null) return null
  const relayId = config.relayId ?? randomRelayId()
  const bus = options.bus ?? (await RedisBus.create(config.redisUrl as string, logger, relayId))
  if (config.redisUrl !== null && options.bus === undefined) {
    logger.info({ relayId, redis: redactUrl(config.redisUrl) }, 'joining relays over redis')
  }
  return new ClusterLink({
    relayId,
    bus,
    store: options.store,
    timers: options.timers,
    logger,
    limits: config.limits,
    antiEntropyIntervalMs: config.antiEntropyIntervalMs,
    heartbeatMs: config.relayHeartbeatMs,
    awarenessFlushMs: config.awarenessFlushMs,
    ...(options.random ? { random: options.random } : {}),
  })
}

/**
 * Whether other relays may write the same documents: then compaction folds what is stored,
 * under the store's compaction lock, instead of snapshotting the live document.
 */
export function storeIsShared(config: RelayConfig, cluster: ClusterLink | null): boolean {
  return cluster !== null || config.databaseUrl !== null
}
