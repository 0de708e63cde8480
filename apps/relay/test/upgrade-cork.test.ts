// An admitted upgrade's 101 response and the relay's first frame leave in one write
// (src/routes/upgrade-cork.ts).
import type { Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { useRelayPerTest } from './helpers'

type WriteCallback = (error?: Error | null) => void
interface WritableSocket {
  _write(chunk: Buffer | string, encoding: BufferEncoding, callback: WriteCallback): void
  _writev(chunks: { chunk: Buffer | string }[], callback: WriteCallback): void
}

/** Every write request the socket hands to its handle (one write syscall each), as the chunks it carried. */
function recordWrites(socket: Socket): string[][] {
  const writes: string[][] = []
  const writable = socket as unknown as WritableSocket
  const write = writable._write
  const writev = writable._writev
  const text = (chunk: Buffer | string) => (typeof chunk === 'string' ? chunk : `<${chunk.byteLength} bytes>`)
  writable._write = function (chunk, encoding, callback) {
    writes.push([text(chunk)])
    write.call(this, chunk, encoding, callback)
  }
  writable._writev = function (chunks, callback) {
    writes.push(chunks.map(({ chunk }) => text(chunk)))
    writev.call(this, chunks, callback)
  }
  return writes
}

describe('upgrade cork', () => {
  const relays = useRelayPerTest()

  it('writes the 101 response and sync step 1 in one write request', async () => {
    const relay = await relays.start()
    const writes: string[][][] = []
    relay.app.server.on('connection', (socket: Socket) => writes.push(recordWrites(socket)))
    const client = new WebSocket(`${relay.syncUrl}/cork-doc`)
    const first = await new Promise<Buffer>((resolve, reject) => {
      client.once('message', resolve)
      client.once('error', reject)
    })
    expect([...first.subarray(0, 2)]).toEqual([0, 0]) // sync step 1
    expect(writes).toHaveLength(1)
    const [firstWrite] = writes[0]!
    expect(firstWrite?.[0]).toMatch(/^HTTP\/1\.1 101 /)
    // The frame (ws hands over its header and payload as two chunks) rides in the same request.
    expect(firstWrite!.length).toBeGreaterThan(1)
    client.close()
  })

})
