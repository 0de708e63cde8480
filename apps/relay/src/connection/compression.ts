// permessage-deflate (RFC 7692), on by default (WS_COMPRESSION=awareness; `off` turns it off), for
// the frame where it pays: coalesced awareness; with WS_COMPRESSION=all also a large document's
// state sent to several joiners (rooms/full-state.ts).
// A room's awareness frame is the same bytes for every receiver, so it is compressed once per
// flush (no context carried between messages) and that payload goes to every connection that
// negotiated the extension. Document updates are never compressed (small, latency-bound), and
// the relay never lets ws compress per connection (CPU per receiver, zlib state per socket).
// RFC 7692 cannot make compression one-way, so clients that negotiated it compress every message
// they send, and the relay must inflate each one. ws does that through a zlib stream on the thread
// pool (~230 µs of CPU per small message, against ~7 µs for a plain one); the relay asks clients
// to compress every message on its own (`client_no_context_takeover`) and inflates them
// synchronously, small ones in JavaScript (see inflateSmallMessagesInline).
import { deflateRaw, deflateRawSync, inflateRawSync, constants as zlibConstants } from 'node:zlib'
import { inflateSync as inflateInJavaScript } from 'fflate'
import * as wsModule from 'ws'
import type { WebSocket } from 'ws'

export const COMPRESSION_MODES = ['awareness', 'all', 'off'] as const
/**
 * `awareness`: negotiate permessage-deflate and compress awareness broadcasts; `all`: also large
 * whole-document answers to joiners; `off`: never.
 */
export type CompressionMode = (typeof COMPRESSION_MODES)[number]

/**
 * Window of the compressor. With no context kept between messages, a frame only refers back
 * within itself; 2^12 bytes already hold ~15 presence states (a larger window gained < 10 % on
 * frames of 10–200 states, at 4× the transient memory).
 */
export const SERVER_WINDOW_BITS = 12

/**
 * The window a client may compress with: any (RFC 7692's largest, 2^15 bytes). Firefox offers no
 * `client_max_window_bits`, so a server that wants a smaller window must leave Firefox
 * uncompressed. A smaller window would only bound the inflate stream ws keeps per socket, and the
 * relay inflates each message on its own (no stream) and frees ws's after the rare message that
 * needs it (see inlineInflater).
 */
export const CLIENT_WINDOW_BITS = 15

/**
 * ws's server options when compression is on. `threshold: Infinity` and `compress: false` on
 * every ordinary send keep ws from ever compressing by itself; `serverNoContextTakeover` tells
 * the client each message stands alone (which is how the relay compresses);
 * `clientNoContextTakeover` asks the same of the client (RFC 7692 lets a server ask even when the
 * client did not offer it), so the relay can inflate each message on its own, without a zlib
 * stream per socket. No `clientMaxWindowBits`: ws would then refuse offers without it
 * (Firefox's); see CLIENT_WINDOW_BITS.
 *
 * `isServer` and `maxPayload` are what ws (8.18 on) adds when it copies these options for each
 * socket (`{ ...options, isServer: true, maxPayload }`). Given here already, that copy only
 * overwrites them; otherwise, once V8 has optimized ws's upgrade code, every copy gets hidden
 * classes of its own: ~240 bytes more per connection (2,000 idle sockets, measured on Node 20).
 */
export function perMessageDeflateOptions(maxPayload: number) {
  return {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    threshold: Number.POSITIVE_INFINITY,
    isServer: true,
    maxPayload,
  }
}

const EXTENSION = 'permessage-deflate'

/**
 * Keeps the permessage-deflate offers of a `Sec-WebSocket-Extensions` header that the relay can
 * accept; null when none is left (the connection then runs uncompressed). Accepted: well-formed
 * offers (known parameters, each once, window sizes 8–15) that allow our window
 * (`server_max_window_bits`, when given, at least SERVER_WINDOW_BITS). Without this, ws refuses
 * the whole upgrade with 400 when a client has no acceptable offer; a client must never be
 * refused over an optimisation.
 */
export function acceptableDeflateOffers(header: string | undefined): string | null {
  if (header === undefined) return null
  const kept = header
    .split(',')
    .map((offer) => offer.trim())
    .filter((offer) => offerIsAcceptable(offer))
  return kept.length === 0 ? null : kept.join(', ')
}

