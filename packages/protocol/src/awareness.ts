import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { InvalidAwarenessError, MalformedFrameError, formatCount } from './errors'
import { MAX_AWARENESS_CLOCK, type ProtocolLimits } from './limits'
import { expectEnd, readVarStringStrict, readVarUintStrict } from './wire-reader'

/** One entry of a y-protocols awareness update, as it is on the wire. */
export interface AwarenessEntry {
  clientId: number
  clock: number
  /** JSON text of the state; `"null"` removes the client. */
  stateJson: string
  /** UTF-8 length of `stateJson`. */
  stateBytes: number
}

/** An entry whose state passed the limits and was parsed. */
export interface ParsedAwarenessEntry {
  clientId: number
  clock: number
  /** `null` means "this client left". */
  state: unknown
  stateJson: string
}

/**
 * Reads the payload of an awareness message (the bytes inside `[1, varUint8Array(...)]`).
 * Structure only (throws MalformedFrameError); JSON is checked by {@link parseAwarenessEntries}.
 */
export function readAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update)
  const count = readVarUintStrict(decoder, 'awareness entry count')
  // Each entry takes at least 3 bytes, so a count beyond that is a lie we can refuse up front.
  if (count * 3 > update.length - decoder.pos) {
    throw new MalformedFrameError(
      `awareness update declares ${formatCount(count)} entries in ${formatCount(update.length)} bytes`,
    )
  }
  const entries: AwarenessEntry[] = []
  for (let i = 0; i < count; i++) {
    const clientId = readVarUintStrict(decoder, `awareness entry ${i} client id`)
    const clock = readVarUintStrict(decoder, `awareness entry ${i} clock`)
    const { text, bytes } = readVarStringStrict(decoder, `awareness entry ${i} state`)
    entries.push({ clientId, clock, stateJson: text, stateBytes: bytes })
  }
  expectEnd(decoder, 'awareness update')
  return entries
}

/** Writes entries as an awareness update payload (the inverse of {@link readAwarenessUpdate}). */
export function encodeAwarenessEntries(
  entries: ReadonlyArray<Pick<AwarenessEntry, 'clientId' | 'clock' | 'stateJson'>>,
): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeVarUint(encoder, entries.length)
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientId)
    encoding.writeVarUint(encoder, entry.clock)
    encoding.writeVarString(encoder, entry.stateJson)
  }
  return encoding.toUint8Array(encoder)
}

/**
 * Deepest array/object nesting of a JSON text, found by scanning (never by a recursive walk, which
 * a hostile depth would overflow). Brackets inside strings do not count.
 */
export function jsonNestingDepth(text: string): number {
  let depth = 0
  let maxDepth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i)
    if (inString) {
      if (char === 0x5c /* \ */) i++
      else if (char === 0x22 /* " */) inString = false
    } else if (char === 0x22) {
      inString = true
    } else if (char === 0x7b /* { */ || char === 0x5b /* [ */) {
      depth++
      if (depth > maxDepth) maxDepth = depth
    } else if (char === 0x7d /* } */ || char === 0x5d /* ] */) {
      depth--
    }
  }
  return maxDepth
}

/**
 * Checks every entry against the limits (count, clock, state size and depth) and parses its JSON. Throws
 * {@link InvalidAwarenessError} naming the first bad entry.
 */
export function parseAwarenessEntries(
  entries: readonly AwarenessEntry[],
  limits: Pick<ProtocolLimits, 'maxAwarenessEntries' | 'maxAwarenessStateBytes' | 'maxAwarenessJsonDepth'>,
): ParsedAwarenessEntry[] {
  if (entries.length > limits.maxAwarenessEntries) {
    throw new InvalidAwarenessError(
      `${formatCount(entries.length)} entries exceed maxAwarenessEntries ${formatCount(limits.maxAwarenessEntries)}`,
    )
  }
  return entries.map((entry) => {
    if (entry.clock > MAX_AWARENESS_CLOCK) {
      throw new InvalidAwarenessError(
        `clock ${formatCount(entry.clock)} of client ${entry.clientId} exceeds ${formatCount(MAX_AWARENESS_CLOCK)}`,
      )
    }
    if (entry.stateBytes > limits.maxAwarenessStateBytes) {
      throw new InvalidAwarenessError(
        `state of client ${entry.clientId} is ${formatCount(entry.stateBytes)} bytes, exceeding ` +
          `maxAwarenessStateBytes ${formatCount(limits.maxAwarenessStateBytes)}`,
      )
    }
    const depth = jsonNestingDepth(entry.stateJson)
    if (depth > limits.maxAwarenessJsonDepth) {
      throw new InvalidAwarenessError(
        `state of client ${entry.clientId} nests ${depth} levels, exceeding maxAwarenessJsonDepth ${limits.maxAwarenessJsonDepth}`,
      )
    }
    let state: unknown
    try {
      state = JSON.parse(entry.stateJson)
    } catch {
      throw new InvalidAwarenessError(`state of client ${entry.clientId} is not valid JSON`)
    }
    return { clientId: entry.clientId, clock: entry.clock, state, stateJson: entry.stateJson }
  })
}
