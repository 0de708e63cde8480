// Applies the difference between two token sequences to the content text, in place: equal
// positions keep their Yjs items (only their formatting or boundary keys change), so text that
// someone else is editing at the same time is never deleted and re-inserted.
import * as Y from 'yjs'
import type { BlockData, MarkData, Token } from './model'
import { align, NO_LIMITS } from './align'
import type { DiffLimits } from './align'
import { BOUNDARY_KEYS, blockEqual, jsonEqual, marksEqual } from './model'

/** Formatting attributes for a set of marks: `true` for a mark without attributes. */
export function marksToAttributes(marks: readonly MarkData[]): Record<string, unknown> {
  const attributes: Record<string, unknown> = {}
  for (const mark of marks) attributes[mark.type] = Object.keys(mark.attrs).length === 0 ? true : mark.attrs
  return attributes
}

/** Attribute changes that turn `from` marks into `to` marks (null removes a mark). */
function markChanges(from: readonly MarkData[], to: readonly MarkData[]): Record<string, unknown> {
  const changes = marksToAttributes(to)
  for (const mark of from) {
    const kept = to.find((other) => other.type === mark.type)
    if (kept === undefined) changes[mark.type] = null
    else if (jsonEqual(kept.attrs, mark.attrs)) delete changes[mark.type]
  }
  return changes
}

function tokenMarks(token: Token): readonly MarkData[] {
  return token.kind === 'boundary' ? [] : token.marks
}

/** A new boundary map holding `block`. */
export function boundaryFor(block: BlockData): Y.Map<unknown> {
  const map = new Y.Map<unknown>()
  map.set(BOUNDARY_KEYS.type, block.type)
  map.set(BOUNDARY_KEYS.attrs, block.attrs)
  map.set(BOUNDARY_KEYS.path, block.path)
  return map
}

export function updateBoundary(map: Y.Map<unknown>, from: BlockData, to: BlockData): void {
  if (from.type !== to.type) map.set(BOUNDARY_KEYS.type, to.type)
  if (!jsonEqual(from.attrs, to.attrs)) map.set(BOUNDARY_KEYS.attrs, to.attrs)
  if (!jsonEqual(from.path, to.path)) map.set(BOUNDARY_KEYS.path, to.path)
}

/** One step of a Yjs text delta (`Y.Text.applyDelta`). */
type DeltaStep =
  | { retain: number; attributes?: Record<string, unknown> }
  | { delete: number }
  | { insert: string | object; attributes: Record<string, unknown> }

/**
 * Rewrites `before` (the tokens at `[at, at + before.length)` in `text`, with `maps` the boundary
 * maps among them in order) into `after`. Must run inside a transaction. Returns the boundary
 * maps of `after`, in order: kept ones and newly inserted ones.
 *
 * The text changes are one delta, applied in one walk of the text: Yjs finds the position of an
 * insert that carries formatting, or of a format, by walking the text from its start, so one call
 * per run would cost a paste of many lines a walk per line.
 */
export function applyTokenDiff(
  text: Y.XmlText,
  at: number,
  before: readonly Token[],
  maps: readonly Y.Map<unknown>[],
  after: readonly Token[],
  limits: DiffLimits = NO_LIMITS,
): Y.Map<unknown>[] {
  // Content that no boundary ends yet gets one: that is an insertion at its end, not a change
  // of everything before it.
  if (before.at(-1)?.kind !== 'boundary' && after.at(-1)?.kind === 'boundary' && after.length > 1) {
    const shorter = { prefix: limits.prefix, suffix: Math.max(0, limits.suffix - 1) }
    const kept = applyTokenDiff(text, at, before, maps, after.slice(0, -1), shorter)
    const end = at + after.length - 1
    return [...kept, ...applyTokenDiff(text, end, [], [], after.slice(-1))]
  }
  const result: Y.Map<unknown>[] = []
  const delta: DeltaStep[] = []
  const retain = (length: number, attributes: Record<string, unknown> | null = null): void => {
    if (length === 0) return
    const last = delta.at(-1)
    if (attributes === null && last !== undefined && 'retain' in last && last.attributes === undefined) last.retain += length
    else delta.push(attributes === null ? { retain: length } : { retain: length, attributes })
  }
  retain(at)
  let mapIndex = 0
  // Kept positions [from, to) of `before` (aligned with `after` at `shift`): runs that need the
  // same formatting change become one formatting retain; boundary keys are set on their maps.
  const keep = (from: number, to: number, shift: number): void => {
    let runStart = from
    let runChanges: Record<string, unknown> | null = null
    const flush = (end: number): void => {
      retain(end - runStart, runChanges !== null && Object.keys(runChanges).length > 0 ? runChanges : null)
      runStart = end
      runChanges = null
    }
    for (let index = from; index < to; index++) {
      const old = before[index] as Token
      const next = after[index + shift] as Token
      if (old.kind === 'boundary' && next.kind === 'boundary') {
        flush(index)
        const map = maps[mapIndex++] as Y.Map<unknown>
        if (!blockEqual(old.block, next.block)) updateBoundary(map, old.block, next.block)
        result.push(map)
        continue
      }
      const changes = marksEqual(tokenMarks(old), tokenMarks(next)) ? null : markChanges(tokenMarks(old), tokenMarks(next))
      if (changes === runChanges || (changes !== null && runChanges !== null && jsonEqual(changes, runChanges))) continue
      flush(index)
      runChanges = changes
    }
    flush(to)
  }
  const insert = (from: number, to: number): void => {
    let index = from
    while (index < to) {
      const token = after[index] as Token
      if (token.kind === 'boundary') {
        const map = boundaryFor(token.block)
        delta.push({ insert: map, attributes: {} })
        result.push(map)
        index++
      } else if (token.kind === 'atom') {
        delta.push({ insert: { type: token.type, attrs: token.attrs }, attributes: marksToAttributes(token.marks) })
        index++
      } else {
        let chars = token.char
        let end = index + 1
        while (end < to) {
          const next = after[end] as Token
          if (next.kind !== 'char' || !marksEqual(next.marks, token.marks)) break
          chars += next.char
          end++
        }
        delta.push({ insert: chars, attributes: marksToAttributes(token.marks) })
        index = end
      }
    }
  }
  for (const segment of align(before, after, limits)) {
    if (segment.keep) {
      keep(segment.oldFrom, segment.oldFrom + segment.length, segment.newFrom - segment.oldFrom)
      continue
    }
    for (let index = segment.oldFrom; index < segment.oldTo; index++) if ((before[index] as Token).kind === 'boundary') mapIndex++
    if (segment.oldTo > segment.oldFrom) delta.push({ delete: segment.oldTo - segment.oldFrom })
    insert(segment.newFrom, segment.newTo)
  }
  // A plain retain at the end changes nothing.
  const last = delta.at(-1)
  if (last !== undefined && 'retain' in last && last.attributes === undefined) delta.pop()
  if (delta.length > 0) text.applyDelta(delta)
  return result
}
