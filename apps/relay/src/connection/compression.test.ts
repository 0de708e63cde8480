import { constants as zlibConstants, deflateRawSync, inflateRawSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  CLIENT_WINDOW_BITS,
  CompressibleFrame,
  INLINE_INFLATE_MAX_INPUT_BYTES,
  INLINE_INFLATE_MAX_OUTPUT_BYTES,
  SERVER_WINDOW_BITS,
  SMALL_INFLATE_MAX_INPUT_BYTES,
  SMALL_INFLATE_OUTPUT_BYTES,
  acceptableDeflateOffers,
  deflateMessage,
  inlineInflater,
  type InlineInflaterHost,
  type MessageInflater,
} from './compression'

/** What a receiver does (RFC 7692 §7.2.2): append the removed tail and inflate. */
function inflateMessage(payload: Uint8Array): Buffer {
  return inflateRawSync(Buffer.concat([payload, Buffer.from([0x00, 0x00, 0xff, 0xff])]), { windowBits: 15, finishFlush: zlibConstants.Z_SYNC_FLUSH })
}

describe('acceptableDeflateOffers', () => {
  it("keeps Chrome's and ws's default offer", () => {
    expect(acceptableDeflateOffers('permessage-deflate; client_max_window_bits')).toBe('permessage-deflate; client_max_window_bits')
  })

  it("keeps Firefox's offer (no client_max_window_bits) and any client window", () => {
    expect(acceptableDeflateOffers('permessage-deflate')).toBe('permessage-deflate')
    expect(acceptableDeflateOffers('permessage-deflate; client_max_window_bits=8')).not.toBeNull()
  })

  it('drops offers the relay could only answer by refusing the upgrade', () => {
    expect(acceptableDeflateOffers('permessage-deflate; client_max_window_bits=7')).toBeNull()
    expect(acceptableDeflateOffers(`permessage-deflate; client_max_window_bits; server_max_window_bits=${SERVER_WINDOW_BITS - 1}`)).toBeNull()
    expect(acceptableDeflateOffers('permessage-deflate; client_max_window_bits; client_max_window_bits')).toBeNull()
    expect(acceptableDeflateOffers('permessage-deflate; client_max_window_bits; x-unknown=1')).toBeNull()
    expect(acceptableDeflateOffers('permessage-deflate; client_max_window_bits=abc')).toBeNull()
    expect(acceptableDeflateOffers('x-webkit-deflate-frame')).toBeNull()
    expect(acceptableDeflateOffers('')).toBeNull()
    expect(acceptableDeflateOffers(undefined)).toBeNull()
  })

  it('keeps only the acceptable offers of a list, in order', () => {
    const header = [
      'permessage-deflate; server_max_window_bits=8',
      'permessage-deflate; client_max_window_bits=12; server_max_window_bits=15',
      'permessage-deflate; client_max_window_bits; server_no_context_takeover',
    ].join(', ')
    expect(acceptableDeflateOffers(header)).toBe(
      'permessage-deflate; client_max_window_bits=12; server_max_window_bits=15, permessage-deflate; client_max_window_bits; server_no_context_takeover',
    )
  })

  it('accepts quoted window sizes (RFC 7692 allows a quoted-string)', () => {
    expect(acceptableDeflateOffers('permessage-deflate; client_max_window_bits="11"')).not.toBeNull()
  })
})

describe('deflateMessage', () => {
  it('round-trips through a receiver and shrinks repetitive presence JSON', () => {
    const states = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ user: { name: `User ${i}`, color: '#30bced' }, cursor: { anchor: { client: 20_000 + i, clock: 400 + i } } }),
    ).join('')
    const message = new TextEncoder().encode(states)
    const deflated = deflateMessage(message)
    expect(inflateMessage(deflated).equals(Buffer.from(message))).toBe(true)
    expect(deflated.byteLength).toBeLessThan(message.byteLength / 4)
  })

  it('each message stands alone (no context from the previous one)', () => {
    const first = deflateMessage(new TextEncoder().encode('hello hello hello'))
    const second = deflateMessage(new TextEncoder().encode('hello hello hello'))
    expect(second.equals(first)).toBe(true)
    expect(inflateMessage(second).toString()).toBe('hello hello hello')
  })
})

