// permessage-deflate for the light clients of one load worker: a message many clients send
// alike (a reconnect storm's sync step 2) is compressed once, not once per client. A hundred
// clients in one process, each compressing through ws's own zlib stream on the thread pool
// (~1 ms of CPU per 10 KiB message, most of it setting up the stream), made the load core the
// bottleneck of scenario 6, where real clients each compress on a machine of their own.
// Only when the server asked for `client_no_context_takeover`: every message then stands alone,
// so the bytes are the ones each client's own compressor would produce.
import { deflateRawSync, constants as zlibConstants } from 'node:zlib'
import type WebSocket from 'ws'

/** RFC 7692's window when the server sets no `client_max_window_bits`. */
const DEFAULT_WINDOW_BITS = 15
/** RFC 7692 §7.2.1: a message's sync flush ends with these four bytes, which are not sent. */
const SYNC_FLUSH_TAIL = 4
const EXTENSION = 'permessage-deflate'

/**
 * Compresses messages as standalone permessage-deflate payloads, remembering the last one: the
 * clients of a storm send the same message one after another, so one entry suffices.
 */
export class StandaloneDeflater {
  /** Messages actually compressed, and sends that reused the last one. */
  compressions = 0
  reuses = 0
  private last: { windowBits: number; message: Uint8Array; compressed: Buffer } | null = null

  /** `message` compressed on its own, as it goes in a frame with RSV1 set. Do not modify it. */
  deflate(message: Uint8Array, windowBits: number): Buffer {
    const last = this.last
    if (last !== null && last.windowBits === windowBits && Buffer.compare(last.message, message) === 0) {
      this.reuses++
      return last.compressed
    }
    // The options ws's own client compresses with (zlib's defaults, the negotiated window).
    const flushed = deflateRawSync(message, { windowBits, finishFlush: zlibConstants.Z_SYNC_FLUSH })
    const compressed = flushed.subarray(0, flushed.length - SYNC_FLUSH_TAIL)
    this.last = { windowBits, message: Uint8Array.from(message), compressed }
    this.compressions++
    return compressed
  }
}

/** The one every light client of this process uses. */
export const sharedDeflater = new StandaloneDeflater()

type CompressCallback = (error: Error | null, result?: Buffer) => void

/** The part of ws's per-socket permessage-deflate extension this replaces, and what it reads. */
interface ClientExtension {
  compress(data: Buffer, fin: boolean, callback: CompressCallback): void
  params?: { client_no_context_takeover?: boolean; client_max_window_bits?: number | boolean } | null
}

/**
 * Makes the socket compress through `deflater` instead of ws's own zlib stream, when the server
 * asked for `client_no_context_takeover` (false, nothing changed, otherwise). ws still decides
 * what to compress (its threshold), and still frames and masks the result; a fragment of a longer
 * message goes ws's way.
 */
export function compressThrough(socket: WebSocket, deflater: StandaloneDeflater = sharedDeflater): boolean {
  const extension = (socket as unknown as { _extensions?: Record<string, Partial<ClientExtension>> })._extensions?.[EXTENSION]
  if (extension === undefined || typeof extension.compress !== 'function' || extension.params?.client_no_context_takeover !== true) return false
  const negotiatedBits = extension.params.client_max_window_bits
  const windowBits = typeof negotiatedBits === 'number' ? negotiatedBits : DEFAULT_WINDOW_BITS
  const ownCompress = extension.compress
  let fragmented = false
  extension.compress = function compress(data, fin, callback) {
    // All fragments of a message go through one compressor: ws's.
    if (!fin || fragmented) {
      fragmented = !fin
      ownCompress.call(this, data, fin, callback)
      return
    }
    // A copy: ws masks the compressed payload in place.
    callback(null, Buffer.from(deflater.deflate(data, windowBits)))
  }
  return true
}
