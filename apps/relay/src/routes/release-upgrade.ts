// @fastify/websocket keeps the HTTP objects of an upgrade alive as long as its socket: the TCP
// socket's current HTTP message is the ServerResponse it routed through Fastify (with the
// IncomingMessage, its headers and Fastify's response listeners), and the 'error' listener it
// puts on the WebSocket closes over the Fastify request and reply (with their child logger).
// That was ~5 KiB of every idle connection (bench scenario 3). Once the route has read what it
// needs from the request, this lets all of it go.
import { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'

/**
 * Detaches the upgrade's ServerResponse from the TCP socket and replaces the plugin's socket
 * 'error' listener with `onError` (ws needs one; the plugin's only forwarded to the app's
 * errorHandler, which logged). After this, nothing of the socket refers to `request`.
 */
export function releaseUpgradeRequest(socket: WebSocket, request: FastifyRequest, onError: (error: Error) => void): void {
  const tcp: Socket = request.raw.socket
  const response = (tcp as Socket & { _httpMessage?: unknown })._httpMessage
  if (response instanceof ServerResponse) response.detachSocket(tcp)
  socket.removeAllListeners('error')
  socket.on('error', onError)
}
