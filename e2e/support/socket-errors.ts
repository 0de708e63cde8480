import type { Peers } from './pages'

/**
 * Chromium prints a console error for every WebSocket attempt that fails. Tests that cut the
 * network or stop the relay on purpose allow exactly those messages, for one document only.
 */
export function allowFailedSockets(
  peers: Peers,
  { docId, port, errors, reason }: { docId: string; port?: number; errors: readonly string[]; reason: string },
): void {
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const portPattern = port === undefined ? '\\d+' : String(port)
  peers.allowConsole(
    new RegExp(
      `^WebSocket connection to 'ws://127\\.0\\.0\\.1:${portPattern}/sync/${docId}(\\?[^']*)?' failed: ` +
        `(${errors.map(escape).join('|')})$`,
    ),
    reason,
  )
}
