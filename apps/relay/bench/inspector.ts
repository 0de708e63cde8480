// Just enough of the V8 inspector protocol to force a full GC in the relay and read its heap,
// so idle-memory numbers are not dominated by garbage that happens not to be collected yet.
import WebSocket from 'ws'
import type { RelayProcess } from '../test/process/relay-process'
import { waitFor } from '../test/process/wait'

interface InspectorReply {
  id?: number
  result?: Record<string, unknown>
  error?: { message: string }
}

/** A connection to a relay started with `nodeArgs: ['--inspect=127.0.0.1:0']`. */
export class InspectorSession {
  private nextId = 1
  private readonly pending = new Map<number, (reply: InspectorReply) => void>()

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      const reply = JSON.parse(data.toString('utf8')) as InspectorReply
      if (reply.id === undefined) return
      this.pending.get(reply.id)?.(reply)
      this.pending.delete(reply.id)
    })
  }

  /** Finds the "Debugger listening on ws://…" line in the relay output and connects to it. */
  static async connect(relay: RelayProcess): Promise<InspectorSession> {
    let url: string | undefined
    await waitFor(() => (url = /Debugger listening on (ws:\/\/\S+)/.exec(relay.output())?.[1]) !== undefined, {
      timeoutMs: 10_000,
      message: 'the relay prints its inspector URL (was it started with --inspect?)',
    })
    const socket = new WebSocket(url!)
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve())
      socket.once('error', reject)
    })
    return new InspectorSession(socket)
  }

  async send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++
    const reply = await new Promise<InspectorReply>((resolve) => {
      this.pending.set(id, resolve)
      this.socket.send(JSON.stringify({ id, method, params }))
    })
    if (reply.error !== undefined) throw new Error(`${method} failed: ${reply.error.message}`)
    return reply.result ?? {}
  }

  /** A full, synchronous major GC in the relay. */
  async collectGarbage(): Promise<void> {
    await this.send('HeapProfiler.collectGarbage')
  }

  /** Bytes of live JS heap (after a GC this is what the relay really holds). */
  async heapUsedBytes(): Promise<number> {
    const result = await this.send('Runtime.getHeapUsage')
    return Number(result['usedSize'])
  }

  close(): void {
    this.socket.close()
  }
}
