// A tiny y-websocket-protocol server for integration tests: sync, awareness fan-out, and the
// project's `[100]` → `[100, stateVector]` reply. Documents survive restart() like a real relay's
// storage would. Test knobs: `silent` (accept frames, answer nothing), dropAll(), stop()/restart().
import { WebSocketServer, type WebSocket } from 'ws'
import type { AddressInfo } from 'node:net'
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as decoding from 'lib0/decoding'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'

const SYNC = 0
const AWARENESS = 1
const SAVED_STATE_VECTOR = 100

interface Room {
  doc: Y.Doc
  awareness: awarenessProtocol.Awareness
  conns: Set<WebSocket>
}

export interface ReceivedFrame {
  docId: string
  type: number
}

export class MiniRelay {
  readonly rooms = new Map<string, Room>()
  readonly received: ReceivedFrame[] = []
  /** Accept and read frames but never answer or forward anything. */
  silent = false
  /** Drop sync messages (like a relay stuck loading the document) but answer everything else. */
  ignoreSync = false
  connectionCount = 0
  private server: WebSocketServer | null = null
  private portNumber = 0

  static async start(port = 0): Promise<MiniRelay> {
    const relay = new MiniRelay()
    await relay.listen(port)
    return relay
  }

  get port(): number {
    return this.portNumber
  }

  get url(): string {
    return `ws://127.0.0.1:${this.portNumber}/sync`
  }

  get running(): boolean {
    return this.server !== null
  }

  room(docId: string): Room {
    let room = this.rooms.get(docId)
    if (room === undefined) {
      const doc = new Y.Doc()
      const awareness = new awarenessProtocol.Awareness(doc)
      awareness.setLocalState(null)
      room = { doc, awareness, conns: new Set() }
      const created = room
      doc.on('update', (update: Uint8Array, origin: unknown) => {
        const encoder = encoding.createEncoder()
        encoding.writeVarUint(encoder, SYNC)
        syncProtocol.writeUpdate(encoder, update)
        this.fanOut(created, encoding.toUint8Array(encoder), origin)
      })
      this.rooms.set(docId, room)
    }
    return room
  }

  /** Open connections of a document. */
  connections(docId: string): number {
    return this.rooms.get(docId)?.conns.size ?? 0
  }

  /** Terminates every socket without a close handshake (like a crashed relay or a cut cable). */
  dropAll(): void {
    for (const room of this.rooms.values()) for (const ws of room.conns) ws.terminate()
  }

  /** Closes every socket with `code` (e.g. 4403 = refused for good). */
  closeAll(code: number, reason: string): void {
    for (const room of this.rooms.values()) for (const ws of room.conns) ws.close(code, reason)
  }

  async stop(): Promise<void> {
    const server = this.server
    if (server === null) return
    this.server = null
    this.dropAll()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** Listens again on the same port; documents are kept. */
  async restart(): Promise<void> {
    await this.listen(this.portNumber)
  }

  async destroy(): Promise<void> {
    await this.stop()
    for (const room of this.rooms.values()) {
      room.awareness.destroy()
      room.doc.destroy()
    }
    this.rooms.clear()
  }

  private async listen(port: number): Promise<void> {
    const server = new WebSocketServer({ host: '127.0.0.1', port })
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve)
      server.once('error', reject)
    })
    this.portNumber = (server.address() as AddressInfo).port
    this.server = server
    server.on('connection', (ws, request) => {
      const match = /^\/sync\/([A-Za-z0-9_-]{1,128})(\?.*)?$/.exec(request.url ?? '')
      if (match === null) {
        ws.close(4400, 'bad doc id')
        return
      }
      this.onConnection(ws, match[1]!)
    })
  }

  private onConnection(ws: WebSocket, docId: string): void {
    this.connectionCount++
    const room = this.room(docId)
    room.conns.add(ws)
    const clientIds = new Set<number>()
    ws.on('message', (data: Buffer) => {
      const frame = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      const decoder = decoding.createDecoder(frame)
      const type = decoding.readVarUint(decoder)
      this.received.push({ docId, type })
      if (this.silent) return
      switch (type) {
        case SYNC: {
          if (this.ignoreSync) break
          const encoder = encoding.createEncoder()
          encoding.writeVarUint(encoder, SYNC)
          syncProtocol.readSyncMessage(decoder, encoder, room.doc, ws)
          if (encoding.length(encoder) > 1) ws.send(encoding.toUint8Array(encoder))
          break
        }
        case AWARENESS: {
          const update = decoding.readVarUint8Array(decoder)
          const before = new Set(room.awareness.getStates().keys())
          awarenessProtocol.applyAwarenessUpdate(room.awareness, update, ws)
          for (const id of room.awareness.getStates().keys()) if (!before.has(id)) clientIds.add(id)
          this.fanOut(room, frame, ws)
          break
        }
        case SAVED_STATE_VECTOR: {
          const encoder = encoding.createEncoder()
          encoding.writeVarUint(encoder, SAVED_STATE_VECTOR)
          encoding.writeVarUint8Array(encoder, Y.encodeStateVector(room.doc))
          ws.send(encoding.toUint8Array(encoder))
          break
        }
        default:
          break
      }
    })
    ws.on('close', () => {
      room.conns.delete(ws)
      awarenessProtocol.removeAwarenessStates(room.awareness, [...clientIds], ws)
    })
    const encoder = encoding.createEncoder()
    encoding.writeVarUint(encoder, SYNC)
    syncProtocol.writeSyncStep1(encoder, room.doc)
    ws.send(encoding.toUint8Array(encoder))
  }

  private fanOut(room: Room, frame: Uint8Array, origin: unknown): void {
    if (this.silent) return
    for (const conn of room.conns) if (conn !== origin && conn.readyState === conn.OPEN) conn.send(frame)
  }

  /** Number of frames of `type` received for `docId` so far. */
  countReceived(docId: string, type: number): number {
    return this.received.filter((f) => f.docId === docId && f.type === type).length
  }
}

/** Polls `predicate` until it holds or the deadline passes (then throws with `what`). */
export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
