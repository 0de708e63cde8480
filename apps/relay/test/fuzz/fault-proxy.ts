// A fault-injecting TCP proxy between fuzz clients and the relay. It works below WebSocket: it
// delays bytes, cuts writes at arbitrary byte boundaries (so frames, and the HTTP upgrade, arrive
// in pieces), stalls a direction for a while and resets connections (RST or FIN) mid-frame.
// Choices are drawn per connection from a seeded stream; `calm()` keeps only delays and
// splitting (a slow but stable network), `heal()` stops all injection.
import net from 'node:net'
import { DEFAULT_FAULT_PROFILE, type FaultCounts, type FaultProfile, type ProxyMode, type ResetKind } from './fault-profile'
import type { Random } from './random'

export { DEFAULT_FAULT_PROFILE, injectedFaults, type FaultCounts, type FaultProfile, type ProxyMode, type ResetKind } from './fault-profile'

interface ConnectionFaults {
  latencyMs: number
  jitterMs: number
  /** 0: forward chunks whole. */
  splitMaxBytes: number
}

const SPLIT_SIZES = [1, 2, 5, 17, 64, 700] as const
/** A huge chunk is cut into at most this many pieces; the rest goes in one write. */
const MAX_PIECES_PER_CHUNK = 48

/** One direction of a connection: an ordered queue of timed writes. */
class Pipe {
  private readonly queue: Array<{ data: Buffer; atMs: number }> = []
  private timer: NodeJS.Timeout | null = null
  private lastAtMs = 0
  private stalledUntilMs = 0
  private sourceEnded = false

  constructor(
    private readonly link: Link,
    private readonly dest: net.Socket,
    private readonly random: Random,
  ) {}

  push(data: Buffer): void {
    const faults = this.link.activeFaults()
    const nowMs = Date.now()
    if (faults === null) {
      this.enqueue(data, nowMs)
    } else {
      const pieces = split(data, faults.splitMaxBytes, this.random)
      if (pieces.length > 1) this.link.counts.splitChunks++
      const baseMs = nowMs + faults.latencyMs + (faults.jitterMs > 0 ? this.random.int(0, faults.jitterMs) : 0)
      // A gap between pieces makes them separate TCP segments rather than one coalesced write.
      pieces.forEach((piece, i) => this.enqueue(piece, baseMs + (i === 0 ? 0 : this.random.int(0, 2))))
      const stalls = this.random.bool(this.link.profile.stallProbabilityPerChunk)
      const stallMs = this.random.int(20, Math.max(20, this.link.profile.maxStallMs))
      if (stalls && this.link.mode === 'chaos') this.stall(stallMs)
    }
    this.pump()
  }

  /** The source sent FIN: forward it once everything queued has been written. */
  end(): void {
    this.sourceEnded = true
    this.pump()
  }

  stall(durationMs: number): void {
    this.link.counts.stalls++
    this.stalledUntilMs = Math.max(this.stalledUntilMs, Date.now() + durationMs)
  }

  endStall(): void {
    this.stalledUntilMs = 0
    this.reschedule()
  }

  heal(): void {
    this.stalledUntilMs = 0
    for (const entry of this.queue) entry.atMs = 0
    this.lastAtMs = 0
    this.reschedule()
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.queue.length = 0
  }

  private enqueue(data: Buffer, atMs: number): void {
    // Never reorder: a piece is due no earlier than the one before it.
    this.lastAtMs = Math.max(this.lastAtMs, atMs)
    this.queue.push({ data, atMs: this.lastAtMs })
  }

  private reschedule(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
    this.pump()
  }

  private pump(): void {
    if (this.timer !== null || this.dest.destroyed) return
    const stalledUntilMs = this.link.mode === 'chaos' ? this.stalledUntilMs : 0
    while (this.queue.length > 0) {
      const head = this.queue[0]!
      const dueMs = Math.max(head.atMs, stalledUntilMs)
      const waitMs = dueMs - Date.now()
      if (waitMs > 0) {
        this.timer = setTimeout(() => {
          this.timer = null
          this.pump()
        }, waitMs)
        return
      }
      this.queue.shift()
      this.link.forwarded(head.data.byteLength)
      if (this.dest.destroyed) return
      this.dest.write(head.data)
    }
    if (this.sourceEnded && !this.dest.destroyed) this.dest.end()
  }
}

