// What a Yjs transaction changed in the content text, from its events: the range of offsets (as
// they were before the transaction) that text edits touched, and the boundaries whose block data
// changed. Enough to re-read only the lines around the change instead of the whole document.
import * as Y from 'yjs'

export interface TextChanges {
  /** Offsets before the transaction; `from` ≤ `to`, null when no text changed. */
  readonly range: { readonly from: number; readonly to: number } | null
  /** Boundaries whose keys changed (each ends one line). */
  readonly boundaries: readonly Y.Map<unknown>[]
  /** How much longer the text became. */
  readonly lengthChange: number
}

/**
 * The changes `events` (from `text.observeDeep`) made, or null when they include something this
 * does not understand (a change nested deeper than a boundary's keys): read everything then.
 */
export function textChanges(text: Y.XmlText, events: readonly Y.YEvent<Y.AbstractType<unknown>>[]): TextChanges | null {
  let from = Infinity
  let to = -Infinity
  const boundaries: Y.Map<unknown>[] = []
  let lengthChange = 0
  for (const event of events) {
    if (event.target === text) {
      let offset = 0
      for (const op of event.delta) {
        if (op.retain !== undefined) {
          if (op.attributes !== undefined) {
            from = Math.min(from, offset)
            to = Math.max(to, offset + op.retain)
          }
          offset += op.retain
        } else if (op.delete !== undefined) {
          from = Math.min(from, offset)
          to = Math.max(to, offset + op.delete)
          offset += op.delete
          lengthChange -= op.delete
        } else if (op.insert !== undefined) {
          from = Math.min(from, offset)
          to = Math.max(to, offset)
          lengthChange += typeof op.insert === 'string' ? op.insert.length : 1
        }
      }
    } else if (event.target instanceof Y.Map && event.target.parent === text) {
      boundaries.push(event.target as Y.Map<unknown>)
    } else {
      return null
    }
  }
  return { range: from <= to ? { from, to } : null, boundaries, lengthChange }
}
