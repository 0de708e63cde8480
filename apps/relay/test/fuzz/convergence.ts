// The end checks, after yjs's testHelper `compare()`: identical state vectors, identical delete
// sets, identical content; plus marker accounting (every marker exactly once, nothing unknown).
import * as Y from 'yjs'
import { MAP_NAME, TEXT_NAME, countMarkers } from './sim-client'

/** What one replica holds, in a form that compares by value. */
export interface Observation {
  label: string
  /** `client:clock` pairs sorted by client id. */
  stateVector: string
  /** Maximal deleted ranges, `client:clock+len`, sorted. */
  deleteSet: string
  text: string
  /** Map content as JSON with keys sorted (Y.Map key order may differ between replicas). */
  map: string
  /** Structs or deletions waiting for missing dependencies. */
  pending: boolean
}

/** Decodes a state vector into sorted `client:clock` text (equal maps give equal text). */
export function describeStateVector(stateVector: Uint8Array): string {
  return [...Y.decodeStateVector(stateVector)]
    .sort(([a], [b]) => a - b)
    .map(([client, clock]) => `${client}:${clock}`)
    .join(' ')
}

function describeDeleteSet(doc: Y.Doc): string {
  const parts: string[] = []
  const deleteSet = Y.createDeleteSetFromStructStore(doc.store)
  for (const client of [...deleteSet.clients.keys()].sort((a, b) => a - b)) {
    const ranges = [...deleteSet.clients.get(client)!].sort((a, b) => a.clock - b.clock)
    // Replicas may split structs differently; merge touching ranges so only coverage counts.
    const merged: Array<{ clock: number; len: number }> = []
    for (const { clock, len } of ranges) {
      const last = merged[merged.length - 1]
      if (last !== undefined && last.clock + last.len >= clock) last.len = Math.max(last.len, clock + len - last.clock)
      else merged.push({ clock, len })
    }
    for (const { clock, len } of merged) parts.push(`${client}:${clock}+${len}`)
  }
  return parts.join(' ')
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) => {
    if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) return inner
    const sorted: Record<string, unknown> = {}
    for (const key of Object.keys(inner).sort()) sorted[key] = (inner as Record<string, unknown>)[key]
    return sorted
  })
}

export function observe(label: string, doc: Y.Doc): Observation {
  return {
    label,
    stateVector: describeStateVector(Y.encodeStateVector(doc)),
    deleteSet: describeDeleteSet(doc),
    text: doc.getText(TEXT_NAME).toString(),
    map: canonicalJson(doc.getMap(MAP_NAME).toJSON()),
    pending: doc.store.pendingStructs !== null || doc.store.pendingDs !== null,
  }
}

const FIELDS = ['stateVector', 'deleteSet', 'text', 'map'] as const

function clip(value: string, maxChars = 300): string {
  return value.length <= maxChars ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, maxChars))}… (${value.length} chars)`
}

/** Where `observed` differs from `reference`; empty when they are the same replica state. */
export function differences(reference: Observation, observed: Observation): string[] {
  const problems: string[] = []
  for (const field of FIELDS) {
    if (observed[field] !== reference[field]) {
      problems.push(`${observed.label} ${field} differs from ${reference.label}: ${clip(observed[field])} vs ${clip(reference[field])}`)
    }
  }
  if (observed.pending) problems.push(`${observed.label} has pending structs or deletions (missing dependencies)`)
  return problems
}

/** Differences of every observation from the first one. */
export function divergences(observations: readonly Observation[]): string[] {
  const [reference, ...rest] = observations
  if (reference === undefined) return []
  const problems = reference.pending ? [`${reference.label} has pending structs or deletions (missing dependencies)`] : []
  for (const observed of rest) problems.push(...differences(reference, observed))
  return problems
}

/** Every written marker exactly once in `text`, and no marker nobody wrote. */
export function markerProblems(label: string, text: string, written: ReadonlySet<string>): string[] {
  const counts = countMarkers(text)
  const missing = [...written].filter((marker) => !counts.has(marker))
  const duplicated = [...counts].filter(([, count]) => count > 1).map(([marker, count]) => `${marker}×${count}`)
  const unknown = [...counts.keys()].filter((marker) => !written.has(marker))
  const problems: string[] = []
  const list = (items: string[]): string => `${items.slice(0, 12).join(' ')}${items.length > 12 ? ' …' : ''}`
  if (missing.length > 0) problems.push(`${label} lost ${missing.length}/${written.size} markers: ${list(missing)}`)
  if (duplicated.length > 0) problems.push(`${label} has duplicated markers: ${list(duplicated)}`)
  if (unknown.length > 0) problems.push(`${label} has markers nobody wrote (split or corrupted?): ${list(unknown)}`)
  return problems
}
