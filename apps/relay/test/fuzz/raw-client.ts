// A y-websocket peer spoken by hand, so a test decides exactly when each message goes out (the
// order a stock client produces, but with the timing of a slow link pinned down).
import { encodeSyncStep1, encodeSyncStep2, encodeSyncUpdate } from '@collab/protocol'
import * as decoding from 'lib0/decoding'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { waitFor } from '../process/wait'

export class RawClient {
  private relayStateVector: Uint8Array | null = null
  private step2Count = 0

  private constructor(
    private readonly socket: WebSocket,
    readonly doc: Y.Doc,
  ) {
    socket.on('message', (data: Buffer) => {
      const decoder = decoding.createDecoder(new Uint8Array(data))
      if (decoding.readVarUint(decoder) !== 0) return // awareness and extensions do not matter here
      const syncType = decoding.readVarUint(decoder)
      const payload = decoding.readVarUint8Array(decoder)
      if (syncType === 0) this.relayStateVector = payload
      else Y.applyUpdate(doc, payload, this)
      if (syncType === 1) this.step2Count++
    })
  }

  /** Opens the socket and sends sync step 1 (as a stock client does on open). */
  static async connect(url: string, doc: Y.Doc): Promise<RawClient> {
    const socket = new WebSocket(url)
    // Listening before 'open': the relay's step 1 can arrive in the same chunk as the upgrade.
    const client = new RawClient(socket, doc)
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    })
    socket.send(encodeSyncStep1(Y.encodeStateVector(doc)))
    return client
  }

  /** Resolves once the relay's sync step 1 arrived (a stock client answers it with step 2). */
  async relayStep1(timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.relayStateVector !== null, { timeoutMs, message: "the relay's sync step 1" })
  }

  /** Sends what the relay lacks according to its step 1. */
  sendStep2(): void {
    if (this.relayStateVector === null) throw new Error('sendStep2 before the relay sent its sync step 1')
    this.socket.send(encodeSyncStep2(Y.encodeStateAsUpdate(this.doc, this.relayStateVector)))
  }

  /** Applies `change` to the doc and sends it as a live update (as a stock client does). */
  edit(change: (doc: Y.Doc) => void): void {
    const before = Y.encodeStateVector(this.doc)
    change(this.doc)
    this.socket.send(encodeSyncUpdate(Y.encodeStateAsUpdate(this.doc, before)))
  }

  /**
   * Resolves once the relay has handled everything this client sent before: a sync step 1 is
   * answered in order on the same socket, after whatever the relay broadcast meanwhile.
   */
  async barrier(timeoutMs = 10_000): Promise<void> {
    const answered = this.step2Count
    this.socket.send(encodeSyncStep1(Y.encodeStateVector(this.doc)))
    await waitFor(() => this.step2Count > answered, { timeoutMs, message: 'the answer to a sync step 1 (barrier)' })
  }

  close(): void {
    this.socket.terminate()
  }
}
