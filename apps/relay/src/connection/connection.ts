import type { Socket } from 'node:net'
import { CloseCode, closeReason } from '@collab/protocol'
import type { WebSocket } from 'ws'
import type { AccessRole } from '../auth/access-token'
import { TokenBucket } from '../limits/token-bucket'
import type { RelayMetrics } from '../metrics/relay-metrics'
import { realTimers, type Timers } from '../timers'
import { inflateSmallMessagesInline, inlineInflater, negotiatedDeflate, sendCompressedFrame, type CompressibleFrame, type InlineDecompress } from './compression'
import { uncorkAtEndOfTick } from './end-of-tick'
import { SendBuffer, type SendBufferEvents, type SendBufferLimits } from './send-buffer'

let nextConnectionId = 1

/** What the room learns from a connection's send buffer. */
export interface BackpressureListener {
  /** The connection stopped receiving updates and awareness (its buffer passed the soft limit). */
  fellBehind(connection: Connection): void
  /** It drained: send it one diff of what it missed. */
  caughtUp(connection: Connection): void
}

export interface ConnectionOptions {
  /** `read` connections receive everything but may not change the document. Default `write`. */
  role?: AccessRole
  timers?: Timers
  sendBuffer?: SendBufferLimits
  /** Per-connection message budget (`maxMessagesPerSecond` / `messageBurst`). */
  rate?: { perSecond: number; burst: number }
  metrics?: RelayMetrics | null
  /**
   * The TCP socket under `socket`. Given, every frame sent to it within one tick of the event
   * loop leaves in one write (see `write`), and the heartbeat reads what arrived on it
   * (see `heardFromSinceLastBeat`).
   */
  tcp?: Socket | null
  /**
   * Inflates the compressed messages of a socket that negotiated permessage-deflate: one per
   * relay, holding them to its MAX_FRAME_BYTES (see `inlineInflater`). Default: no bound beyond
   * the inline one.
   */
  inflater?: InlineDecompress
}

const UNBOUNDED_INFLATER = inlineInflater()

/** What {@link Connection.awarenessClientIds} reads before a connection introduced any id. */
const NO_CLIENT_IDS: ReadonlySet<number> = new Set()

const UNLIMITED_SEND_BUFFER: SendBufferLimits = {
  softLimitBytes: Number.POSITIVE_INFINITY,
  hardLimitBytes: Number.POSITIVE_INFINITY,
  maxBehindMs: Number.POSITIVE_INFINITY,
}

/** Frames of this size or more are written at once, never held back by a cork. */
const CORK_MAX_FRAME_BYTES = 16 * 1024

/** Once the relay closed a socket, the peer gets this long to read the close frame. */
const TERMINATE_AFTER_CLOSE_MS = 1_000

/**
 * One client WebSocket. It is also the transaction origin of every update it applies, so the
 * room can skip it when fanning out. Sends go through its send buffer: droppable frames (updates,
 * awareness) are skipped while it is behind, and the room resyncs it once it drains.
 */
export class Connection {
  readonly id = nextConnectionId++
  readonly role: AccessRole
  /** Message budget; the sync route takes one token per frame and bills the work after. */
  readonly rate: TokenBucket
  /** What the client is known to have while it is behind (a state vector); null when not behind. */
  resyncFrom: Uint8Array | null = null
  /** A read-only connection was told (once) that its writes are not applied. */
  toldReadOnly = false
  /** The room listening for backpressure (set when it joins). */
  backpressure: BackpressureListener | null = null
  /** The socket negotiated permessage-deflate (awareness broadcasts use it; with WS_COMPRESSION=all a room's large kept answers too). */
  readonly deflate: boolean
  private readonly sendBuffer: SendBuffer
  private readonly timers: Timers
  private readonly metrics: RelayMetrics | null
  private readonly tcp: Socket | null
  private closeCode: number | null = null
  /** The TCP socket's bytesRead at the last heartbeat; -1 before the first. */
  private bytesReadAtBeat = -1
  // Created with the first id: an empty Set is ~150 bytes, and a connection without presence
  // (a reader, a light client) never introduces one.
  private ownedClientIds: Set<number> | null = null
  /** Bytes written to the corked TCP socket in this tick (not buffered in the backpressure sense). */
  private corkedBytes = 0
  private corked = false
  /** A frame went out in this tick; the next one corks the socket until the tick ends. */
  private wroteThisTick = false

