import { ServerResponse, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { WebSocketServer } from 'ws'
import type { Timers } from '../timers'

/**
 * Closes the socket of every upgrade request that did not become a WebSocket: at once when it
 * was answered over HTTP, else after `timeoutMs`.
 *
 * @fastify/websocket destroys a refused upgrade's socket in its onResponse hook, but requests
 * Fastify answers before any hook runs leave the socket open: bad percent-encoding → 400, a URL
 * past maxParamLength → 414, and every upgrade during shutdown → 503. Node does not close an
 * upgrade's socket after its response, so each held a descriptor until the timeout, and a
 * shutdown waited for them: a SIGTERM that met reconnecting clients took `timeoutMs` longer.
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
    // @fastify/websocket routed the request through the ServerResponse it gave the socket; ws
    // answers 101 on the socket itself, so this response finishes only for an HTTP answer.
    const response = (socket as Duplex & { _httpMessage?: unknown })._httpMessage
    if (!(response instanceof ServerResponse)) return
    if (response.writableFinished) socket.end()
    else response.once('finish', () => socket.end())
  })
}
