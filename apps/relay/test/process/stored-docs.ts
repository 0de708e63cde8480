// What a relay left in its DATA_DIR, read straight from the SQLite file (read-only), so a test
// can see storage without going through the relay it is checking.
import { SqliteDocStore, type DocStats } from '@collab/storage'
import * as Y from 'yjs'
import { textName } from './clients'
import type { RelayProcess } from './relay-process'

/**
 * Stops the relay gracefully (it flushes every room on SIGTERM) and lists the ids of every
 * document stored in its DATA_DIR. The relay stays stopped; `restart()` it if needed.
 */
export async function storedDocIds(relay: RelayProcess): Promise<string[]> {
  const exit = await relay.kill('SIGTERM')
  if (exit.code !== 0) throw new Error(`Relay exited with ${JSON.stringify(exit)} on SIGTERM`)
  const store = SqliteDocStore.open({ dataDir: relay.dataDir, readOnly: true })
  try {
    const ids: string[] = []
    const pageSize = 500
    for (let offset = 0; ; offset += pageSize) {
      const page = await store.list({ limit: pageSize, offset })
      ids.push(...page.map((doc) => doc.docId))
      if (page.length < pageSize) return ids.sort()
    }
  } finally {
    await store.close()
  }
}

/** Storage stats of one document, read beside the running relay (WAL permits a reader). */
export async function storedStats(dataDir: string, docId: string): Promise<DocStats> {
  const store = SqliteDocStore.open({ dataDir, readOnly: true })
  try {
    return await store.stats(docId)
  } finally {
    await store.close()
  }
}

/**
 * The text (`getText('text')`) of what is stored for a document, snapshot and log applied to a
 * fresh Y.Doc the way a load does. Readable beside the running relay.
 */
export async function storedText(dataDir: string, docId: string): Promise<string> {
  const store = SqliteDocStore.open({ dataDir, readOnly: true })
  const doc = new Y.Doc()
  try {
    const stored = await store.load(docId)
    doc.transact(() => {
      if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot)
      for (const update of stored.updates) Y.applyUpdate(doc, update)
    })
    return doc.getText(textName).toString()
  } finally {
    doc.destroy()
    await store.close()
  }
}
