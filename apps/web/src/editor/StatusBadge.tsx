import type { SyncClient } from '@collab/sync-client'
import { useSyncExternalStore } from 'react'
import { presentStatus } from './status-text'

/** Connection and save state, as the contract's `connection-status` element. */
export function StatusBadge({ client }: { client: SyncClient }) {
  const status = useSyncExternalStore(client.subscribe, client.getStatus)
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
