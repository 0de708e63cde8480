import { CloseCode, closeReason } from '@collab/protocol'
import type { WebSocket } from 'ws'

let nextConnectionId = 1

/**
 * One client WebSocket. It is also the transaction origin of every update it applies, so the
 * room can skip it when fanning out (see rooms/origin.ts).
 */
export class Connection {
  readonly id = nextConnectionId++
  /** Awareness client ids this connection introduced; only these it may change. */
  readonly awarenessClientIds = new Set<number>()
  /** Cleared before each ping, set by the pong (or any message): false at the next ping = dead. */
  alive = true
  private closeCode: number | null = null

  constructor(
    readonly socket: WebSocket,
    readonly docId: string,
    readonly remoteAddress: string,
  ) {}

  /** True until the relay or the client started closing it. */
  get open(): boolean {
    return this.closeCode === null && this.socket.readyState === this.socket.OPEN
  }

  /** Sends one binary frame; frames to a closing socket are dropped. */
  send(frame: Uint8Array): void {
    if (!this.open) return
    this.socket.send(frame, { binary: true })
  }

  /** Closes with a documented code (once; later calls are ignored). */
  close(code: CloseCode): void {
    if (this.closeCode !== null) return
    this.closeCode = code
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, closeReason[code])
    }
  }

  /** Drops the TCP connection without a close handshake (dead peers). */
  terminate(): void {
    this.closeCode ??= CloseCode.GoingAway
    this.socket.terminate()
  }

  /** The code the relay closed this connection with, if it did. */
  get closedWith(): number | null {
    return this.closeCode
  }
}