function offerIsAcceptable(offer: string): boolean {
  const [name, ...rawParams] = offer.split(';').map((part) => part.trim())
  if (name !== EXTENSION) return false
  const params = new Map<string, string | true>()
  for (const raw of rawParams) {
    const equals = raw.indexOf('=')
    const key = (equals < 0 ? raw : raw.slice(0, equals)).trim()
    // A repeated parameter makes the offer invalid (RFC 7692 §7); ws would refuse the upgrade.
    if (key === '' || params.has(key)) return false
    params.set(key, equals < 0 ? true : raw.slice(equals + 1).trim().replace(/^"(.*)"$/, '$1'))
  }
  // Any client window will do (none offered: 2^15); a value must be one ws accepts (8–15).
  const clientBits = params.get('client_max_window_bits')
  if (clientBits !== undefined && clientBits !== true && !windowBitsAtLeast(clientBits, MIN_WINDOW_BITS)) return false
  const serverBits = params.get('server_max_window_bits')
  if (serverBits !== undefined && (serverBits === true || !windowBitsAtLeast(serverBits, SERVER_WINDOW_BITS))) return false
  for (const key of params.keys()) {
    if (!KNOWN_PARAMS.has(key)) return false
  }
  return true
}

const KNOWN_PARAMS = new Set(['client_max_window_bits', 'server_max_window_bits', 'client_no_context_takeover', 'server_no_context_takeover'])

/** RFC 7692's smallest window. */
const MIN_WINDOW_BITS = 8

function windowBitsAtLeast(value: string, min: number): boolean {
  if (!/^\d{1,2}$/.test(value)) return false
  const bits = Number(value)
  return bits >= min && bits <= 15
}

/** RFC 7692 §7.2.1: a sync-flushed message ends with these four bytes, which are not sent. */
const SYNC_FLUSH_TAIL = 4

const DEFLATE_OPTIONS = { windowBits: SERVER_WINDOW_BITS, finishFlush: zlibConstants.Z_SYNC_FLUSH }

/** One message compressed on its own, as sent in a frame with RSV1 set. */
export function deflateMessage(message: Uint8Array): Buffer {
  return withoutSyncFlushTail(deflateRawSync(message, DEFLATE_OPTIONS))
}

/** {@link deflateMessage} on zlib's thread pool, for messages too large to compress on the event loop. */
export function deflateMessageAsync(message: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    deflateRaw(message, DEFLATE_OPTIONS, (error, flushed) => (error ? reject(error) : resolve(withoutSyncFlushTail(flushed))))
  })
}

function withoutSyncFlushTail(flushed: Buffer): Buffer {
  return flushed.subarray(0, flushed.length - SYNC_FLUSH_TAIL)
}

/** Compressed messages up to this size are inflated inline; larger ones go ws's way. */
export const INLINE_INFLATE_MAX_INPUT_BYTES = 64 * 1024
/** An inline inflate stops here and hands the message to ws (which enforces MAX_FRAME_BYTES). */
export const INLINE_INFLATE_MAX_OUTPUT_BYTES = 1024 * 1024

/** The part of ws's per-socket permessage-deflate extension the relay replaces. */
export interface MessageInflater {
  decompress(data: Buffer, fin: boolean, callback: (error: Error | null, result?: Buffer) => void): void
}

const SYNC_FLUSH_TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff])

/**
 * Compressed messages up to this size (keystrokes, cursor moves: almost everything a browser
 * sends; a 320-byte presence state compresses to ~150) are inflated in JavaScript into one shared
 * buffer: ~1 µs for a 30-byte update and ~3 µs for a 300-byte one, against ~10 µs through zlib,
 * which sets up and frees a native stream per call (measured on this VM). Past it zlib is as fast.
 * fflate cannot stop at a size: a message that inflates past the shared buffer (only highly
 * repetitive data does, at this input size) is run through to its end before zlib takes it over.
 * The worst, 512 bytes inflating to 512 KiB, costs fflate ~1.5 ms, zlib itself ~2 ms.
 */
