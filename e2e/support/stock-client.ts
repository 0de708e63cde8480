// A stock y-websocket client in Node, exactly as the public contract promises it works:
// `new WebsocketProvider('ws://HOST:PORT/sync', docId, ydoc)`.
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { pollUntil } from './poll'

export interface StockClient {
  readonly doc: Y.Doc
  readonly provider: WebsocketProvider
  /** Resolves once the provider has completed a sync with the relay. */
  synced(timeoutMs?: number): Promise<void>
  destroy(): void
}

/** Connects a fresh Y.Doc to `syncUrl` (e.g. `ws://127.0.0.1:1234/sync`) for `docId`. */
export function connectStockClient(syncUrl: string, docId: string): StockClient {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(syncUrl, docId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  return {
    doc,
    provider,
    synced: async (timeoutMs = 15_000) => {
      await pollUntil(() => provider.synced, { timeoutMs, message: `stock client to sync ${docId}` })
    },
    destroy: () => {
      provider.destroy()
      doc.destroy()
    },
  }
}

/** Outcome of a WebSocket handshake the relay is expected to refuse. */
export type Refusal = { kind: 'http'; status: number } | { kind: 'close'; code: number; reason: string } | { kind: 'open' }

/** Opens a raw WebSocket to `url` and reports how the relay answered. */
export async function tryWebSocket(url: string, timeoutMs = 10_000): Promise<Refusal> {
  return await new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    const timer = setTimeout(() => {
      socket.terminate()
      reject(new Error(`No answer from ${url} within ${timeoutMs} ms`))
    }, timeoutMs)
    const finish = (refusal: Refusal): void => {
      clearTimeout(timer)
      resolve(refusal)
    }
    socket.once('unexpected-response', (_request, response) => {
      finish({ kind: 'http', status: response.statusCode ?? 0 })
      socket.terminate()
    })
    socket.once('close', (code, reason) => finish({ kind: 'close', code, reason: reason.toString() }))
    socket.once('error', () => {
      // 'unexpected-response' or 'close' carries the detail.
    })
    // A socket that stays open was accepted; give the relay a moment to close it after the upgrade.
    socket.once('open', () => {
      setTimeout(() => {
        if (socket.readyState === WebSocket.OPEN) {
          finish({ kind: 'open' })
          socket.close()
        }
      }, 2_000)
    })
  })
}

/** Project extension (packages/protocol PROTOCOL.md): `[100]` asks, `[100, varUint8Array(sv)]` answers. */
const SAVED_STATE_VECTOR = 100

function readVarUint(bytes: Uint8Array, start: number): { value: number; next: number } {
  let value = 0
  let shift = 1
  for (let index = start; index < bytes.length; index++) {
    const byte = bytes[index] as number
    value += (byte & 0x7f) * shift
    if (byte < 0x80) return { value, next: index + 1 }
    shift *= 128
  }
  throw new Error(`Truncated varUint at byte ${start} of a ${bytes.length}-byte frame`)
}

/**
 * Asks the relay which state it has durably stored for `docId` (the saved-state-vector
 * extension) and returns that state vector.
 */
export async function storedStateVector(syncUrl: string, docId: string, timeoutMs = 10_000): Promise<Map<number, number>> {
  return await new Promise((resolve, reject) => {
    const socket = new WebSocket(`${syncUrl}/${docId}`)
    socket.binaryType = 'nodebuffer'
    const timer = setTimeout(() => {
      socket.terminate()
      reject(new Error(`No saved-state-vector answer for ${docId} within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.once('open', () => socket.send(Uint8Array.of(SAVED_STATE_VECTOR)))
    socket.on('message', (data: Buffer) => {
      const frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      if (frame[0] !== SAVED_STATE_VECTOR) return
      clearTimeout(timer)
      socket.close()
      try {
        const { value: length, next } = readVarUint(frame, 1)
        resolve(Y.decodeStateVector(frame.subarray(next, next + length)))
      } catch (error) {
        reject(error as Error)
      }
    })
    socket.once('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
  })
}

/** True when `stored` includes everything `local` has seen. */
export function covers(stored: Map<number, number>, local: Map<number, number>): boolean {
  return [...local.entries()].every(([client, clock]) => (stored.get(client) ?? 0) >= clock)
}
