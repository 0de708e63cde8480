import type { Peers } from './pages'

/**
 * What Chromium prints for an attempt to reach a relay that is stopping, down or restarting.
 * A relay stopped or killed mid-connection fails the socket under an attempt in one of a few
 * ways, reported either while connecting or during the opening handshake, depending on the
 * moment. Seen in runs: REFUSED (relay down); RESET and EMPTY_RESPONSE (SIGKILL in the middle of
 * a handshake; and under SIGTERM, an attempt still in the listen queue when the relay stops
 * listening: CI, relay-restart.spec.ts); SOCKET_NOT_CONNECTED (the socket went away while
 * connecting; CI, chaos seed 2240729714, whose own checks passed); CONNECTION_CLOSED (not seen
 * yet) is the same failure when the socket ends with a FIN instead of a reset.
 */
const RELAY_DOWN_NET_ERRORS = ['ERR_CONNECTION_REFUSED', 'ERR_CONNECTION_RESET', 'ERR_EMPTY_RESPONSE', 'ERR_SOCKET_NOT_CONNECTED', 'ERR_CONNECTION_CLOSED']
export const RELAY_DOWN_SOCKET_ERRORS: readonly string[] = [
  ...['Error in connection establishment', 'Error during WebSocket handshake'].flatMap((stage) =>
    RELAY_DOWN_NET_ERRORS.map((error) => `${stage}: net::${error}`),
  ),
  'Connection closed before receiving a handshake response',
  // A relay that is shutting down or still opening its storage refuses upgrades with 503.
  'Error during WebSocket handshake: Unexpected response code: 503',
]

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * Chromium's console line for a WebSocket attempt to `docId` that failed with one of `errors`;
 * `origin` is a pattern for the scheme, host and port (e.g. `ws://127\.0\.0\.1:\d+`).
 */
export function failedSocketLine(origin: string, docId: string, errors: readonly string[]): RegExp {
  return new RegExp(`^WebSocket connection to '${origin}/sync/${escapeRegExp(docId)}(\\?[^']*)?' failed: (${errors.map(escapeRegExp).join('|')})$`)
}

/**
 * Chromium prints a console error for every WebSocket attempt that fails. Tests that cut the
 * network or stop the relay on purpose allow exactly those messages, for one document only.
 */
export function allowFailedSockets(
  peers: Peers,
  { docId, port, errors, reason }: { docId: string; port?: number; errors: readonly string[]; reason: string },
): void {
  const portPattern = port === undefined ? '\\d+' : String(port)
  peers.allowConsole(failedSocketLine(`ws://127\\.0\\.0\\.1:${portPattern}`, docId, errors), reason)
}