export const SMALL_INFLATE_MAX_INPUT_BYTES = 512
/** The shared output buffer of the JavaScript inflate; a message that fills it goes to zlib. */
export const SMALL_INFLATE_OUTPUT_BYTES = 64 * 1024
const smallInflateOutput = new Uint8Array(SMALL_INFLATE_OUTPUT_BYTES)
/** An empty stored block with BFINAL set: ends the stream for a one-shot inflater. */
const FINAL_EMPTY_BLOCK = Buffer.from([0x01, 0x00, 0x00, 0xff, 0xff])

/**
 * A small message inflated by fflate, or null when it failed, may not fit or is longer than
 * `maxBytes` (zlib or ws decide). fflate follows back-references as far back as the output goes
 * (zlib: 2^CLIENT_WINDOW_BITS bytes); every message is inflated on its own, so that reach costs
 * no memory and the lenience is harmless.
 */
function inflateSmall(data: Buffer, maxBytes: number): Buffer | null {
  let view: Uint8Array
  try {
    view = inflateInJavaScript(Buffer.concat([data, SYNC_FLUSH_TRAILER, FINAL_EMPTY_BLOCK]), { out: smallInflateOutput })
  } catch {
    return null
  }
  // fflate drops what does not fit in `out`. Our empty stored blocks then throw, but a message
  // that ends in a final block of its own never reaches them: a full buffer may be cut short.
  if (view.length >= SMALL_INFLATE_OUTPUT_BYTES || view.length > maxBytes) return null
  // A copy: the next message reuses the buffer, and the receiver may keep this one.
  return Buffer.from(view)
}

/** A message inflated by zlib, or null when it failed or would inflate past `maxBytes`. */
function inflateWithZlib(data: Buffer, maxBytes: number): Buffer | null {
  try {
    return inflateRawSync(Buffer.concat([data, SYNC_FLUSH_TRAILER]), {
      windowBits: CLIENT_WINDOW_BITS,
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
      maxOutputLength: maxBytes,
    })
  } catch {
    return null
  }
}

/**
 * Inflates the socket's small compressed messages synchronously instead of through ws's zlib
 * stream on the thread pool (~230 µs of relay CPU per small message, measured with 20,000
 * 30-byte messages on this VM; a plain message costs ~7 µs): up to SMALL_INFLATE_MAX_INPUT_BYTES
 * in JavaScript, up to INLINE_INFLATE_MAX_INPUT_BYTES through zlib. Needs
 * `client_no_context_takeover` (every message inflates on its own). Fragmented messages, large
 * ones, ones that inflate past INLINE_INFLATE_MAX_OUTPUT_BYTES or the socket's maxPayload and
 * ones that fail to inflate go to ws's own path unchanged, which applies maxPayload (1009) and
 * reports bad data (1007). The callback still runs on a later tick, as ws's receiver expects.
 * `decompress` is one function per relay (see inlineInflater); the extension's accepted
 * parameters, a dictionary-mode object from ws's header parser, are copied into a plain one
 * (~120 bytes less per connection; ws only reads them by name). False (nothing changed) when the
 * socket has no such extension or ws's internals are not in the expected shape.
 */
export function inflateSmallMessagesInline(socket: WebSocket, decompress: InlineDecompress): boolean {
  const extensions = (socket as unknown as { _extensions?: Record<string, Partial<InlineInflaterHost> & { params?: Record<string, unknown> | null }> })._extensions
  const extension = extensions?.[EXTENSION]
  if (extension === undefined || typeof extension.decompress !== 'function' || extension.params?.['client_no_context_takeover'] !== true) return false
  extension.params = { ...extension.params }
  extension.decompress = decompress
  return true
}

/** What a fragmented message under way in ws's stream is marked with (its later fragments follow it). */
const FRAGMENTED = Symbol('fragmented message under way')

/** ws's extension object, whose prototype holds ws's own decompress. */
export interface InlineInflaterHost extends MessageInflater {
  [FRAGMENTED]?: boolean
  /** ws's inflate stream for this socket, created on the first message ws inflates itself. */
  _inflate?: { close(): void } | null
}

/** The replacement for ws's decompress; `this` is the socket's extension. */
export type InlineDecompress = (this: InlineInflaterHost, ...args: Parameters<MessageInflater['decompress']>) => void

/**
 * The replacement decompress, one per relay and shared by its sockets (a closure per socket cost
 * ~175 bytes each): inline when it can, else ws's own (the prototype's) on the same extension.
 * Messages are held to `maxMessageBytes` (the relay's maxPayload) as well.
 */
