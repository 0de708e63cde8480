import * as decoding from 'lib0/decoding'
import { readAwarenessUpdate, type AwarenessEntry } from './awareness'
import { MalformedFrameError, UnknownMessageTypeError } from './errors'
import { MessageType, SyncMessageType } from './message-type'
import { expectEnd, readVarBytesStrict, readVarStringStrict, readVarUintStrict } from './wire-reader'

/** Sub-type of an auth message: the only one y-protocols defines. */
export const AuthMessageType = {
  PermissionDenied: 0,
} as const

/**
 * One decoded WebSocket frame. Byte fields are views into the decoded frame: copy them before
 * keeping them past the frame's lifetime.
 */
export type Frame =
  | { type: 'sync-step1'; stateVector: Uint8Array }
  | { type: 'sync-step2'; update: Uint8Array }
  | { type: 'sync-update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array; entries: AwarenessEntry[] }
  | { type: 'auth-permission-denied'; reason: string }
  | { type: 'query-awareness' }
  | { type: 'saved-state-vector-request' }
  | { type: 'saved-state-vector'; stateVector: Uint8Array }

export type FrameType = Frame['type']

/**
 * Decodes one frame per the grammar in PROTOCOL.md. Throws a {@link ProtocolError} subclass for
 * empty or truncated frames, varUints beyond 2^53 - 1, length prefixes past the end, trailing
 * bytes and unknown (sub-)types; never anything else.
 */
export function decodeFrame(bytes: Uint8Array): Frame {
  if (bytes.length === 0) throw new MalformedFrameError('empty frame')
  const decoder = decoding.createDecoder(bytes)
  const messageType = readVarUintStrict(decoder, 'message type')
  const frame = decodeBody(decoder, messageType)
  expectEnd(decoder, frame.type)
  return frame
}

function decodeBody(decoder: decoding.Decoder, messageType: number): Frame {
  switch (messageType) {
    case MessageType.Sync:
      return decodeSync(decoder)
    case MessageType.Awareness: {
      const update = readVarBytesStrict(decoder, 'awareness update')
      return { type: 'awareness', update, entries: readAwarenessUpdate(update) }
    }
    case MessageType.Auth: {
      const subType = readVarUintStrict(decoder, 'auth message type')
      if (subType !== AuthMessageType.PermissionDenied) {
        throw new UnknownMessageTypeError(subType, 'auth message type')
      }
      return { type: 'auth-permission-denied', reason: readVarStringStrict(decoder, 'reason').text }
    }
    case MessageType.QueryAwareness:
      return { type: 'query-awareness' }
    case MessageType.SavedStateVector:
      // `[100]` alone asks; `[100, sv]` answers.
      if (!decoding.hasContent(decoder)) return { type: 'saved-state-vector-request' }
      return { type: 'saved-state-vector', stateVector: readStateVector(decoder) }
    default:
      throw new UnknownMessageTypeError(messageType)
  }
}

function decodeSync(decoder: decoding.Decoder): Frame {
  const subType = readVarUintStrict(decoder, 'sync message type')
  switch (subType) {
    case SyncMessageType.Step1:
      return { type: 'sync-step1', stateVector: readStateVector(decoder) }
    case SyncMessageType.Step2:
      return { type: 'sync-step2', update: readVarBytesStrict(decoder, 'sync step 2 update') }
    case SyncMessageType.Update:
      return { type: 'sync-update', update: readVarBytesStrict(decoder, 'sync update') }
    default:
      throw new UnknownMessageTypeError(subType, 'sync message type')
  }
}

/**
 * Reads a varUint8Array holding a Yjs state vector (`count (client clock)*`) and checks its
 * structure, so `Y.encodeStateAsUpdate(doc, sv)` cannot throw on it later.
 */
function readStateVector(decoder: decoding.Decoder): Uint8Array {
  const stateVector = readVarBytesStrict(decoder, 'state vector')
  const inner = decoding.createDecoder(stateVector)
  const count = readVarUintStrict(inner, 'state vector entry count')
  // Each entry takes at least 2 bytes.
  if (count * 2 > stateVector.length - inner.pos) {
    throw new MalformedFrameError(`state vector declares ${count} entries in ${stateVector.length} bytes`)
  }
  for (let i = 0; i < count; i++) {
    readVarUintStrict(inner, `state vector entry ${i} client id`)
    readVarUintStrict(inner, `state vector entry ${i} clock`)
  }
  expectEnd(inner, 'state vector')
  return stateVector
}
