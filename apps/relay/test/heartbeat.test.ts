import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { removeDir, startRelay, waitFor, type StartedRelay } from './helpers'

function open(url: string, autoPong: boolean): Promise<{ socket: WebSocket; pings: () => number; closed: Promise<number> }> {
  const socket = new WebSocket(url, { autoPong })
  let pings = 0
  socket.on('ping', () => pings++)
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, pings: () => pings, closed }))
    socket.once('error', reject)
  })
}

describe('heartbeat', () => {
  let relay: StartedRelay | undefined

  afterEach(async () => {
    await relay?.close()
    if (relay) removeDir(relay.dataDir)
    relay = undefined
  })

  it('terminates sockets that miss a pong and keeps those that answer', async () => {
    relay = await startRelay({ config: { pingIntervalMs: 40 } })
    const healthy = await open(`${relay.syncUrl}/heartbeat`, true)
    const silent = await open(`${relay.syncUrl}/heartbeat`, false)

    // No close frame: the relay drops the TCP connection (1006 on this side).
    expect(await silent.closed).toBe(1006)
    await waitFor(() => healthy.pings() >= 4, { message: 'several pings to the healthy socket' })
    expect(healthy.socket.readyState).toBe(WebSocket.OPEN)
    await waitFor(() => relay!.app.relay.connections.size === 1)
    healthy.socket.close()
  })
})