  constructor(
    readonly socket: WebSocket,
    readonly docId: string,
    readonly remoteAddress: string,
    options: ConnectionOptions = {},
  ) {
    this.role = options.role ?? 'write'
    this.deflate = negotiatedDeflate(socket)
    if (this.deflate) inflateSmallMessagesInline(socket, options.inflater ?? UNBOUNDED_INFLATER)
    this.timers = options.timers ?? realTimers
    this.metrics = options.metrics ?? null
    this.tcp = options.tcp ?? null
    const rate = options.rate ?? { perSecond: Number.POSITIVE_INFINITY, burst: Number.POSITIVE_INFINITY }
    this.rate = new TokenBucket(rate.perSecond, rate.burst, this.timers)
    this.sendBuffer = new SendBuffer(options.sendBuffer ?? UNLIMITED_SEND_BUFFER, this.timers, new SendBufferReports(this))
  }

  /** True until the relay or the client started closing it. */
  get open(): boolean {
    return this.closeCode === null && this.socket.readyState === this.socket.OPEN
  }

  get readOnly(): boolean {
    return this.role === 'read'
  }

  /**
   * Heartbeat, once per ping interval: false when nothing at all (no pong, no message) arrived
   * from the peer since the previous call, true otherwise and on the first call. Read from the
   * TCP socket's byte count rather than set by a 'pong' listener: one on every socket was ~150
   * bytes of each. Always true without `tcp` (unit tests).
   */
  heardFromSinceLastBeat(): boolean {
    if (this.tcp === null) return true
    const bytesRead = this.tcp.bytesRead
    const heard = this.bytesReadAtBeat === -1 || bytesRead !== this.bytesReadAtBeat
    this.bytesReadAtBeat = bytesRead
    return heard
  }

  /** Awareness client ids this connection introduced; only these it may change. */
  get awarenessClientIds(): ReadonlySet<number> {
    return this.ownedClientIds ?? NO_CLIENT_IDS
  }

  /** Records an awareness client id this connection introduced. */
  ownAwarenessClient(clientId: number): void {
    this.ownedClientIds ??= new Set()
    this.ownedClientIds.add(clientId)
  }

  /** Forgets every awareness client id it introduced (it closed) and returns them. */
  releaseAwarenessClients(): number[] {
    const ids = this.ownedClientIds === null ? [] : [...this.ownedClientIds]
    this.ownedClientIds = null
    return ids
  }

  /** True while its buffer is past the soft limit (droppable frames are skipped). */
  get behind(): boolean {
    return this.sendBuffer.behind
  }

  /**
   * Sends a frame the client must get (handshake, answers, resync); dropped only when closing.
   * `deflated`: the same message compressed, sent instead when this socket negotiated
   * permessage-deflate.
   */
  send(frame: Uint8Array, deflated: Uint8Array | null = null): void {
    if (!this.open) return
    let bytes = frame.byteLength
    if (deflated !== null && this.deflate && this.write(deflated, true)) bytes = deflated.byteLength
    else this.write(frame)
    this.metrics?.sent(frame)
    this.sendBuffer.afterSend(bytes, true)
  }

  /**
   * Sends an update or awareness frame unless the connection is behind; false when it was
   * skipped (the caller counts it; a resync covers skipped updates).
   */
  sendDroppable(frame: Uint8Array): boolean {
    if (!this.open) return false
    if (this.sendBuffer.behind) return false
    this.write(frame)
    this.sendBuffer.afterSend(frame.byteLength, false)
    return true
  }

