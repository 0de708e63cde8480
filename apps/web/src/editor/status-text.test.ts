import type { SyncStatus } from '@collab/sync-client'
import { describe, expect, it } from 'vitest'
import { presentStatus } from './status-text'

const base: SyncStatus = {
  connection: 'online',
  localLoaded: true,
  localPersistence: 'loaded',
  allSaved: true,
  pendingChanges: 0,
  nextRetryAtMs: null,
  permanentError: null,
}

describe('presentStatus', () => {
  it('says Saved only when the relay has everything', () => {
    expect(presentStatus(base).text).toBe('Saved')
    expect(presentStatus({ ...base, allSaved: false, pendingChanges: 2 }).text).toBe('Saving…')
  })

  it('counts changes kept on this device while offline or connecting', () => {
    expect(presentStatus({ ...base, connection: 'offline', allSaved: false, pendingChanges: 3 }).text).toBe(
      'Offline — 3 changes saved on this device',
    )
    expect(presentStatus({ ...base, connection: 'offline', allSaved: false, pendingChanges: 1 }).text).toBe(
      'Offline — 1 change saved on this device',
    )
    expect(presentStatus({ ...base, connection: 'offline' }).text).toBe('Offline — all changes synced')
    expect(presentStatus({ ...base, connection: 'connecting' }).text).toBe('Connecting…')
    expect(presentStatus({ ...base, connection: 'connecting', allSaved: false, pendingChanges: 2 }).text).toBe(
      'Connecting… 2 changes on this device',
    )
  })

  it('explains a permanent refusal', () => {
    const shown = presentStatus({ ...base, connection: 'offline', permanentError: 'invalid doc id' })
    expect(shown.tone).toBe('error')
    expect(shown.detail).toContain('invalid doc id')
  })
})