describe('CompressibleFrame', () => {
  it('is compressed once and refuses to grow a frame', () => {
    const big = new CompressibleFrame(new TextEncoder().encode('abc'.repeat(200)))
    const once = big.deflated()
    expect(once).not.toBeNull()
    expect(big.deflated()).toBe(once)
    const tiny = new CompressibleFrame(Uint8Array.of(1, 2, 3))
    expect(tiny.deflated()).toBeNull()
  })
})

/** How a client compresses one message with no context kept (RFC 7692 §7.2.1). */
function clientDeflate(message: Uint8Array): Buffer {
  const flushed = deflateRawSync(message, { windowBits: CLIENT_WINDOW_BITS, finishFlush: zlibConstants.Z_SYNC_FLUSH })
  return flushed.subarray(0, flushed.length - 4)
}

/** Incompressible bytes, the same on every run. */
function noise(length: number): Buffer {
  let seed = length
  return Buffer.from(Array.from({ length }, () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) >> 16) % 256))
}

describe('inlineInflater', () => {
  /**
   * The replacement installed on an extension whose prototype holds a recording stand-in for
   * ws's own (thread-pool) decompress, as on a ws socket.
   */
  function inflaterOverWs(maxMessageBytes?: number) {
    const handedToWs: { bytes: number; fin: boolean }[] = []
    const closedStreams: number[] = []
    class WsExtension implements MessageInflater {
      _inflate: { close(): void } | null = null
      decompress(data: Buffer, fin: boolean, callback: (error: Error | null, result?: Buffer) => void): void {
        handedToWs.push({ bytes: data.length, fin })
        // As ws: one stream per socket, made on first use and kept.
        const number = handedToWs.length
        this._inflate ??= { close: () => closedStreams.push(number) }
        setImmediate(() => callback(null, Buffer.from('from ws')))
      }
    }
    const extension: InlineInflaterHost = new WsExtension()
    extension.decompress = inlineInflater(maxMessageBytes)
    const run = (data: Buffer, fin = true) =>
      new Promise<{ result: Buffer; sameTick: boolean }>((resolve, reject) => {
        let returned = false
        extension.decompress(data, fin, (error, result) => (error !== null ? reject(error) : resolve({ result: result!, sameTick: !returned })))
        returned = true
      })
    return { handedToWs, closedStreams, extension, run }
  }

  it('inflates a small message itself and answers on a later tick, as ws does', async () => {
    const { handedToWs, run } = inflaterOverWs()
    const message = Buffer.from('a small update '.repeat(10))
    const { result, sameTick } = await run(clientDeflate(message))
    expect(result.equals(message)).toBe(true)
    expect(sameTick).toBe(false)
    expect(handedToWs).toEqual([])
  })

  it('hands fragmented messages, large ones and ones it cannot inflate to ws', async () => {
    const { handedToWs, run } = inflaterOverWs()
    const compressed = clientDeflate(Buffer.from('fragmented message '.repeat(5)))
    await run(compressed.subarray(0, 5), false)
    // The last fragment belongs to ws's stream too, although it is small and final.
    await run(compressed.subarray(5), true)
    await run(Buffer.alloc(INLINE_INFLATE_MAX_INPUT_BYTES + 1))
    await run(Buffer.from([0xff, 0xff, 0xff]))
    // Inflating past the inline bound: ws inflates it (and enforces MAX_FRAME_BYTES).
    await run(clientDeflate(Buffer.alloc(INLINE_INFLATE_MAX_OUTPUT_BYTES + 1)))
    expect(handedToWs.map((call) => call.fin)).toEqual([false, true, true, true, true])
    // After ws's message the next small one is inline again.
    const message = Buffer.from('back inline')
    expect((await run(clientDeflate(message))).result.equals(message)).toBe(true)
    expect(handedToWs).toHaveLength(5)
  })

  it('inflates messages of every size exactly, also ones that fill its shared buffer', async () => {
    const { handedToWs, run } = inflaterOverWs()
    const lengths = [0, 1, 30, 230, 4_000, SMALL_INFLATE_OUTPUT_BYTES - 1, SMALL_INFLATE_OUTPUT_BYTES, SMALL_INFLATE_OUTPUT_BYTES + 1, 200_000]
    for (const length of lengths) {
      // Zeros compress below SMALL_INFLATE_MAX_INPUT_BYTES however long; random bytes do not.
      for (const message of [Buffer.alloc(length), noise(Math.min(length, 5_000))]) {
        // A sender may also end the message with a final block (RFC 7692 §7.2.3.5).
        for (const compressed of [clientDeflate(message), deflateRawSync(message, { windowBits: CLIENT_WINDOW_BITS })]) {
          const { result } = await run(compressed)
          expect(result.length, `${message.length} bytes (${compressed.length} compressed)`).toBe(message.length)
          expect(result.equals(message)).toBe(true)
        }
      }
    }
    expect(clientDeflate(Buffer.alloc(200_000)).length).toBeLessThanOrEqual(SMALL_INFLATE_MAX_INPUT_BYTES)
    expect(handedToWs).toEqual([])
  })

  it('inflates a message that reaches back further than 1 KiB (a 2^15 window, as Firefox uses) itself', async () => {
    const { handedToWs, run } = inflaterOverWs()
    // Past the JavaScript path's size and past zlib's 16 KiB output chunk: zlib's window must
    // reach the 20,000-byte-old copy.
    const half = noise(20_000)
    const message = Buffer.concat([half, half])
    const compressed = deflateRawSync(message, { windowBits: 15, finishFlush: zlibConstants.Z_SYNC_FLUSH }).subarray(0, -4)
    expect(compressed.length).toBeGreaterThan(SMALL_INFLATE_MAX_INPUT_BYTES)
    expect(compressed.length).toBeLessThan(message.length * 0.6)
    expect((await run(compressed)).result.equals(message)).toBe(true)
    expect(handedToWs).toEqual([])
  })

  it("frees ws's inflate stream once a message it inflated is whole, not between fragments", async () => {
    const { handedToWs, closedStreams, extension, run } = inflaterOverWs()
    const compressed = clientDeflate(Buffer.from('fragmented message '.repeat(5)))
    await run(compressed.subarray(0, 5), false)
    expect(closedStreams).toEqual([])
    expect(extension._inflate).not.toBeNull()
    await run(compressed.subarray(5), true)
    expect(closedStreams).toEqual([1])
    expect(extension._inflate).toBeNull()
    // The next message ws inflates gets a stream of its own, freed too.
    await run(Buffer.from([0xff, 0xff, 0xff]))
    expect(closedStreams).toEqual([1, 3])
    expect(handedToWs).toHaveLength(3)
  })

  it('gives every message its own bytes (the next one does not overwrite the last)', async () => {
    const { run } = inflaterOverWs()
    const first = (await run(clientDeflate(Buffer.from('first message')))).result
    await run(clientDeflate(Buffer.from('SECOND MESSAGE, longer')))
    expect(first.toString()).toBe('first message')
  })

  it("leaves a message that inflates past the socket's maxPayload to ws (which closes with 1009)", async () => {
    const { handedToWs, run } = inflaterOverWs(1_000)
    expect((await run(clientDeflate(Buffer.alloc(1_000)))).result.length).toBe(1_000)
    // Small compressed (JavaScript path) and larger compressed (zlib path), both past the bound.
    await run(clientDeflate(Buffer.alloc(1_001)))
    const random = noise(3_000)
    expect(clientDeflate(random).length).toBeGreaterThan(SMALL_INFLATE_MAX_INPUT_BYTES)
    await run(clientDeflate(random))
    expect(handedToWs).toHaveLength(2)
  })
})
