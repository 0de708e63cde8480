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
  const upgraded = new WeakSet<Duplex>()
  websocketServer.on('connection', (_socket, request) => {
    upgraded.add(request.socket)
  })
  server.on('upgrade', (_request, socket: Duplex) => {
    const timer = timers.setTimeout(() => {
      if (!upgraded.has(socket) && !socket.destroyed) socket.destroy()
    }, timeoutMs)
    socket.once('close', () => timers.clearTimeout(timer))
  })
}
