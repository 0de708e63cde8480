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
/**
 * A relay killed mid-connection fails the socket under an attempt in one of a few ways, and
 * Chromium reports it either while connecting or during the opening handshake, depending on the
 * moment. Seen in runs: REFUSED (relay down), RESET and EMPTY_RESPONSE (SIGKILL in the middle of
 * a handshake), SOCKET_NOT_CONNECTED (the socket went away while connecting; CI, seed 2240729714,
 * whose own checks passed); CONNECTION_CLOSED (not seen yet) is the same failure when the
 * socket ends with a FIN instead of a reset.
 */
const RELAY_DOWN_NET_ERRORS = ['ERR_CONNECTION_REFUSED', 'ERR_CONNECTION_RESET', 'ERR_EMPTY_RESPONSE', 'ERR_SOCKET_NOT_CONNECTED', 'ERR_CONNECTION_CLOSED']
const RELAY_DOWN_ERRORS = [
  ...['Error in connection establishment', 'Error during WebSocket handshake'].flatMap((stage) =>
    RELAY_DOWN_NET_ERRORS.map((error) => `${stage}: net::${error}`),
  ),
  'Connection closed before receiving a handshake response',
  // A relay that is shutting down or still opening its storage refuses upgrades with 503.
  'Error during WebSocket handshake: Unexpected response code: 503',
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

export function allowFaultConsoleMessages(peers: Pick<Peers, 'allowConsole'>, options: { baseUrl: string; docId: string; relayCrashes: boolean }): void {
  const errors = [...OFFLINE_ERRORS, ...(options.relayCrashes ? RELAY_DOWN_ERRORS : [])]
  peers.allowConsole(
    new RegExp(`^WebSocket connection to '${syncUrlPattern(options.baseUrl, options.docId)}' failed: (${errors.map(escapeRegExp).join('|')})$`),
    options.relayCrashes
      ? 'the chaos run cuts pages off the network and crashes the relay on purpose'
      : 'the chaos run cuts pages off the network on purpose',
  )
}
