import type { AddressInfo } from 'node:net'
import { encodeSyncStep2 } from '@collab/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { DIALECTS, messageKind } from './dialect'
import { EMPTY_UPDATE, LightClient } from './light-client'

let server: WebSocketServer | null = null

afterEach(async () => {
  await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())))
  server = null
})

/** A server that answers the first sync step 1 and closes with `code` on the second. */
async function closingOnSecondStep1(code: number): Promise<string> {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  server.on('connection', (socket) => {
    let step1s = 0
    socket.on('message', (data: Buffer) => {
      if (messageKind(new Uint8Array(data)) !== 'sync-step1') return
      if (++step1s === 1) socket.send(encodeSyncStep2(EMPTY_UPDATE))
      else socket.close(code, 'refused')
    })
  })
  await new Promise((resolve) => server!.once('listening', resolve))
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

describe('LightClient', () => {
  it('fails a barrier the server closes the socket on instead of waiting forever', async () => {
    const baseUrl = await closingOnSecondStep1(4422)
    const client = new LightClient({ baseUrl, docId: 'doc', dialect: DIALECTS['y-websocket'] })
    await client.open()
    await client.synced
    await expect(client.syncAgain()).rejects.toThrow('closed with 4422 before its sync step 1 was answered')
    expect(client.closeCode).toBe(4422)
    await expect(client.syncAgain()).rejects.toThrow('not open (closed with 4422)')
  })
})
