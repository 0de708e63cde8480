// One WebSocket on /sync/:docId after the upgrade: hands frames to the room, enforces the
// handshake timeout, token expiry and the message budget, and cleans up on close. A class with
// one shared context rather than a closure per concern: every idle connection holds one.
import { CloseCode, ProtocolError, closeReason, decodeFrame, type Frame } from '@collab/protocol'
import type { FastifyBaseLogger } from 'fastify'
import type { RawData, WebSocket } from 'ws'
import type { Expiring, TokenExpiries } from '../auth/token-expiry'
import type { RelayConfig } from '../config'
import type { Connection } from '../connection/connection'
import type { AddressLimits } from '../limits/address-limits'
import type { RelayMetrics } from '../metrics/relay-metrics'
import type { Room } from '../rooms/room'
import type { TimerHandle, Timers } from '../timers'

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
  /** Access-token expiry of every session (one timer for all). */
  expiries: TokenExpiries
  /** Wall clock (token expiry), ms since the epoch. */
  wallClockMs(): number
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
}

/**
 * The session of each admitted socket, for the listener functions every socket shares: a closure
 * per socket and event (with the context they shared) was ~250 bytes of every connection.
 */
const sessions = new WeakMap<WebSocket, SyncSession>()

function onSessionMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  sessions.get(this)?.receive(data, isBinary)
}

function onSessionError(this: WebSocket, error: Error): void {
  sessions.get(this)?.failed(error)
}

function onSessionClose(this: WebSocket): void {
  sessions.get(this)?.closed()
}

export class SyncSession implements Expiring {
  private handshakeTimer: TimerHandle | null = null

  constructor(
    private readonly context: SyncSessionContext,
    readonly connection: Connection,
    private readonly room: Room,
    /** Upgrade request id, so log lines can be matched with the request's. */
    private readonly reqId: string,
    /** When its access token expires (wall clock, ms since the epoch); null: authentication off. */
    private readonly expiresAtMs: number | null,
  ) {}

  /**
   * Takes over the socket's events (its 'error' listener is replaced), arms the handshake timeout
   * and the token expiry; the room has been joined.
   */
  start(socket: WebSocket): void {
    sessions.set(socket, this)
    socket.removeAllListeners('error')
    socket.on('error', onSessionError)
    socket.on('message', onSessionMessage)
    // 'on', not 'once': ws emits 'close' once, and once() would wrap the listener for each socket.
    socket.on('close', onSessionClose)
    const { timers, config } = this.context
    // A socket that never speaks holds a slot for nothing; a stock client sends its step 1 at once.
    this.handshakeTimer = timers.setTimeout(() => {
      this.handshakeTimer = null
      this.refuse(CloseCode.AuthTimeout, `no message within ${config.handshakeTimeoutMs} ms of the upgrade`)
    }, config.handshakeTimeoutMs)
    if (this.expiresAtMs === null) return
    if (this.expiresAtMs <= this.context.wallClockMs()) this.expired()
    else this.context.expiries.add(this, this.expiresAtMs)
  }

  /** One WebSocket message. Untrusted input never throws out of here. */
  receive(data: RawData, isBinary: boolean): void {
    const { connection, context } = this
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

  /** Its access token expired. */
  expired(): void {
    this.refuse(CloseCode.Unauthorized, 'token expired')
  }

  /** The socket closed: stop the timers and leave. */
  closed(): void {
    const { timers, connections, addressLimits, expiries } = this.context
    if (this.handshakeTimer !== null) timers.clearTimeout(this.handshakeTimer)
    this.handshakeTimer = null
    if (this.expiresAtMs !== null) expiries.delete(this, this.expiresAtMs)
    this.connection.dispose()
    connections.delete(this.connection)
    addressLimits.disconnected(this.connection.remoteAddress)
    this.room.leave(this.connection)
  }

  private refuse(code: CloseCode, message: string): void {
    this.context.log.info(this.about({ code, reason: closeReason[code], message }), 'connection refused')
    this.connection.close(code)
  }

  /** Log bindings, built per line instead of a child logger per connection. */
  private about(fields: Record<string, unknown>): Record<string, unknown> {
    return { reqId: this.reqId, docId: this.connection.docId, connection: this.connection.id, ...fields }
  }
}
