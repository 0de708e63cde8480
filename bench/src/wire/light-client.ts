// A load-generating client: one WebSocket speaking the y-websocket sync handshake in either
// dialect, counting and timestamping frames. It holds no Y.Doc; what a scenario needs from the
// payload (update progress, awareness) it reads through the optional handlers.
import { encodeSyncStep1, encodeSyncStep2 } from '@collab/protocol'
import { connect, type NetConnectOpts, type Socket } from 'node:net'
import * as decoding from 'lib0/decoding'
import WebSocket from 'ws'
import { nowMs } from '../util/clock'
import { messageKind, type Dialect } from './dialect'
import { compressThrough } from './shared-deflate'

/** An empty state vector: "I have nothing". */
export const EMPTY_STATE_VECTOR = new Uint8Array([0])
/** An empty Yjs update (no structs, no deletions). */
export const EMPTY_UPDATE = new Uint8Array([0, 0])

export interface LightClientOptions {
  /** Server base URL the dialect appends the document to. */
  baseUrl: string
  docId: string
  dialect: Dialect
  /** State vector sent in sync step 1 (default: empty). */
  stateVector?: Uint8Array
  /** The update to answer the server's step 1 with, given its state vector (default: empty). */
  answerStep1?: (serverStateVector: Uint8Array) => Uint8Array
  /** Every update received (step 2 and updates), with the receive time. */
  onUpdate?: (update: Uint8Array, atMs: number) => void
  /** Every awareness payload received. */
  onAwareness?: (payload: Uint8Array, atMs: number) => void
}

/** The server closed or failed a socket the scenario still needed. */
export class ClientSocketError extends Error {
  override readonly name = 'ClientSocketError'
  constructor(docId: string, detail: string) {
    super(`Socket of document ${docId} failed: ${detail}`)
  }
}

export class LightClient {
  bytesIn = 0
  bytesOut = 0
  framesIn = 0
  framesOut = 0
  awarenessFramesIn = 0
  updateFramesIn = 0
  connectStartMs = 0
  openedAtMs = 0
  /** When the server's sync step 2 (the answer to our step 1) arrived; 0 until then. */
  syncedAtMs = 0
  /** Bytes received up to and including the sync step 2. */
  bytesInWhenSynced = 0
  /** TCP bytes received up to and including the sync step 2 (upgrade response, framing, compression). */
  wireBytesInWhenSynced = 0
  closeCode: number | null = null
  readonly synced: Promise<void>
  readonly closed: Promise<void>
  private socket: WebSocket | null = null
  /** The TCP socket under `socket`, for bytes on the wire. */
  private tcp: Socket | null = null
  private resolveSynced!: () => void
  private rejectSynced!: (error: Error) => void
  private resolveClosed!: () => void
  private readonly step2Waiters: { resolve: () => void; reject: (error: Error) => void }[] = []

