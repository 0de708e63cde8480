// One WebSocket on /sync/:docId after the upgrade: hands frames to the room, enforces the
// handshake timeout, token expiry and the message budget, and cleans up on close. A class with
// one shared context rather than a closure per concern: every idle connection holds one.
import { CloseCode, ProtocolError, closeReason, decodeFrame, type Frame } from '@collab/protocol'
import type { FastifyBaseLogger } from 'fastify'
import type { RawData } from 'ws'
import type { AccessGrant } from '../auth/access-token'
import type { RelayConfig } from '../config'
import type { Connection } from '../connection/connection'
import type { AddressLimits } from '../limits/address-limits'
import type { RelayMetrics } from '../metrics/relay-metrics'
import type { Room } from '../rooms/room'
import type { TimerHandle, Timers } from '../timers'

/** setTimeout cannot wait longer than this (longer delays fire at once). */
const MAX_TIMER_MS = 2 ** 31 - 1
/** A message costs one token plus one per this many bytes … */
const BYTES_PER_TOKEN = 64 * 1024
/** … plus one per millisecond the relay spent handling it. */
const MS_PER_TOKEN = 1

/** What every session of the route shares (one object per relay). */
export interface SyncSessionContext {
  config: RelayConfig
  timers: Timers
  connections: Set<Connection>
  addressLimits: AddressLimits
  metrics: RelayMetrics | null
  log: FastifyBaseLogger
  /** Wall clock (token expiry), ms since the epoch. */
  wallClockMs(): number
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
}

export class SyncSession {
  private handshakeTimer: TimerHandle | null = null
  private expiryTimer: TimerHandle | null = null

  constructor(
    private readonly context: SyncSessionContext,
    readonly connection: Connection,
    private readonly room: Room,
    /** Upgrade request id, so log lines can be matched with the request's. */
    private readonly reqId: string,
    private readonly grant: AccessGrant | null,
  ) {}

  /** Arms the handshake timeout and the token expiry; the room has been joined. */
  start(): void {
    const { timers, config } = this.context
    // A socket that never speaks holds a slot for nothing; a stock client sends its step 1 at once.
    this.handshakeTimer = timers.setTimeout(() => {
      this.handshakeTimer = null
      this.refuse(CloseCode.AuthTimeout, `no message within ${config.handshakeTimeoutMs} ms of the upgrade`)
    }, config.handshakeTimeoutMs)
    this.armExpiry()
  }

  /** One WebSocket message. Untrusted input never throws out of here. */
  receive(data: RawData, isBinary: boolean): void {
    const { connection, context } = this
    connection.alive = true
    if (!connection.open) return
    if (this.handshakeTimer !== null) {
      context.timers.clearTimeout(this.handshakeTimer)
      this.handshakeTimer = null
    }
    if (!connection.rate.take(1)) {
      this.refuse(CloseCode.RateLimited, 'message rate over MAX_MESSAGES_PER_SECOND / MESSAGE_BURST')
      return
    }
    if (!isBinary) {
      this.refuse(CloseCode.MalformedFrame, 'text frame; the protocol is binary')
      return
    }
    const bytes = toBytes(data)
    const startedMs = context.timers.now()
    try {
      const frame: Frame = decodeFrame(bytes)
      context.metrics?.message('in', frame.type, bytes.byteLength)
      this.room.receive(connection, frame)
    } catch (error) {
      if (error instanceof ProtocolError) this.refuse(error.closeCode, error.message)
      else {
        context.log.error(this.about({ err: error }), 'handling a frame failed unexpectedly')
        connection.close(CloseCode.InternalError)
      }
    }
    // Large frames and expensive ones (conflict resolution, big answers) cost more.
    connection.rate.charge(bytes.byteLength / BYTES_PER_TOKEN + (context.timers.now() - startedMs) / MS_PER_TOKEN)
  }

  /** A socket error (ws has closed or will close the socket). */
  failed(error: Error & { code?: string }): void {
    if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.context.metrics?.refusal(CloseCode.FrameTooBig, closeReason[CloseCode.FrameTooBig])
    this.context.log.info(this.about({ err: error }), 'websocket error')
  }

  /** The socket closed: stop the timers and leave. */
  closed(): void {
    const { timers, connections, addressLimits } = this.context
    if (this.handshakeTimer !== null) timers.clearTimeout(this.handshakeTimer)
    if (this.expiryTimer !== null) timers.clearTimeout(this.expiryTimer)
    this.handshakeTimer = null
    this.expiryTimer = null
    this.connection.dispose()
    connections.delete(this.connection)
    addressLimits.disconnected(this.connection.remoteAddress)
    this.room.leave(this.connection)
  }

  private refuse(code: CloseCode, message: string): void {
    this.context.log.info(this.about({ code, reason: closeReason[code], message }), 'connection refused')
    this.connection.close(code)
  }

  private armExpiry(): void {
    if (this.grant === null) return
    const remainingMs = this.grant.expiresAtMs - this.context.wallClockMs()
    if (remainingMs <= 0) {
      this.refuse(CloseCode.Unauthorized, 'token expired')
      return
    }
    this.expiryTimer = this.context.timers.setTimeout(() => this.armExpiry(), Math.min(remainingMs, MAX_TIMER_MS))
  }

  /** Log bindings, built per line instead of a child logger per connection. */
  private about(fields: Record<string, unknown>): Record<string, unknown> {
    return { reqId: this.reqId, docId: this.connection.docId, connection: this.connection.id, ...fields }
  }
}
