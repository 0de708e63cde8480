import { TokenBucket } from './token-bucket'

export interface AddressLimitsOptions {
  /** Most open WebSocket connections from one remote address. */
  maxConnectionsPerIp: number
  /** Most documents one address may cause to be opened (loaded) per minute (bucket of that size). */
  maxRoomOpensPerIpPerMinute: number
  /** Injected clock, milliseconds. */
  now(): number
}

/** Beyond this many tracked addresses, idle ones (full buckets) are forgotten. */
const SWEEP_AT_ADDRESSES = 4_096

/**
 * Per remote address: open connections, and a budget for opening documents that are not loaded
 * yet (each open loads from storage and allocates a Y.Doc, so "many doc names" is a flood of its
 * own). Counts are exact; a burst of concurrent upgrades may overshoot the connection limit by
 * the upgrades in flight, which the WebSocket handler catches with close 4530.
 */
export class AddressLimits {
  private readonly connections = new Map<string, number>()
  private readonly roomOpens = new Map<string, TokenBucket>()

  constructor(private readonly options: AddressLimitsOptions) {}

  connectionCount(address: string): number {
    return this.connections.get(address) ?? 0
  }

  /** Whether one more connection from `address` is within the limit. */
  mayConnect(address: string): boolean {
    return this.connectionCount(address) < this.options.maxConnectionsPerIp
  }

  connected(address: string): void {
    this.connections.set(address, this.connectionCount(address) + 1)
  }

  disconnected(address: string): void {
    const count = this.connectionCount(address) - 1
    if (count > 0) this.connections.set(address, count)
    else this.connections.delete(address)
  }

  /** Spends one document-open from `address`'s budget; false when it is used up. */
  tryOpenRoom(address: string): boolean {
    let bucket = this.roomOpens.get(address)
    if (bucket === undefined) {
      if (this.roomOpens.size >= SWEEP_AT_ADDRESSES) this.sweep()
      const perMinute = this.options.maxRoomOpensPerIpPerMinute
      bucket = new TokenBucket(perMinute / 60, perMinute, this.options)
      this.roomOpens.set(address, bucket)
    }
    return bucket.take(1)
  }

  /** Addresses currently tracked (for tests: nothing leaks). */
  get trackedAddresses(): number {
    return new Set([...this.connections.keys(), ...this.roomOpens.keys()]).size
  }

  private sweep(): void {
    for (const [address, bucket] of this.roomOpens) if (bucket.full) this.roomOpens.delete(address)
  }
}