  constructor(private readonly options: LightClientOptions) {
    this.synced = new Promise((resolve, reject) => {
      this.resolveSynced = resolve
      this.rejectSynced = reject
    })
    // A scenario that never awaits `synced` must not crash the process on a failed socket.
    this.synced.catch(() => {})
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve
    })
  }

  get docId(): string {
    return this.options.docId
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN
  }

  /** Opens the socket and starts the handshake; resolves once the socket is open. */
  open(): Promise<void> {
    const { baseUrl, docId, dialect } = this.options
    this.connectStartMs = nowMs()
    // Offers permessage-deflate as browsers do (`permessage-deflate; client_max_window_bits`); a
    // server that accepts it may compress what it sends. This client compresses only messages of
    // 1 KiB or more (ws's default threshold), where Chromium compresses every message: the load
    // core stays free for receiving. When every message stands alone, one the worker's clients
    // send alike is compressed once for all of them (see shared-deflate).
    const socket = new WebSocket(dialect.url(baseUrl, docId), {
      perMessageDeflate: true,
      skipUTF8Validation: true,
      createConnection: (options: NetConnectOpts) => {
        this.tcp = connect(options)
        return this.tcp
      },
    } as WebSocket.ClientOptions)
    socket.binaryType = 'nodebuffer'
    this.socket = socket
    return new Promise((resolve, reject) => {
      socket.once('open', () => {
        this.openedAtMs = nowMs()
        compressThrough(socket)
        for (const message of dialect.openingMessages(docId)) this.sendRaw(message)
        this.send(encodeSyncStep1(this.options.stateVector ?? EMPTY_STATE_VECTOR))
        resolve()
      })
      socket.on('message', (data: Buffer) => this.receive(data))
      socket.once('error', (error) => {
        const failure = new ClientSocketError(docId, error.message)
        this.rejectSynced(failure)
        reject(failure)
      })
      socket.once('close', (code) => {
        this.closeCode = code
        this.rejectSynced(new ClientSocketError(docId, `closed with ${code} before it synced`))
        reject(new ClientSocketError(docId, `closed with ${code} before it opened`))
        // A barrier the server will never answer must fail, not hang the scenario.
        for (const waiter of this.step2Waiters.splice(0)) waiter.reject(new ClientSocketError(docId, `closed with ${code} before its sync step 1 was answered`))
        this.resolveClosed()
      })
    })
  }

  /** Sends one y-protocols message (wrapped for the dialect). */
  send(message: Uint8Array): void {
    this.sendRaw(this.options.dialect.wrap(this.options.docId, message))
  }

  /**
   * Sends sync step 1 again and resolves on the answering step 2: a barrier proving the server
   * has processed everything this client sent before (servers handle a socket's frames in order).
   */
  syncAgain(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (!this.isOpen) {
        reject(new ClientSocketError(this.options.docId, `not open (closed with ${this.closeCode ?? 'no code'})`))
        return
      }
      this.step2Waiters.push({ resolve, reject })
      this.send(encodeSyncStep1(this.options.stateVector ?? EMPTY_STATE_VECTOR))
    })
  }

  /** Closes the socket; resolves when it is closed. */
  close(): Promise<void> {
    if (this.socket === null) return Promise.resolve()
    if (this.socket.readyState === WebSocket.CONNECTING || this.socket.readyState === WebSocket.OPEN) this.socket.close()
    return this.closed
  }

  /** Drops the TCP connection without a closing handshake (a crashed tab, a lost network). */
  terminate(): void {
    this.socket?.terminate()
  }

  /** Bytes received on the wire (WebSocket framing and any compression included). */
  get wireBytesIn(): number {
    return this.tcp?.bytesRead ?? 0
  }

  /** Bytes sent on the wire (WebSocket framing, masking key and any compression included). */
  get wireBytesOut(): number {
    return this.tcp?.bytesWritten ?? 0
  }

  /** Bytes the socket still has queued for sending. */
  get bufferedBytes(): number {
    return this.socket?.bufferedAmount ?? 0
  }

  private sendRaw(message: Uint8Array): void {
    if (this.socket?.readyState !== WebSocket.OPEN) return
    this.bytesOut += message.byteLength
    this.framesOut++
    this.socket.send(message)
  }

  private receive(data: Buffer): void {
    const atMs = nowMs()
    this.bytesIn += data.byteLength
    this.framesIn++
    const message = this.options.dialect.unwrap(data)
    if (message === null) return
    switch (messageKind(message)) {
      case 'sync-step1':
        this.send(encodeSyncStep2(this.options.answerStep1?.(readPayload(message, 2)) ?? EMPTY_UPDATE))
        return
      case 'sync-step2':
        this.updateFramesIn++
        this.options.onUpdate?.(readPayload(message, 2), atMs)
        if (this.syncedAtMs === 0) {
          this.syncedAtMs = atMs
          this.bytesInWhenSynced = this.bytesIn
          this.wireBytesInWhenSynced = this.wireBytesIn
          this.resolveSynced()
        } else {
          this.step2Waiters.shift()?.resolve()
        }
        return
      case 'sync-update':
        this.updateFramesIn++
        this.options.onUpdate?.(readPayload(message, 2), atMs)
        return
      case 'awareness':
        this.awarenessFramesIn++
        this.options.onAwareness?.(readPayload(message, 1), atMs)
        return
      case 'other':
        return
    }
  }
}

/** The varUint8Array that follows a header of `headerBytes` single-byte varUints. */
function readPayload(message: Uint8Array, headerBytes: number): Uint8Array {
  const decoder = decoding.createDecoder(message)
  decoder.pos = headerBytes
  return decoding.readVarUint8Array(decoder)
}
