import type { AddressInfo } from 'node:net'
import { encodeSyncStep2 } from '@collab/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer, type PerMessageDeflateOptions } from 'ws'
import { DIALECTS, messageKind } from './dialect'
import { EMPTY_UPDATE, LightClient } from './light-client'
import { StandaloneDeflater, compressThrough, sharedDeflater } from './shared-deflate'

let server: WebSocketServer | null = null

afterEach(async () => {
  await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())))
  server = null
})

/** A ws server that records every message but sync step 1 (which it answers). */
async function recordingServer(perMessageDeflate: PerMessageDeflateOptions): Promise<{ url: string; received: Buffer[] }> {
  const received: Buffer[] = []
  server = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate })
  server.on('connection', (socket) => {
    socket.on('message', (data: Buffer) => {
      if (messageKind(new Uint8Array(data)) === 'sync-step1') socket.send(encodeSyncStep2(EMPTY_UPDATE))
      else received.push(data)
    })
  })
  await new Promise((resolve) => server!.once('listening', resolve))
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, received }
}

/** `length` bytes that compress well, varied by `seed`. */
function compressible(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i % 40) + seed)
}

const STANDALONE: PerMessageDeflateOptions = { clientNoContextTakeover: true, serverNoContextTakeover: true }

describe('StandaloneDeflater', () => {
  it('compresses a repeated message once and a different one or another window anew', () => {
    const deflater = new StandaloneDeflater()
    const first = compressible(4096, 1)
    const compressed = deflater.deflate(first, 15)
    expect(deflater.deflate(Uint8Array.from(first), 15)).toBe(compressed)
    expect(deflater.deflate(compressible(4096, 2), 15)).not.toEqual(compressed)
    expect(deflater.deflate(first, 10)).not.toBe(compressed)
    expect([deflater.compressions, deflater.reuses]).toEqual([3, 1])
  })

  it('keeps its own copy of the message it remembers', () => {
    const deflater = new StandaloneDeflater()
    const message = compressible(4096, 1)
    const compressed = deflater.deflate(message, 15)
    message[0] = 200
    expect(deflater.deflate(message, 15)).not.toBe(compressed)
  })
})

describe('LightClient over permessage-deflate', () => {
  it('compresses what its clients send alike once when every message stands alone, and the server reads it all', async () => {
    const { url, received } = await recordingServer(STANDALONE)
    const a = compressible(8192, 1)
    const b = compressible(8192, 2)
    const small = compressible(100, 3)
    const before = [sharedDeflater.compressions, sharedDeflater.reuses]
    const clients = [0, 1].map(() => new LightClient({ baseUrl: url, docId: 'doc', dialect: DIALECTS['y-websocket'] }))
    for (const client of clients) {
      await client.open()
      await client.synced
    }
    for (const message of [a, a, b, small]) clients[0]!.send(message)
    await expect.poll(() => received.length).toBe(4)
    clients[1]!.send(b)
    await expect.poll(() => received.length).toBe(5)
    expect(received.map((data) => new Uint8Array(data))).toEqual([a, a, b, small, b])
    // a, a again from memory, b, then b from memory for the second client; `small` is below ws's threshold.
    expect([sharedDeflater.compressions - before[0]!, sharedDeflater.reuses - before[1]!]).toEqual([2, 2])
    // Compressed on the wire: three 8 KiB messages of 40-byte runs take far less than 8 KiB.
    expect(clients[0]!.wireBytesOut).toBeLessThan(8192)
    await Promise.all(clients.map((client) => client.close()))
  })

  it('leaves compression to ws when the server keeps a context between messages', async () => {
    const { url, received } = await recordingServer({})
    const a = compressible(8192, 4)
    const socket = new WebSocket(url, { perMessageDeflate: true })
    await new Promise((resolve) => socket.once('open', resolve))
    expect(compressThrough(socket)).toBe(false)
    socket.send(a)
    await expect.poll(() => received.length).toBe(1)
    expect(new Uint8Array(received[0]!)).toEqual(a)
    socket.close()
  })

  it('sends fragmented messages through ws alone', async () => {
    const { url, received } = await recordingServer(STANDALONE)
    const socket = new WebSocket(url, { perMessageDeflate: true })
    await new Promise((resolve) => socket.once('open', resolve))
    const deflater = new StandaloneDeflater()
    expect(compressThrough(socket, deflater)).toBe(true)
    const first = compressible(4096, 5)
    const last = compressible(4096, 6)
    // Twice: ws's compressor must see each message end (it resets there), or the second would
    // refer back into the first, which the server's inflater no longer holds.
    for (let i = 0; i < 2; i++) {
      socket.send(first, { fin: false })
      socket.send(last, { fin: true })
    }
    socket.send(last)
    await expect.poll(() => received.length).toBe(3)
    const whole = Uint8Array.from([...first, ...last])
    expect(received.map((data) => new Uint8Array(data))).toEqual([whole, whole, last])
    expect(deflater.compressions).toBe(1)
    socket.close()
  })
})
