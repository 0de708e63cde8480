import type { Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocketServer } from 'ws'
import type { Timers } from '../timers'

/**
 * Closes the socket of every upgrade request that did not become a WebSocket within `timeoutMs`.
 * @fastify/websocket destroys a refused upgrade's socket in its onResponse hook, but requests
 * Fastify refuses before any hook runs (bad percent-encoding → 400, a URL past maxParamLength →
 * 414) leave the socket paused and open for good: one leaked descriptor per such request.
 */
export function reapStalledUpgrades(server: Server, websocketServer: WebSocketServer, timeoutMs: number, timers: Timers): void {
  // The pending reap of each socket still upgrading. Once it became a WebSocket the timer and
  // the close listener go (kept, they held a Timeout per connection for the socket's life).
  const pending = new WeakMap<Duplex, () => void>()
  websocketServer.on('connection', (_socket, request) => {
    const cancel = pending.get(request.socket)
    if (cancel === undefined) return
    cancel()
    request.socket.off('close', cancel)
  })
  server.on('upgrade', (_request, socket: Duplex) => {
    const timer = timers.setTimeout(() => {
      pending.delete(socket)
      socket.off('close', cancel)
      if (!socket.destroyed) socket.destroy()
    }, timeoutMs)
    const cancel = (): void => {
      timers.clearTimeout(timer)
      pending.delete(socket)
    }
    pending.set(socket, cancel)
    socket.once('close', cancel)
  })
}