  /**
   * Like sendDroppable, for a frame many connections get (awareness): the compressed payload
   * when this socket negotiated permessage-deflate and compressing made it smaller.
   */
  sendDroppableShared(frame: CompressibleFrame): boolean {
    if (!this.open) return false
    if (this.sendBuffer.behind) return false
    const deflated = this.deflate ? frame.deflated() : null
    if (deflated !== null && this.write(deflated, true)) {
      this.sendBuffer.afterSend(deflated.byteLength, false)
      return true
    }
    this.write(frame.plain)
    this.sendBuffer.afterSend(frame.plain.byteLength, false)
    return true
  }

  /** Bytes the peer has not taken yet, not counting what this tick wrote to the corked socket. */
  get bufferedBytes(): number {
    return Math.max(0, (Number(this.socket.bufferedAmount) || 0) - this.corkedBytes)
  }

  /**
   * Sends one binary message (`deflated`: an already-compressed payload; false when the socket
   * cannot take one). The first frame of a tick leaves at once (a keystroke fanned out to many
   * receivers reaches each without waiting for the others' sends); a second one corks the TCP
   * socket until the end of the tick, so a client whose one TCP read carried many updates, or a
   * burst fanned out to a receiver, costs two syscalls per receiver instead of one per frame
   * (benchmark scenario 2). Only frames below CORK_MAX_FRAME_BYTES wait, so what backpressure
   * cannot see yet is at most one TCP read's worth of small frames.
   */
  private write(payload: Uint8Array, deflated = false): boolean {
    const tcp = this.tcp
    if (payload.byteLength >= CORK_MAX_FRAME_BYTES) {
      // Large frames gain nothing from company and must count for backpressure at once.
      this.uncork()
    } else if (tcp !== null && !this.wroteThisTick) {
      this.wroteThisTick = true
      uncorkAtEndOfTick(this)
    } else if (tcp !== null && !this.corked && !tcp.destroyed) {
      tcp.cork()
      this.corked = true
    }
    const before = this.corked && tcp !== null ? tcp.writableLength : 0
    if (deflated) {
      if (!sendCompressedFrame(this.socket, payload)) return false
    } else {
      this.socket.send(payload, { binary: true, compress: false })
    }
    if (this.corked && tcp !== null) this.corkedBytes += tcp.writableLength - before
    return true
  }

  /** End of the tick: let everything written since the cork leave in one write. */
  uncork(): void {
    this.wroteThisTick = false
    if (!this.corked) return
    this.corked = false
    this.corkedBytes = 0
    this.tcp?.uncork()
  }

  /** Closes with a documented code (once; later calls are ignored). */
  close(code: CloseCode): void {
    if (this.closeCode !== null) return
    this.closeCode = code
    this.sendBuffer.dispose()
    if (code >= 4000 || code === CloseCode.InternalError) this.metrics?.refusal(code, closeReason[code])
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, closeReason[code])
      if (code === CloseCode.SlowConsumer) {
        // The close frame waits behind everything the peer is not reading: do not keep it.
        this.timers.setTimeout(() => this.socket.terminate(), TERMINATE_AFTER_CLOSE_MS)
      }
    }
  }

  /** Drops the TCP connection without a close handshake (dead peers). */
  terminate(): void {
    this.closeCode ??= CloseCode.GoingAway
    this.sendBuffer.dispose()
    this.socket.terminate()
  }

  /** The socket closed: stop every timer. */
  dispose(): void {
    this.sendBuffer.dispose()
  }

  /** The code the relay closed this connection with, if it did. */
  get closedWith(): number | null {
    return this.closeCode
  }
}

/**
 * What the send buffer reports, passed on to the connection and its room. A class rather than
 * four closures: every idle socket holds one, and each closure (with the name tsx's esbuild
 * gives it) cost ~300 bytes.
 */
class SendBufferReports implements SendBufferEvents {
  constructor(private readonly connection: Connection) {}

  bufferedBytes(): number {
    return this.connection.bufferedBytes
  }

  fellBehind(): void {
    this.connection.backpressure?.fellBehind(this.connection)
  }

  caughtUp(): void {
    if (this.connection.open) this.connection.backpressure?.caughtUp(this.connection)
  }

  overflow(): void {
    this.connection.close(CloseCode.SlowConsumer)
  }
}