function split(data: Buffer, splitMaxBytes: number, random: Random): Buffer[] {
  if (splitMaxBytes === 0 || data.byteLength <= 1) return [data]
  const pieces: Buffer[] = []
  let offset = 0
  while (offset < data.byteLength) {
    const size = pieces.length === MAX_PIECES_PER_CHUNK - 1 ? data.byteLength - offset : random.int(1, splitMaxBytes)
    pieces.push(data.subarray(offset, offset + size))
    offset += size
  }
  return pieces
}

/** One client connection and its upstream connection to the relay. */
class Link {
  private readonly up: Pipe
  private readonly down: Pipe
  private readonly faults: ConnectionFaults
  private bytesUntilReset = Number.POSITIVE_INFINITY
  private resetKind: ResetKind = 'rst'
  private resetTimer: NodeJS.Timeout | null = null
  private closed = false

  constructor(
    private readonly proxy: FaultProxy,
    private readonly client: net.Socket,
    private readonly upstream: net.Socket,
    random: Random,
  ) {
    const { profile } = proxy
    // Every draw happens here, in a fixed order, so a connection's fate depends only on its index.
    const delayed = random.bool(profile.latencyProbability)
    const slow = random.bool(profile.slowLinkProbability)
    const latencyMs = !delayed ? 0 : slow ? random.int(profile.maxLatencyMs, Math.max(profile.maxLatencyMs, profile.maxSlowLinkLatencyMs)) : random.int(1, Math.max(1, profile.maxLatencyMs))
    this.faults = {
      latencyMs,
      jitterMs: delayed ? random.int(0, latencyMs) : 0,
      splitMaxBytes: random.bool(profile.splitProbability) ? random.pick(SPLIT_SIZES) : 0,
    }
    if (delayed) this.counts.delayedConnections++
    const resets = random.bool(profile.resetProbability)
    const resetAfterMs = random.int(30, Math.max(30, profile.maxResetAfterMs))
    const resetAfterBytes = random.int(10, Math.max(10, profile.maxResetAfterBytes))
    this.resetKind = random.bool(0.7) ? 'rst' : 'fin'
    const byBytes = random.bool(0.5)
    this.up = new Pipe(this, upstream, random.fork('up'))
    this.down = new Pipe(this, client, random.fork('down'))
    if (resets && proxy.mode === 'chaos') {
      if (byBytes) this.bytesUntilReset = resetAfterBytes
      else this.resetTimer = setTimeout(() => this.injectReset(this.resetKind), resetAfterMs)
    }
    client.on('data', (data: Buffer) => this.up.push(data))
    upstream.on('data', (data: Buffer) => this.down.push(data))
    client.on('end', () => this.up.end())
    upstream.on('end', () => this.down.end())
    // An error (e.g. ECONNRESET) on one side is passed on as abruptly as it came.
    client.on('error', () => this.destroy('rst'))
    upstream.on('error', () => this.destroy('rst'))
    client.on('close', () => this.afterSideClosed())
    upstream.on('close', () => this.afterSideClosed())
  }

  get counts(): FaultCounts {
    return this.proxy.counts
  }

  get profile(): FaultProfile {
    return this.proxy.profile
  }

  get mode(): ProxyMode {
    return this.proxy.mode
  }

  /** The connection's delays and splitting, or null once the proxy is healed. */
  activeFaults(): ConnectionFaults | null {
    return this.proxy.mode === 'healed' ? null : this.faults
  }

  forwarded(bytes: number): void {
    if (this.proxy.mode !== 'chaos') return
    this.bytesUntilReset -= bytes
    if (this.bytesUntilReset <= 0) {
      this.bytesUntilReset = Number.POSITIVE_INFINITY
      // After the current write: the reset lands between two arbitrary bytes of the stream.
      setImmediate(() => this.injectReset(this.resetKind))
    }
  }

  stall(durationMs: number): void {
    this.up.stall(durationMs)
    this.down.stall(durationMs)
  }

  heal(): void {
    this.calm()
    this.up.heal()
    this.down.heal()
  }

  calm(): void {
    if (this.resetTimer !== null) clearTimeout(this.resetTimer)
    this.resetTimer = null
    this.bytesUntilReset = Number.POSITIVE_INFINITY
    this.up.endStall()
    this.down.endStall()
  }

