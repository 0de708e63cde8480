// Asks the relay what it has stored (extension message 100) over a plain WebSocket that never
// sends document content, so the answer reflects only what the fuzz clients sent.
import { decodeFrame, encodeSavedStateVectorRequest } from '@collab/protocol'
import WebSocket from 'ws'

/** The relay's "saved state vector" for `docId`: every update it covers is durable. */
export async function requestSavedStateVector(syncUrl: string, docId: string, timeoutMs: number): Promise<Uint8Array> {
  const socket = new WebSocket(`${syncUrl}/${docId}`)
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`No saved state vector for ${docId} within ${timeoutMs} ms`)), timeoutMs)
      socket.on('open', () => socket.send(encodeSavedStateVectorRequest()))
      socket.on('message', (data: Buffer) => {
        try {
          const frame = decodeFrame(new Uint8Array(data))
          if (frame.type !== 'saved-state-vector') return
          clearTimeout(timer)
          resolve(frame.stateVector)
        } catch (error) {
          clearTimeout(timer)
          reject(error instanceof Error ? error : new Error(String(error)))
        }
      })
      socket.on('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      socket.on('close', (code) => {
        clearTimeout(timer)
        reject(new Error(`Relay closed the probe socket for ${docId} with ${code} before answering`))
      })
    })
  } finally {
    socket.terminate()
  }
}
