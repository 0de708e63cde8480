import * as decoding from 'lib0/decoding'
import * as bc from 'lib0/broadcastchannel'
import * as awarenessProtocol from 'y-protocols/awareness'
import type { WebsocketProvider } from 'y-websocket'
import { encodeAwareness } from '@collab/protocol'
import { decodeStateVectorSafe, type StateVector } from './status'

export { encodeSavedStateVectorRequest, encodeSyncUpdate } from '@collab/protocol'

/** Reads the body of `[100, varUint8Array(stateVector)]` (type already consumed); null if malformed. */
export function readSavedStateReply(decoder: decoding.Decoder): StateVector | null {
  try {
    return decodeStateVectorSafe(decoding.readVarUint8Array(decoder))
  } catch {
    return null
  }
}

/** `[1, awarenessUpdate]` for the given clients' current states (null state = removal). */
export function encodeAwarenessFrame(awareness: awarenessProtocol.Awareness, clientIds: number[]): Uint8Array {
  return encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(awareness, clientIds))
}

/** Writes to the relay socket if it is open; returns whether it was written. */
export function sendToRelay(provider: WebsocketProvider, frame: Uint8Array): boolean {
  const ws = provider.ws
  if (!provider.wsconnected || ws === null || ws.readyState !== ws.OPEN) return false
  ws.send(frame)
  return true
}

/** Same fan-out as the stock provider: the relay socket and, if connected, other tabs. */
export function broadcastFrame(provider: WebsocketProvider, frame: Uint8Array): void {
  sendToRelay(provider, frame)
  if (provider.bcconnected) bc.publish(provider.bcChannel, frame, provider)
}
