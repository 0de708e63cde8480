import type { SyncClient } from '@collab/sync-client'
import { useMemo, useSyncExternalStore } from 'react'
import { presentStatus } from './status-text'
import { createThrottledStore, UI_REFRESH_INTERVAL_MS } from './throttled-store'

/**
 * Connection and save state, as the contract's `connection-status` element. Throttled (see
 * throttled-store.ts): each keystroke sets the status twice (pending, then confirmed by the
 * relay), so while someone types the badge changes at most once per UI_REFRESH_INTERVAL_MS
 * instead of flickering twice per keystroke; it always catches up with the latest status within
 * that interval ("Saved" still only once the relay confirmed every change).
 */
export function StatusBadge({ client }: { client: SyncClient }) {
  const statusStore = useMemo(
    () => createThrottledStore({ get: client.getStatus, subscribe: client.subscribe }, (status) => status, { intervalMs: UI_REFRESH_INTERVAL_MS }),
    [client],
  )
  const status = useSyncExternalStore(statusStore.subscribe, statusStore.get)
  const presentation = presentStatus(status)
  const canRetry = status.connection !== 'online' && (status.nextRetryAtMs !== null || status.permanentError !== null)
  return (
    <div className="status">
      <div
        className={`status-badge tone-${presentation.tone}`}
        data-testid="connection-status"
        data-state={status.connection}
        data-saved={String(status.allSaved)}
        data-pending={String(status.pendingChanges)}
        role="status"
        aria-live="polite"
        title={presentation.detail}
      >
        <span className="status-dot" aria-hidden="true" />
        <span className="status-text">{presentation.text}</span>
      </div>
      {canRetry && (
        <button type="button" className="button button-quiet button-small" onClick={client.reconnectNow}>
          Retry now
        </button>
      )}
    </div>
  )
}
