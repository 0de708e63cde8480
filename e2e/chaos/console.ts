// The only browser console messages a chaos run lets through: Chromium's own line for each
// WebSocket attempt to this document that fails because the run cut the network or crashed the
// relay. Anything else the app prints still fails the test.
import type { Peers } from '../support/pages'

const OFFLINE_ERRORS = [
  'Error in connection establishment: net::ERR_INTERNET_DISCONNECTED',
  // A page that goes offline while an attempt is still connecting closes that socket itself
  // (sync-client goOffline → dropConnection); Chromium warns about closing a connecting socket.
  // Seen once in CI: seed 34, the page went offline while reconnecting to the restarting relay.
  'WebSocket is closed before the connection is established.',
]
const RELAY_DOWN_ERRORS = [
  'Error in connection establishment: net::ERR_CONNECTION_REFUSED',
  // SIGKILL in the middle of an opening handshake.
  'Error in connection establishment: net::ERR_CONNECTION_RESET',
  'Error during WebSocket handshake: net::ERR_CONNECTION_RESET',
  'Error during WebSocket handshake: net::ERR_EMPTY_RESPONSE',
  'Connection closed before receiving a handshake response',
  'Error during WebSocket handshake: Unexpected response code: 503',
  // The socket under an attempt that was still connecting went away (ENOTCONN). Seen once in CI:
  // seed 2240729714 (offline reloads, a relay kill and a reload). The run's own checks passed
  // (the failure came from the console guard at teardown); only this line failed it.
  'Error in connection establishment: net::ERR_SOCKET_NOT_CONNECTED',
]

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** `http(s)://host[:port]` → the sync URL of `docId` as Chromium prints it. */
function syncUrlPattern(baseUrl: string, docId: string): string {
  const url = new URL(baseUrl)
  const scheme = url.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${escapeRegExp(url.host)}/sync/${escapeRegExp(docId)}(\\?[^']*)?`
}

export function allowFaultConsoleMessages(peers: Peers, options: { baseUrl: string; docId: string; relayCrashes: boolean }): void {
  const errors = [...OFFLINE_ERRORS, ...(options.relayCrashes ? RELAY_DOWN_ERRORS : [])]
  peers.allowConsole(
    new RegExp(`^WebSocket connection to '${syncUrlPattern(options.baseUrl, options.docId)}' failed: (${errors.map(escapeRegExp).join('|')})$`),
    options.relayCrashes
      ? 'the chaos run cuts pages off the network and crashes the relay on purpose'
      : 'the chaos run cuts pages off the network on purpose',
  )
}
