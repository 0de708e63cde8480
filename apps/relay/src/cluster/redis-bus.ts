// The cluster bus on Redis pub/sub (ioredis): one subscriber and one publisher connection per
// relay. Both reconnect by themselves; the bus reports "connected" once both are up and the
// subscriber has confirmed its (re)subscriptions, so the link knows when to run anti-entropy.
import type { FastifyBaseLogger } from 'fastify'
import type { Redis, RedisOptions } from 'ioredis'
import type { ClusterBus, ClusterBusHandlers } from './bus'

/** Reconnect delay: 100 ms doubling to 2 s, so a restarted Redis is found again quickly. */
function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt - 1, 5), 2_000)
}

/** The URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password !== '') parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparsable URL)'
  }
}

export class RedisBus implements ClusterBus {
  private readonly subscriber: Redis
  private readonly publisher: Redis
  private handlers: ClusterBusHandlers | null = null
  private subscriberReady = false
  private publisherReady = false
  private reportedConnected = false
  /** Logged once per outage, not once per reconnect attempt. */
  private outageLogged = false
  private closed = false

  /** Loads ioredis here, not at the top: a relay without REDIS_URL never pays for it (~2 MiB of heap). */
  static async create(url: string, logger: FastifyBaseLogger, relayId: string): Promise<RedisBus> {
    const { Redis } = await import('ioredis')
    return new RedisBus(url, logger, relayId, Redis)
  }

  private constructor(
    readonly url: string,
    private readonly logger: FastifyBaseLogger,
    relayId: string,
    Redis: typeof import('ioredis').Redis,
  ) {
    const common: RedisOptions = {
      lazyConnect: true,
      retryStrategy: reconnectDelayMs,
      connectTimeout: 5_000,
      // Resubscribing is what makes a reconnect heal; ioredis does it before it reports ready.
      autoResubscribe: true,
    }
    // SUBSCRIBE/UNSUBSCRIBE issued while disconnected wait for the connection, however long.
    this.subscriber = new Redis(url, { ...common, connectionName: `collab-${relayId}-sub`, maxRetriesPerRequest: null })
    // A publish while disconnected is dropped at once instead of piling up in memory:
    // anti-entropy after the reconnect sends what peers missed.
    this.publisher = new Redis(url, {
      ...common,
      connectionName: `collab-${relayId}-pub`,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    })
  }

  get connected(): boolean {
    return this.subscriberReady && this.publisherReady
  }

  start(handlers: ClusterBusHandlers): void {
    this.handlers = handlers
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      handlers.onMessage(channel.toString('utf8'), new Uint8Array(message.buffer, message.byteOffset, message.byteLength))
    })
    this.subscriber.on('ready', () => {
      // Commands run in order: once PING answers, the resubscriptions sent before it are active.
      this.subscriber
        .ping()
        .then(() => {
          this.subscriberReady = true
          this.update()
        })
        .catch(() => undefined)
    })
    this.publisher.on('ready', () => {
      this.publisherReady = true
      this.update()
    })
    for (const [client, which] of [
      [this.subscriber, 'subscriber'],
      [this.publisher, 'publisher'],
    ] as const) {
      client.on('error', (error: Error) => this.onError(which, error))
      client.on('close', () => {
        if (which === 'subscriber') this.subscriberReady = false
        else this.publisherReady = false
        this.update()
      })
    }
    this.subscriber.connect().catch(() => undefined)
    this.publisher.connect().catch(() => undefined)
  }

  publish(channel: string, message: Uint8Array): void {
    if (!this.publisherReady || this.closed) return
    this.publisher.publish(channel, Buffer.from(message.buffer, message.byteOffset, message.byteLength)).catch(() => undefined)
  }

  subscribe(channel: string): void {
    if (this.closed) return
    this.subscriber.subscribe(channel).catch((error: unknown) => {
      if (!this.closed) this.logger.warn({ err: error, channel }, 'redis subscribe failed')
    })
  }

  unsubscribe(channel: string): void {
    if (this.closed) return
    this.subscriber.unsubscribe(channel).catch(() => undefined)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // QUIT after the queued publishes (e.g. the BYE); a dead server is just disconnected.
    await Promise.all(
      [this.publisher, this.subscriber].map(async (client) => {
        if (client.status === 'ready') await client.quit().catch(() => client.disconnect())
        else client.disconnect()
      }),
    )
  }

  private update(): void {
    const connected = this.connected
    if (connected === this.reportedConnected || this.closed) return
    this.reportedConnected = connected
    if (connected) {
      if (this.outageLogged) this.logger.info({ redis: redactUrl(this.url) }, 'redis connection restored')
      this.outageLogged = false
      this.handlers?.onConnected()
    } else {
      this.handlers?.onDisconnected()
    }
  }

  private onError(which: 'subscriber' | 'publisher', error: Error): void {
    if (this.outageLogged || this.closed) return
    this.outageLogged = true
    this.logger.warn(
      { err: error, redis: redactUrl(this.url), connection: which },
      "redis unreachable: edits still reach this relay's own clients; other relays catch up once it is back",
    )
  }
}
