import { constants as zlibConstants, inflateRawSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { CLIENT_WINDOW_BITS, CompressibleFrame, SERVER_WINDOW_BITS, acceptableDeflateOffers, deflateMessage } from './compression'

/** What a receiver does (RFC 7692 §7.2.2): append the removed tail and inflate. */
function inflateMessage(payload: Uint8Array): Buffer {
  return inflateRawSync(Buffer.concat([payload, Buffer.from([0x00, 0x00, 0xff, 0xff])]), { windowBits: 15, finishFlush: zlibConstants.Z_SYNC_FLUSH })
}

describe('acceptableDeflateOffers', () => {
  it("keeps Chrome's and ws's default offer", () => {
    expect(acceptableDeflateOffers('permessage-deflate; client_max_window_bits')).toBe('permessage-deflate; client_max_window_bits')
  })

  it('drops offers the relay could only answer by refusing the upgrade', () => {
    // No client_max_window_bits: the relay could not bound the client's window.
    expect(acceptableDeflateOffers('permessage-deflate')).toBeNull()
    expect(acceptableDeflateOffers(`permessage-deflate; client_max_window_bits=${CLIENT_WINDOW_BITS - 1}`)).toBeNull()
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
      'permessage-deflate; client_max_window_bits=8',
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