  injectReset(kind: ResetKind): void {
    if (this.closed || this.proxy.mode !== 'chaos') return
    this.counts.resets++
    this.destroy(kind)
  }

  destroy(kind: ResetKind): void {
    if (this.closed) return
    this.closed = true
    if (this.resetTimer !== null) clearTimeout(this.resetTimer)
    this.up.dispose()
    this.down.dispose()
    for (const socket of [this.client, this.upstream]) {
      // resetAndDestroy needs a connected TCP handle; a socket still connecting is just destroyed.
      if (kind === 'rst' && !socket.destroyed && !socket.connecting) socket.resetAndDestroy()
      else socket.destroy()
    }
    this.proxy.forget(this)
  }

  private afterSideClosed(): void {
    // Both directions ended (or one side vanished): release the other side too.
    if (this.client.destroyed && this.upstream.destroyed) {
      this.closed = true
      this.up.dispose()
      this.down.dispose()
      if (this.resetTimer !== null) clearTimeout(this.resetTimer)
      this.proxy.forget(this)
    } else if (this.client.destroyed || this.upstream.destroyed) {
      // Let queued bytes (e.g. a close frame) drain briefly, then make sure nothing lingers.
      setTimeout(() => this.destroy('fin'), 1_000).unref()
    }
  }
}

export interface FaultProxyOptions {
  /** Where the relay listens (it may be down: connections are then dropped). */
  targetPort: number
  targetHost?: string
  random: Random
  profile?: FaultProfile
}

/** A TCP proxy on a free loopback port that injects faults until {@link FaultProxy.heal}. */
export class FaultProxy {
  readonly counts: FaultCounts = { connections: 0, refused: 0, resets: 0, stalls: 0, splitChunks: 0, delayedConnections: 0 }
  readonly profile: FaultProfile
  private currentMode: ProxyMode = 'chaos'
  private readonly links = new Set<Link>()
  private readonly server: net.Server
  private connectionIndex = 0

  private constructor(private readonly options: FaultProxyOptions) {
    this.profile = options.profile ?? DEFAULT_FAULT_PROFILE
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (client) => this.accept(client))
  }

  static async start(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options)
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject)
      proxy.server.listen(0, '127.0.0.1', () => resolve())
    })
    return proxy
  }

  get port(): number {
    const address = this.server.address()
    if (address === null || typeof address === 'string') throw new Error(`Proxy has no TCP address (${String(address)})`)
    return address.port
  }

  get mode(): ProxyMode {
    return this.currentMode
  }

  get openConnections(): number {
    return this.links.size
  }

  /** Stops injecting: queued bytes go out now, stalls end, no more resets or delays. */
  heal(): void {
    this.currentMode = 'healed'
    for (const link of this.links) link.heal()
  }

  /** A slow but stable network: delays and split writes stay; stalls and resets stop. */
  calm(): void {
    this.currentMode = 'calm'
    for (const link of this.links) link.calm()
  }

  /** Injects every fault again (resets are drawn per connection on accept). */
  resume(): void {
    this.currentMode = 'chaos'
  }

  /** Resets every open connection now (a network blip). */
  resetAll(kind: ResetKind): void {
    for (const link of [...this.links]) link.injectReset(kind)
  }

  /** Pauses both directions of every open connection for `durationMs`. */
  stallAll(durationMs: number): void {
    if (this.currentMode !== 'chaos') return
    for (const link of this.links) link.stall(durationMs)
  }

  forget(link: Link): void {
    this.links.delete(link)
  }

  async close(): Promise<void> {
    for (const link of [...this.links]) link.destroy('fin')
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private accept(client: net.Socket): void {
    this.counts.connections++
    const random = this.options.random.fork(`connection-${this.connectionIndex++}`)
    const upstream = net.connect({
      port: this.options.targetPort,
      host: this.options.targetHost ?? '127.0.0.1',
      allowHalfOpen: true,
      noDelay: true,
    })
    let connected = false
    upstream.once('connect', () => {
      connected = true
    })
    upstream.once('error', () => {
      if (!connected) this.counts.refused++
    })
    this.links.add(new Link(this, client, upstream, random))
  }
}
