// @fastify/websocket keeps the HTTP objects of an upgrade alive as long as its socket: the TCP
// socket's current HTTP message is the ServerResponse it routed through Fastify (with the
// IncomingMessage, its headers and Fastify's response listeners), and the 'error' listener it
// puts on the WebSocket closes over the Fastify request and reply (with their child logger).
// That was ~5 KiB of every idle connection (bench scenario 3). Once the route has read what it
// needs from the request, this lets all of it go, and the TCP socket's cleared idle timer with it.
import { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'

/**
 * Detaches the upgrade's ServerResponse from the TCP socket, drops the socket's cleared idle timer
 * and replaces the plugin's socket 'error' listener with `onError` (ws needs one; the plugin's
 * only forwarded to the app's errorHandler, which logged). After this, nothing of the socket
 * refers to `request`.
 */
export function releaseUpgradeRequest(socket: WebSocket, request: FastifyRequest, onError: (error: Error) => void): void {
  const tcp: Socket = request.raw.socket
  const response = (tcp as Socket & { _httpMessage?: unknown })._httpMessage
  if (response instanceof ServerResponse) response.detachSocket(tcp)
  dropIdleTimer(tcp)
  socket.removeAllListeners('error')
  socket.on('error', onError)
}

/** Node's own key of a socket's idle timer (`socket.setTimeout`); null if it has none. */
let idleTimerKey: symbol | null | undefined

/**
 * Every socket got an idle timer from Fastify's connectionTimeout (server.timeout); ws stops it
 * with `setTimeout(0)`, but Node keeps the cleared Timeout on the socket for good (~170 bytes of
 * every connection). Null is what a socket that never had a timeout holds there, and what Node's
 * own code expects; a later `setTimeout` sets a new one.
 */
function dropIdleTimer(tcp: Socket): void {
  tcp.setTimeout(0)
  idleTimerKey ??= Object.getOwnPropertySymbols(tcp).find((key) => key.description === 'timeout') ?? null
  if (idleTimerKey !== null) Reflect.set(tcp, idleTimerKey, null)
}
