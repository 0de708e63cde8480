import { createSyncClient, type SyncClient } from '@collab/sync-client'
import { useEffect, useState } from 'react'
import { rememberDoc } from '../docs/recent-docs'
import { syncServerUrl } from './sync-url'

/** One sync client per open document, destroyed when the page leaves it. */
export function useSyncClient(docId: string): SyncClient | null {
  const [client, setClient] = useState<SyncClient | null>(null)
  useEffect(() => {
    const created = createSyncClient({ serverUrl: syncServerUrl(window.location), docId })
    setClient(created)
    rememberDoc(docId, { nowMs: Date.now() })
    return () => {
      setClient(null)
      // React cleans up parents before children: wait until the editor view below (which
      // still holds the doc and awareness) is destroyed. Teardown errors have no one to go to.
      queueMicrotask(() => {
        created.destroy().catch(() => undefined)
      })
    }
  }, [docId])
  return client
}
