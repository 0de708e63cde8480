// Loads the shared editing traces (../shared/traces, format in its README) and replays them into
// Yjs, one update per transaction, for the compaction tests and the benchmark.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import * as Y from 'yjs'

export type TracePatch = [pos: number, deleteCount: number, insert: string]

export interface EditingTrace {
  startContent: string
  endContent: string
  txns: { time: string; patches: TracePatch[] }[]
}

export type TraceName = 'automerge-paper' | 'seph-blog1'

/** `/work/shared/traces` by default; `TRACES_DIR` overrides it for other checkouts. */
export function traceDir(): string {
  return process.env['TRACES_DIR'] ?? fileURLToPath(new URL('../../../../shared/traces/', import.meta.url))
}

export function loadTrace(name: TraceName): EditingTrace {
  const raw = gunzipSync(readFileSync(`${traceDir()}/${name}.json.gz`))
  return JSON.parse(raw.toString('utf8')) as EditingTrace
}

/** Name of the shared type the storage tests write into. */
export const TEXT_NAME = 'text'

export interface Replay {
  /** One Yjs update per trace transaction, in order. */
  updates: Uint8Array[]
  /** The text after those transactions, replayed on a plain string. */
  expectedText: string
  /** The document the updates came from (for live-doc snapshots). */
  doc: Y.Doc
}

/** Replays the first `txnCount` transactions of `trace` into a Y.Text. */
export function replayTrace(trace: EditingTrace, txnCount = trace.txns.length): Replay {
  const doc = new Y.Doc()
  const text = doc.getText(TEXT_NAME)
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  let expectedText = trace.startContent
  if (expectedText.length > 0) text.insert(0, expectedText)
  for (const txn of trace.txns.slice(0, txnCount)) {
    doc.transact(() => {
      for (const [pos, deleteCount, insert] of txn.patches) {
        if (deleteCount > 0) text.delete(pos, deleteCount)
        if (insert.length > 0) text.insert(pos, insert)
        expectedText = expectedText.slice(0, pos) + insert + expectedText.slice(pos + deleteCount)
      }
    })
  }
  return { updates, expectedText, doc }
}
