import * as encoding from 'lib0/encoding'
import { AuthMessageType } from './frame'
import { MessageType, SyncMessageType } from './message-type'

function frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder()
  write(encoder)
  return encoding.toUint8Array(encoder)
}

/** `[0, 0, varUint8Array(stateVector)]`: "here is what I have; send me what I lack". */
export function encodeSyncStep1(stateVector: Uint8Array): Uint8Array {
  return frame((encoder) => {
    encoding.writeVarUint(encoder, MessageType.Sync)
    encoding.writeVarUint(encoder, SyncMessageType.Step1)
    encoding.writeVarUint8Array(encoder, stateVector)
  })
}

/** `[0, 1, varUint8Array(update)]`: the answer to a step 1, the diff against its state vector. */
export function encodeSyncStep2(update: Uint8Array): Uint8Array {
  return frame((encoder) => {
    encoding.writeVarUint(encoder, MessageType.Sync)
    encoding.writeVarUint(encoder, SyncMessageType.Step2)
    encoding.writeVarUint8Array(encoder, update)
  })
}

/** `[0, 2, varUint8Array(update)]`: an incremental update. */
export function encodeSyncUpdate(update: Uint8Array): Uint8Array {
  return frame((encoder) => {
    encoding.writeVarUint(encoder, MessageType.Sync)
    encoding.writeVarUint(encoder, SyncMessageType.Update)
    encoding.writeVarUint8Array(encoder, update)
  })
}

/** `[1, varUint8Array(awarenessUpdate)]`. */
export function encodeAwareness(awarenessUpdate: Uint8Array): Uint8Array {
  return frame((encoder) => {
    encoding.writeVarUint(encoder, MessageType.Awareness)
    encoding.writeVarUint8Array(encoder, awarenessUpdate)
  })
}

/** `[3]`: "send me every awareness state you know". */
export function encodeQueryAwareness(): Uint8Array {
  return frame((encoder) => encoding.writeVarUint(encoder, MessageType.QueryAwareness))
}

/** `[2, 0, varString(reason)]`: y-protocols auth "permission denied". */
export function encodePermissionDenied(reason: string): Uint8Array {
  return frame((encoder) => {
    encoding.writeVarUint(encoder, MessageType.Auth)
    encoding.writeVarUint(encoder, AuthMessageType.PermissionDenied)
    encoding.writeVarString(encoder, reason)
  })
}

/** `[100]`: extension request "tell me what you have stored". */
export function encodeSavedStateVectorRequest(): Uint8Array {
  return frame((encoder) => encoding.writeVarUint(encoder, MessageType.SavedStateVector))
}

/** `[100, varUint8Array(stateVector)]`: extension answer, the state vector that is durable. */
export function encodeSavedStateVector(stateVector: Uint8Array): Uint8Array {
  return frame((encoder) => {
    encoding.writeVarUint(encoder, MessageType.SavedStateVector)
    encoding.writeVarUint8Array(encoder, stateVector)
  })
}