export function inlineInflater(maxMessageBytes = Number.POSITIVE_INFINITY): InlineDecompress {
  const maxBytes = Math.min(INLINE_INFLATE_MAX_OUTPUT_BYTES, maxMessageBytes)
  return function decompress(this: InlineInflaterHost, data, fin, callback) {
    if (this[FRAGMENTED] === true || !fin || data.length > INLINE_INFLATE_MAX_INPUT_BYTES) {
      // Set only while a fragmented message is under way (rare): no property on most sockets.
      if (!fin) this[FRAGMENTED] = true
      else if (this[FRAGMENTED] === true) this[FRAGMENTED] = false
      inflateThroughWs(this, data, fin, callback)
      return
    }
    const inflated = (data.length <= SMALL_INFLATE_MAX_INPUT_BYTES ? inflateSmall(data, maxBytes) : null) ?? inflateWithZlib(data, maxBytes)
    if (inflated === null) {
      inflateThroughWs(this, data, fin, callback)
      return
    }
    process.nextTick(callback, null, inflated)
  }
}

/**
 * ws's own decompress (the prototype's, under the instance's replacement). Once the message is
 * whole, the inflate stream ws made for it is freed (ws makes a new one when it needs one): kept,
 * it would hold ~40 KiB (zlib's state and a 2^15 window) for the socket's life. Freed before the
 * receiver hears of the message, so the next one cannot be using it yet.
 */
function inflateThroughWs(extension: InlineInflaterHost, ...[data, fin, callback]: Parameters<MessageInflater['decompress']>): void {
  const decompress = (Object.getPrototypeOf(extension) as MessageInflater).decompress
  if (!fin) {
    decompress.call(extension, data, fin, callback)
    return
  }
  decompress.call(extension, data, fin, (error, result) => {
    const stream = extension._inflate
    if (stream && typeof stream.close === 'function') {
      stream.close()
      extension._inflate = null
    }
    callback(error, result)
  })
}

/** True when the socket negotiated permessage-deflate. */
export function negotiatedDeflate(socket: WebSocket): boolean {
  return socket.extensions.split(',').some((name) => name.trim() === EXTENSION)
}

interface FrameOptions {
  fin: boolean
  rsv1: boolean
  opcode: number
  mask: boolean
  readOnly: boolean
}

/** ws's frame builder (exported by ws, absent from its type definitions). */
const frameBuilder = (wsModule as unknown as { Sender?: { frame?: (data: Uint8Array, options: FrameOptions) => Buffer[] } }).Sender

/** The part of ws's per-socket Sender the relay writes a ready-made frame through. */
interface FrameSender {
  sendFrame(list: Buffer[], cb?: (error?: Error) => void): void
  _state: number
}

/** ws's Sender state while nothing is queued behind a compression or blob read. */
const SENDER_IDLE = 0

/**
 * Writes `compressed` as one binary message with RSV1 set, through the socket's own Sender so it
 * stays in order with everything else. ws has no public call for an already-compressed payload;
 * false (nothing written) when the Sender is not in the shape this relies on (a ws upgrade that
 * changed it) or is busy, so the caller sends the plain frame instead.
 */
export function sendCompressedFrame(socket: WebSocket, compressed: Uint8Array): boolean {
  const sender = (socket as unknown as { _sender?: Partial<FrameSender> | null })._sender
  if (typeof frameBuilder?.frame !== 'function' || !sender || typeof sender.sendFrame !== 'function' || sender._state !== SENDER_IDLE) return false
  sender.sendFrame(frameBuilder.frame(compressed, { fin: true, rsv1: true, opcode: 0x02, mask: false, readOnly: true }))
  return true
}

/**
 * One broadcast frame, compressed at most once (on the first receiver that negotiated
 * permessage-deflate) however many connections get it.
 */
export class CompressibleFrame {
  private compressed: Buffer | null | undefined

  constructor(readonly plain: Uint8Array) {}

  /** The compressed payload, or null when compressing does not make it smaller. */
  deflated(): Buffer | null {
    if (this.compressed === undefined) {
      const deflated = deflateMessage(this.plain)
      this.compressed = deflated.byteLength < this.plain.byteLength ? deflated : null
    }
    return this.compressed
  }
}
