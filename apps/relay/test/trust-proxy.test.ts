// TRUST_PROXY: behind a reverse proxy every client arrives from the proxy's address; with the
// proxy trusted, per-address limits count the client named in X-Forwarded-For, and a client that
// does not come through a trusted proxy cannot pick its address by sending that header.
import { HttpRefusal } from '@collab/protocol'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { captureLog, removeDir, startRelay, type StartedRelay } from './helpers'

/** Opens a socket with the given X-Forwarded-For; resolves 101 (left open) or the HTTP status. */
function upgrade(url: string, forwardedFor: string, open: WebSocket[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { 'X-Forwarded-For': forwardedFor } })
    socket.once('open', () => {
      socket.on('error', () => {})
      open.push(socket)
      resolve(101)
    })
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0)
      response.resume()
      socket.terminate()
    })
    socket.once('error', (error) => {
      if (socket.readyState !== socket.CLOSED) reject(error)
    })
  })
}

describe('TRUST_PROXY', () => {
  let relay: StartedRelay | undefined
  const open: WebSocket[] = []

  afterEach(async () => {
    for (const socket of open.splice(0)) socket.terminate()
    await relay?.close()
    if (relay !== undefined) removeDir(relay.dataDir)
    relay = undefined
  })

  it('counts the forwarded client against MAX_CONNECTIONS_PER_IP when the proxy is trusted, and logs its address', async () => {
    const log = captureLog()
    relay = await startRelay({ config: { trustProxy: ['127.0.0.1'], maxConnectionsPerIp: 1 }, logger: { level: 'info', stream: log.stream } })
    const url = `${relay.syncUrl}/proxied`
    expect(await upgrade(url, '203.0.113.1', open)).toBe(101)
    // Another client behind the same proxy has its own allowance.
    expect(await upgrade(url, '203.0.113.2', open)).toBe(101)
    // The first client again: over its limit of one.
    expect(await upgrade(url, '198.51.100.7, 203.0.113.1', open)).toBe(HttpRefusal.TooManyRequests)
    const addresses = log
      .records()
      .filter((record) => record.msg === 'incoming request')
      .map((record) => (record.req as { remoteAddress: string }).remoteAddress)
    expect(addresses).toEqual(['203.0.113.1', '203.0.113.2', '203.0.113.1'])
  })

  it('ignores X-Forwarded-For from an address it does not trust', async () => {
    relay = await startRelay({ config: { trustProxy: ['10.0.0.0/8'], maxConnectionsPerIp: 1 } })
    const url = `${relay.syncUrl}/direct`
    expect(await upgrade(url, '203.0.113.1', open)).toBe(101)
    // 127.0.0.1 is not a trusted proxy: a made-up header does not buy a second connection.
    expect(await upgrade(url, '203.0.113.2', open)).toBe(HttpRefusal.TooManyRequests)
  })

  it('ignores X-Forwarded-For by default', async () => {
    relay = await startRelay({ config: { maxConnectionsPerIp: 1 } })
    const url = `${relay.syncUrl}/default`
    expect(await upgrade(url, '203.0.113.1', open)).toBe(101)
    expect(await upgrade(url, '203.0.113.2', open)).toBe(HttpRefusal.TooManyRequests)
  })
})
