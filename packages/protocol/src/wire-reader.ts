// Strict readers over a lib0 Decoder. lib0's own readers accept varUints whose last byte pushes
// the value past 2^53 and never check for trailing bytes; every read here either returns a value
// that lies inside the frame or throws MalformedFrameError.
import * as decoding from 'lib0/decoding'
import { MalformedFrameError } from './errors'

/** A varUint never needs more than 8 bytes to reach 2^53 - 1. */
const MAX_VAR_UINT_BYTES = 8

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Reads a varUint in [0, 2^53 - 1]; `what` names the field in the error. */
export function readVarUintStrict(decoder: decoding.Decoder, what: string): number {
  const bytes = decoder.arr
  let value = 0
  let multiplier = 1
  for (let read = 0; read < MAX_VAR_UINT_BYTES; read++) {
    if (decoder.pos >= bytes.length) {
      throw new MalformedFrameError(`${what}: truncated varUint at byte ${decoder.pos}`)
    }
    const byte = bytes[decoder.pos++]!
    value += (byte & 0x7f) * multiplier
    if (value > Number.MAX_SAFE_INTEGER) {
      throw new MalformedFrameError(`${what}: varUint exceeds 2^53 - 1`)
    }
    if (byte < 0x80) return value
    multiplier *= 0x80
  }
  throw new MalformedFrameError(`${what}: varUint longer than ${MAX_VAR_UINT_BYTES} bytes`)
}

/** Reads a varUint length prefix followed by that many bytes (a view, not a copy). */
export function readVarBytesStrict(decoder: decoding.Decoder, what: string): Uint8Array {
  const start = decoder.pos
  const length = readVarUintStrict(decoder, `${what} length`)
  const remaining = decoder.arr.length - decoder.pos
  if (length > remaining) {
    throw new MalformedFrameError(
      `${what}: length prefix ${length} at byte ${start} runs past the end (${remaining} bytes left)`,
    )
  }
  return decoding.readUint8Array(decoder, length)
}

/** Reads a varUint-prefixed UTF-8 string; invalid UTF-8 is refused. */
export function readVarStringStrict(decoder: decoding.Decoder, what: string): { text: string; bytes: number } {
  const raw = readVarBytesStrict(decoder, what)
  try {
    return { text: utf8.decode(raw), bytes: raw.length }
  } catch {
    throw new MalformedFrameError(`${what}: invalid UTF-8`)
  }
}

/** Throws when bytes remain after the last field of a message. */
export function expectEnd(decoder: decoding.Decoder, what: string): void {
  const trailing = decoder.arr.length - decoder.pos
  if (trailing !== 0) {
    throw new MalformedFrameError(`${what}: ${trailing} trailing byte(s) after byte ${decoder.pos}`)
  }
}
