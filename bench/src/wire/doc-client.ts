// A full client: a Y.Doc synced over the same wire, used at the end of every scenario to check what
// the server holds (content converged) — never on the measured path.
import { encodeSyncUpdate } from '@collab/protocol'
import * as Y from 'yjs'
import { withTimeout } from '../util/wait'
import type { Dialect } from './dialect'
import { LightClient } from './light-client'

export interface SyncedDoc {
  doc: Y.Doc
  /** Receive time of the server's sync step 2. */
  syncedAtMs: number
  bytesIn: number
  client: LightClient
  close(): Promise<void>
}

/** Connects a Y.Doc client and resolves once it holds what the server sent in its sync step 2. */
export async function syncDoc(options: { baseUrl: string; docId: string; dialect: Dialect; timeoutMs?: number; doc?: Y.Doc }): Promise<SyncedDoc> {
  const doc = options.doc ?? new Y.Doc()
  const client = new LightClient({
    baseUrl: options.baseUrl,
    docId: options.docId,
    dialect: options.dialect,
    stateVector: Y.encodeStateVector(doc),
    answerStep1: (serverStateVector) => Y.encodeStateAsUpdate(doc, serverStateVector),
    onUpdate: (update) => Y.applyUpdate(doc, update, 'remote'),
  })
  doc.on('update', (update: Uint8Array, origin: unknown) => {
    if (origin !== 'remote') client.send(encodeSyncUpdate(update))
  })
  await withTimeout(client.open(), options.timeoutMs ?? 30_000, `connecting a check client to ${options.docId}`)
  await withTimeout(client.synced, options.timeoutMs ?? 30_000, `syncing a check client to ${options.docId}`)
  return { doc, syncedAtMs: client.syncedAtMs, bytesIn: client.bytesIn, client, close: () => client.close() }
}

/** Reads root texts of the server's copy of a document (connect, sync, read, close). */
export async function readTexts(options: { baseUrl: string; docId: string; dialect: Dialect; names: readonly string[] }): Promise<Map<string, string>> {
  const synced = await syncDoc(options)
  const texts = new Map(options.names.map((name) => [name, synced.doc.getText(name).toString()]))
  await synced.close()
  synced.doc.destroy()
  return texts
}
