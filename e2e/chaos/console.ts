// The only browser console messages a chaos run lets through: Chromium's own line for each
// WebSocket attempt to this document that fails because the run cut the network or crashed the
// relay. Anything else the app prints still fails the test.
import type { Peers } from '../support/pages'
import { escapeRegExp, failedSocketLine, RELAY_DOWN_SOCKET_ERRORS } from '../support/socket-errors'

const OFFLINE_ERRORS = [
  'Error in connection establishment: net::ERR_INTERNET_DISCONNECTED',
  // A page that goes offline while an attempt is still connecting closes that socket itself
  // (sync-client goOffline → dropConnection); Chromium warns about closing a connecting socket.
  // Seen once in CI: seed 34, the page went offline while reconnecting to the restarting relay.
  'WebSocket is closed before the connection is established.',
]

/** `http(s)://host[:port]` → the WebSocket origin as Chromium prints it, as a pattern. */
function socketOriginPattern(baseUrl: string): string {
  const url = new URL(baseUrl)
  const scheme = url.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${escapeRegExp(url.host)}`
}

export function allowFaultConsoleMessages(peers: Pick<Peers, 'allowConsole'>, options: { baseUrl: string; docId: string; relayCrashes: boolean }): void {
  const errors = [...OFFLINE_ERRORS, ...(options.relayCrashes ? RELAY_DOWN_SOCKET_ERRORS : [])]
  peers.allowConsole(
    failedSocketLine(socketOriginPattern(options.baseUrl), options.docId, errors),
    options.relayCrashes
      ? 'the chaos run cuts pages off the network and crashes the relay on purpose'
      : 'the chaos run cuts pages off the network on purpose',
  )
}
