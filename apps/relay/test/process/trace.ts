// Loader for the shared editing traces (/work/shared/traces, format in its README).
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { gunzipSync } from 'node:zlib'
import { repoRoot } from './relay-process'

/** `[position, deleteCount, insertedText]`, positions in code points (= UTF-16 for these traces). */
export type Patch = readonly [number, number, string]

export interface TraceTxn {
  time: string
  patches: Patch[]
}

export interface EditingTrace {
  startContent: string
  endContent: string
  txns: TraceTxn[]
}

export type TraceName = 'automerge-paper' | 'seph-blog1'

/** Where the traces live; `TRACES_DIR` overrides (default: ../shared/traces next to the repo). */
export const tracesDir = process.env['TRACES_DIR'] ?? path.resolve(repoRoot, '../shared/traces')

const cache = new Map<TraceName, EditingTrace>()

/** Reads and parses `<name>.json.gz` once per process. */
export function loadTrace(name: TraceName): EditingTrace {
  const cached = cache.get(name)
  if (cached !== undefined) return cached
  const file = path.join(tracesDir, `${name}.json.gz`)
  const trace = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as EditingTrace
  if (!Array.isArray(trace.txns) || typeof trace.endContent !== 'string') {
    throw new Error(`${file} is not a sequential editing trace (no txns/endContent)`)
  }
  cache.set(name, trace)
  return trace
}

/** The document text after the first `txnCount` transactions, replayed on a plain string. */
export function replayString(trace: EditingTrace, txnCount: number): string {
  let content = trace.startContent
  for (const txn of trace.txns.slice(0, txnCount)) {
    for (const [position, deleteCount, inserted] of txn.patches) {
      content = content.slice(0, position) + inserted + content.slice(position + deleteCount)
    }
  }
  return content
}
