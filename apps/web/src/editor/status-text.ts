import type { SyncStatus } from '@collab/sync-client'

/** What the status badge says, and the tone it is drawn in. */
export interface StatusPresentation {
  text: string
  /** Longer explanation for the tooltip. */
  detail: string
  tone: 'ok' | 'busy' | 'warn' | 'error'
}

// `Number#toLocaleString` builds a new formatter per call (a fraction of a millisecond), and the
// badge is re-rendered on every keystroke while changes are pending: format with one instance.
let countFormat: Intl.NumberFormat | null = null

function changes(count: number): string {
  if (count === 1) return '1 change'
  countFormat ??= new Intl.NumberFormat()
  return `${countFormat.format(count)} changes`
}

/** Honest, human status text: never "Saved" before the relay confirmed every local change. */
export function presentStatus(status: SyncStatus): StatusPresentation {
  if (status.permanentError !== null) {
    return {
      text: 'Not syncing',
      detail: `The relay refused this document: ${status.permanentError}. Your changes stay on this device.`,
      tone: 'error',
    }
  }
  const pending = status.pendingChanges
  switch (status.connection) {
    case 'online':
      if (status.allSaved) return { text: 'Saved', detail: 'Every change is stored on the relay.', tone: 'ok' }
      return {
        text: 'Saving…',
        detail: pending > 0 ? `${changes(pending)} on the way to the relay.` : 'Waiting for the relay to confirm.',
        tone: 'busy',
      }
    case 'connecting':
      return {
        text: pending > 0 ? `Connecting… ${changes(pending)} on this device` : 'Connecting…',
        detail: 'Reaching the relay. You can keep editing; changes are kept on this device.',
        tone: 'busy',
      }
    case 'offline':
      return {
        text:
          pending > 0
            ? `Offline — ${changes(pending)} saved on this device`
            : status.allSaved
              ? 'Offline — all changes synced'
              : 'Offline — saved on this device',
        detail: 'No connection to the relay. Edits are saved on this device and sync when you are back online.',
        tone: 'warn',
      }
  }
}
