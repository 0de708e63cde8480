// Stock y-websocket clients (WebsocketProvider over `ws`), exactly as an outside user would run
// them, plus the few observations the process tests need (close codes, sync state).
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

/** The shared type every process test and benchmark edits. */
export const textName = 'text'

export interface ClientOptions {
  /** Cap of y-websocket's exponential reconnect backoff; small so restarts heal quickly. */
  maxBackoffTimeMs?: number
  /** Connect right away (default true). */
  connect?: boolean
}

/** A stock provider with its doc, and the close codes it has seen from the relay. */
export class StockClient {
  readonly doc = new Y.Doc()
  readonly text: Y.Text = this.doc.getText(textName)
  readonly provider: WebsocketProvider
  /** Close codes of every server-side close this client observed, oldest first. */
  readonly closeCodes: number[] = []
  /** How many times the socket opened (1 after the first connect; +1 per reconnect). */
  connectCount = 0

  constructor(syncUrl: string, readonly docId: string, options: ClientOptions = {}) {
    this.provider = new WebsocketProvider(syncUrl, docId, this.doc, {
      // y-websocket types this as the DOM WebSocket class; `ws` is API-compatible for its use.
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      maxBackoffTime: options.maxBackoffTimeMs ?? 500,
      disableBc: true,
      connect: options.connect ?? true,
    })
    this.provider.on('connection-close', (event) => {
      if (event !== null) this.closeCodes.push(event.code)
    })
    this.provider.on('status', ({ status }) => {
      if (status === 'connected') this.connectCount += 1
    })
  }

  get synced(): boolean {
    return this.provider.synced
  }

  /** Bytes the client's socket has queued but not yet handed to the kernel. */
  get bufferedBytes(): number {
    return this.provider.ws?.bufferedAmount ?? 0
  }

  /** Disconnects for good and frees the doc. */
  destroy(): void {
    this.provider.destroy()
    this.doc.destroy()
  }
}

/** Applies one trace-style patch list to a Y.Text as a single Yjs transaction (one update). */
export function applyPatches(text: Y.Text, patches: ReadonlyArray<readonly [number, number, string]>): void {
  const doc = text.doc
  if (doc === null) throw new Error('Y.Text is not attached to a Y.Doc')
  doc.transact(() => {
    for (const [position, deleteCount, inserted] of patches) {
      if (deleteCount > 0) text.delete(position, deleteCount)
      if (inserted.length > 0) text.insert(position, inserted)
    }
  })
}
