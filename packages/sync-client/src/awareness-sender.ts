import type { Awareness } from 'y-protocols/awareness'
import type { WebsocketProvider } from 'y-websocket'
import type { Timers } from './api'
import { broadcastFrame, encodeAwarenessFrame } from './frames'
import { createThrottle } from './throttle'

export interface AwarenessSenderOptions {
  intervalMs: number
  now: () => number
  timers: Timers
}

interface AwarenessChange {
  added: number[]
  updated: number[]
  removed: number[]
}

/**
 * Replaces the provider's awareness sender with a throttled one. The editor sets the cursor
 * on every selection change; sending each would flood the relay and every peer, so changes are
 * merged and sent at most once per interval, always with the latest state. A removal of the
 * local state (leaving) goes out at once. Only the local client's state is sent: others' states
 * came from the relay, which forwards them itself (the stock handler echoes them back).
 * Returns the function that uninstalls it.
 */
export function installThrottledAwareness(
  provider: WebsocketProvider,
  awareness: Awareness,
  options: AwarenessSenderOptions,
): () => void {
  const clientId = awareness.clientID
  const throttle = createThrottle(() => {
    if (awareness.getLocalState() !== null) broadcastFrame(provider, encodeAwarenessFrame(awareness, [clientId]))
  }, options)

  const onUpdate = ({ added, updated, removed }: AwarenessChange): void => {
    if (removed.includes(clientId)) {
      throttle.cancel()
      broadcastFrame(provider, encodeAwarenessFrame(awareness, [clientId]))
    } else if (added.includes(clientId) || updated.includes(clientId)) {
      throttle.call()
    }
  }

  awareness.off('update', provider._awarenessUpdateHandler)
  awareness.on('update', onUpdate)
  return () => {
    throttle.cancel()
    awareness.off('update', onUpdate)
  }
}
