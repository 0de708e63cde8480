// The shared editing traces (../shared/traces, format in its README): load, and replay on a plain
// string — the expected content every convergence check compares against.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { TRACES_DIR } from '../paths'

export type TraceName = 'automerge-paper' | 'seph-blog1'

/** `[position, deleteCount, insertText]`, positions in code points (= UTF-16 here). */
export type Patch = [number, number, string]

export interface Trace {
  name: TraceName
  startContent: string
  endContent: string
  txns: { patches: Patch[] }[]
}

const loaded = new Map<TraceName, Trace>()

/** A trace file was missing or not in the documented format. */
export class TraceFormatError extends Error {
  override readonly name = 'TraceFormatError'
  constructor(file: string, detail: string) {
    super(`Trace ${file} is unusable: ${detail}`)
  }
}

export function loadTrace(name: TraceName): Trace {
  const cached = loaded.get(name)
  if (cached !== undefined) return cached
  const file = join(TRACES_DIR, `${name}.json.gz`)
  const parsed = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as Partial<Trace>
  if (typeof parsed.startContent !== 'string' || typeof parsed.endContent !== 'string' || !Array.isArray(parsed.txns)) {
    throw new TraceFormatError(file, 'expected { startContent, endContent, txns }')
  }
  const trace: Trace = { name, startContent: parsed.startContent, endContent: parsed.endContent, txns: parsed.txns }
  loaded.set(name, trace)
  return trace
}

/** The text after the first `txnCount` transactions, replayed on a plain string. */
export function replayText(trace: Trace, txnCount: number): string {
  let content = trace.startContent
  const end = Math.min(txnCount, trace.txns.length)
  for (let i = 0; i < end; i++) {
    for (const [position, deleteCount, insert] of trace.txns[i]!.patches) {
      content = content.slice(0, position) + insert + content.slice(position + deleteCount)
    }
  }
  return content
}
