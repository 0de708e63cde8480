// An in-process stand-in for Redis pub/sub, for tests of the cluster logic without a server:
// delivery is asynchronous and in order per publisher (like Redis), and a test can drop chosen
// messages or cut one relay off and reconnect it.
import type { ClusterBus, ClusterBusHandlers } from '../../src/cluster/bus'
import { decodeClusterMessage, type ClusterMessage } from '../../src/cluster/wire'

export interface PublishedMessage {
  channel: string
  message: ClusterMessage
  bytes: number
}

class MemoryEndpoint implements ClusterBus {
  handlers: ClusterBusHandlers | null = null
  readonly channels = new Set<string>()
  online = true
  closed = false

  constructor(private readonly hub: MemoryBusHub) {}

  get connected(): boolean {
    return this.online && !this.closed
  }

  start(handlers: ClusterBusHandlers): void {
    this.handlers = handlers
    if (this.online) setImmediate(() => this.connected && handlers.onConnected())
  }

  publish(channel: string, message: Uint8Array): void {
    if (this.connected) this.hub.deliver(this, channel, message.slice())
  }

  subscribe(channel: string): void {
    this.channels.add(channel)
  }

  unsubscribe(channel: string): void {
    this.channels.delete(channel)
  }

  async close(): Promise<void> {
    this.closed = true
  }
}

/** Connects any number of relays; every message passes {@link drop} first. */
export class MemoryBusHub {
  private readonly endpoints: MemoryEndpoint[] = []
  /** Every message published while its publisher was connected, decoded (for assertions). */
  readonly published: PublishedMessage[] = []
  /** Return true to lose a message on its way to one subscriber. */
  drop: (message: ClusterMessage, channel: string) => boolean = () => false

  endpoint(): ClusterBus {
    const endpoint = new MemoryEndpoint(this)
    this.endpoints.push(endpoint)
    return endpoint
  }

  /** Cuts a relay off the bus (like its Redis connections dropping). */
  disconnect(bus: ClusterBus): void {
    const endpoint = this.find(bus)
    endpoint.online = false
    endpoint.handlers?.onDisconnected()
  }

  reconnect(bus: ClusterBus): void {
    const endpoint = this.find(bus)
    endpoint.online = true
    endpoint.handlers?.onConnected()
  }

  deliver(from: MemoryEndpoint, channel: string, bytes: Uint8Array): void {
    const message = decodeClusterMessage(bytes)
    this.published.push({ channel, message, bytes: bytes.byteLength })
    for (const endpoint of this.endpoints) {
      if (!endpoint.connected || !endpoint.channels.has(channel)) continue
      if (endpoint !== from && this.drop(message, channel)) continue
      setImmediate(() => {
        if (endpoint.connected && endpoint.channels.has(channel)) endpoint.handlers?.onMessage(channel, bytes)
      })
    }
  }

  private find(bus: ClusterBus): MemoryEndpoint {
    const endpoint = this.endpoints.find((candidate) => candidate === bus)
    if (endpoint === undefined) throw new Error('not an endpoint of this hub')
    return endpoint
  }
}
