import type { TimerHandle, Timers } from '../timers'
import type { Connection } from './connection'

export interface HeartbeatOptions {
  intervalMs: number
  timers: Timers
  /** Every connection to watch, read at each beat. */
  connections(): Iterable<Connection>
  /** Called for each connection dropped for missing a pong. */
  onDead?(connection: Connection): void
}

/**
 * One timer for all sockets: every `intervalMs`, a connection that has not answered the previous
 * ping (nor sent anything) is terminated — a half-open TCP connection never closes by itself —
 * and every other one is pinged. Returns a function that stops it.
 */
export function startHeartbeat(options: HeartbeatOptions): () => void {
  const beat = (): void => {
    for (const connection of options.connections()) {
      if (!connection.heardFromSinceLastBeat()) {
        options.onDead?.(connection)
        connection.terminate()
        continue
      }
      try {
        connection.socket.ping()
      } catch {
        // The socket is closing; its close handler removes it.
      }
    }
  }
  const handle: TimerHandle = options.timers.setInterval(beat, options.intervalMs)
  return () => options.timers.clearInterval(handle)
}
