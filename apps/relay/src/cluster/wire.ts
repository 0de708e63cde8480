// The messages relays exchange over Redis pub/sub. Binary, versioned, decoded strictly: a
// message from the bus is input like any other and never throws out of the handler.
//
//   message   := version:uint8 (= 1) kind:uint8 origin:varString body
//   origin    := the sending relay's RELAY_ID (1–64 of [A-Za-z0-9_.-])
//
//   kind 0 UPDATE     body := update:varUint8Array
//                     a Yjs update one of origin's own clients made (doc channel)
//   kind 1 AWARENESS  body := awarenessUpdate:varUint8Array
//                     y-protocols awareness entries of origin's own clients (doc channel)
//   kind 2 STATE      body := flags:varUint stateVector:varUint8Array digest:varUint8Array
//                     origin's state vector and delete-set digest (doc channel); flag bit 0
//                     HELLO: origin just joined or reconnected, answer with your STATE and
//                     your clients' awareness
//   kind 3 DIFF       body := target:varString update:varUint8Array
//                     what `target` lacked according to its STATE (doc channel)
//   kind 4 HEARTBEAT  body := intervalMs:varUint instance:varString    (relays channel)
//                     instance: random per process, to notice two relays sharing a RELAY_ID
//   kind 5 BYE        body := ∅ — origin is shutting down cleanly      (relays channel)
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { assertNever } from '../assert-never'

export const CLUSTER_WIRE_VERSION = 1

/** Channel carrying every relay's heartbeats. */
export const RELAYS_CHANNEL = 'collab:relays'

const DOC_CHANNEL_PREFIX = 'collab:doc:'

/** The pub/sub channel of one document. */
export function docChannel(docId: string): string {
  return `${DOC_CHANNEL_PREFIX}${docId}`
}

/** Relay ids: what RELAY_ID accepts and what a message may carry as its origin. */
export const RELAY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/

export const MessageKind = {
  Update: 0,
  Awareness: 1,
  State: 2,
  Diff: 3,
  Heartbeat: 4,
  Bye: 5,
} as const

/** STATE flag: the sender (re)joined; peers answer with their STATE and awareness. */
export const STATE_FLAG_HELLO = 1

export type ClusterMessage =
  | { kind: 'update'; origin: string; update: Uint8Array }
  | { kind: 'awareness'; origin: string; awareness: Uint8Array }
  | { kind: 'state'; origin: string; hello: boolean; stateVector: Uint8Array; digest: Uint8Array }
  | { kind: 'diff'; origin: string; target: string; update: Uint8Array }
  | { kind: 'heartbeat'; origin: string; intervalMs: number; instance: string }
  | { kind: 'bye'; origin: string }

/** A bus message that is not a cluster message this relay understands. */
export class ClusterMessageError extends Error {
  override readonly name = 'ClusterMessageError'
}

/** Encodes one message; the origin must match {@link RELAY_ID_PATTERN}. */
export function encodeClusterMessage(message: ClusterMessage): Uint8Array {
  const encoder = encoding.createEncoder()
  encoding.writeUint8(encoder, CLUSTER_WIRE_VERSION)
  switch (message.kind) {
    case 'update':
      encoding.writeUint8(encoder, MessageKind.Update)
      encoding.writeVarString(encoder, message.origin)
      encoding.writeVarUint8Array(encoder, message.update)
      break
    case 'awareness':
      encoding.writeUint8(encoder, MessageKind.Awareness)
      encoding.writeVarString(encoder, message.origin)
      encoding.writeVarUint8Array(encoder, message.awareness)
      break
    case 'state':
      encoding.writeUint8(encoder, MessageKind.State)
      encoding.writeVarString(encoder, message.origin)
      encoding.writeVarUint(encoder, message.hello ? STATE_FLAG_HELLO : 0)
      encoding.writeVarUint8Array(encoder, message.stateVector)
      encoding.writeVarUint8Array(encoder, message.digest)
      break
    case 'diff':
      encoding.writeUint8(encoder, MessageKind.Diff)
      encoding.writeVarString(encoder, message.origin)
      encoding.writeVarString(encoder, message.target)
      encoding.writeVarUint8Array(encoder, message.update)
      break
    case 'heartbeat':
      encoding.writeUint8(encoder, MessageKind.Heartbeat)
      encoding.writeVarString(encoder, message.origin)
      encoding.writeVarUint(encoder, message.intervalMs)
      encoding.writeVarString(encoder, message.instance)
      break
    case 'bye':
      encoding.writeUint8(encoder, MessageKind.Bye)
      encoding.writeVarString(encoder, message.origin)
      break
    default:
      return assertNever(message)
  }
  return encoding.toUint8Array(encoder)
}

/** Decodes one message; throws {@link ClusterMessageError} naming what was wrong. */
export function decodeClusterMessage(bytes: Uint8Array): ClusterMessage {
  try {
    return readMessage(decoding.createDecoder(bytes))
  } catch (error) {
    if (error instanceof ClusterMessageError) throw error
    throw new ClusterMessageError(`cluster message of ${bytes.byteLength} bytes is truncated or malformed`)
  }
}

function readMessage(decoder: decoding.Decoder): ClusterMessage {
  const version = readByte(decoder)
  if (version !== CLUSTER_WIRE_VERSION) {
    throw new ClusterMessageError(`cluster message version ${version} is not ${CLUSTER_WIRE_VERSION}`)
  }
  const kind = readByte(decoder)
  const origin = readRelayId(decoder, 'origin')
  let message: ClusterMessage
  switch (kind) {
    case MessageKind.Update:
      message = { kind: 'update', origin, update: decoding.readVarUint8Array(decoder) }
      break
    case MessageKind.Awareness:
      message = { kind: 'awareness', origin, awareness: decoding.readVarUint8Array(decoder) }
      break
    case MessageKind.State: {
      const flags = decoding.readVarUint(decoder)
      const stateVector = decoding.readVarUint8Array(decoder)
      const digest = decoding.readVarUint8Array(decoder)
      message = { kind: 'state', origin, hello: (flags & STATE_FLAG_HELLO) !== 0, stateVector, digest }
      break
    }
    case MessageKind.Diff: {
      const target = readRelayId(decoder, 'target')
      message = { kind: 'diff', origin, target, update: decoding.readVarUint8Array(decoder) }
      break
    }
    case MessageKind.Heartbeat:
      message = { kind: 'heartbeat', origin, intervalMs: decoding.readVarUint(decoder), instance: decoding.readVarString(decoder) }
      break
    case MessageKind.Bye:
      message = { kind: 'bye', origin }
      break
    default:
      throw new ClusterMessageError(`unknown cluster message kind ${kind}`)
  }
  if (decoding.hasContent(decoder)) {
    throw new ClusterMessageError(`cluster ${message.kind} message has ${decoder.arr.length - decoder.pos} trailing bytes`)
  }
  return message
}

/** lib0's readUint8 returns undefined past the end; everything else it reads is bounds-checked. */
function readByte(decoder: decoding.Decoder): number {
  if (decoder.pos >= decoder.arr.length) throw new ClusterMessageError('cluster message is truncated')
  return decoding.readUint8(decoder)
}

function readRelayId(decoder: decoding.Decoder, what: string): string {
  const id = decoding.readVarString(decoder)
  if (!RELAY_ID_PATTERN.test(id)) throw new ClusterMessageError(`cluster message ${what} ${JSON.stringify(id.slice(0, 80))} is not a relay id`)
  return id
}
