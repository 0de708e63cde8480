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

/**
 * Rewrites `before` (the tokens at `[at, at + before.length)` in `text`, with `maps` the boundary
 * maps among them in order) into `after`. Must run inside a transaction. Returns the boundary
 * maps of `after`, in order: kept ones and newly inserted ones.
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
  let mapIndex = 0
  // Formats or updates kept positions [from, to) of `before` (aligned with `after` at `shift`).
  const keep = (from: number, to: number, shift: number, position: number): void => {
    let runStart = -1
    let runChanges: Record<string, unknown> | null = null
    const flush = (end: number): void => {
      if (runChanges !== null && Object.keys(runChanges).length > 0) text.format(position + runStart - from, end - runStart, runChanges)
      runStart = -1
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
      if (runChanges !== null && changes !== null && jsonEqual(changes, runChanges)) continue
      flush(index)
      if (changes !== null) {
        runStart = index
        runChanges = changes
      }
    }
    flush(to)
  }

  let position = at
  const insert = (from: number, to: number): void => {
    let index = from
    while (index < to) {
      const token = after[index] as Token
      if (token.kind === 'boundary') {
        const map = boundaryFor(token.block)
        text.insertEmbed(position, map, {})
        result.push(map)
        position++
        index++
      } else if (token.kind === 'atom') {
        text.insertEmbed(position, { type: token.type, attrs: token.attrs }, marksToAttributes(token.marks))
        position++
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
        text.insert(position, chars, marksToAttributes(token.marks))
        position += chars.length
        index = end
      }
    }
  }
  for (const segment of align(before, after, limits)) {
    if (segment.keep) {
      keep(segment.oldFrom, segment.oldFrom + segment.length, segment.newFrom - segment.oldFrom, position)
      position += segment.length
      continue
    }
    for (let index = segment.oldFrom; index < segment.oldTo; index++) if ((before[index] as Token).kind === 'boundary') mapIndex++
    if (segment.oldTo > segment.oldFrom) text.delete(position, segment.oldTo - segment.oldFrom)
    insert(segment.newFrom, segment.newTo)
  }
  return result
}
