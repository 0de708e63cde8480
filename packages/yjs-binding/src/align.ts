// Aligns two token sequences: which positions are kept (same token, maybe other formatting) and
// which are replaced. Common prefix and suffix first (bounded by where ProseMirror says the
// change is), then a Myers diff of what is left, so a transaction that changes several places
// (an input rule removing "**" on both sides of a word, a paste over a selection) keeps the text
// between them instead of re-inserting a copy of it.
import type { Token } from './model'
import { sameToken } from './model'

/** A run of kept positions, or a replacement of before[oldFrom, oldTo) by after[newFrom, newTo). */
export type Segment =
  | { readonly keep: true; readonly oldFrom: number; readonly newFrom: number; readonly length: number }
  | { readonly keep: false; readonly oldFrom: number; readonly oldTo: number; readonly newFrom: number; readonly newTo: number }

/** How far the kept prefix and suffix may reach (in tokens), from ProseMirror's step maps. */
export interface DiffLimits {
  readonly prefix: number
  readonly suffix: number
}

export const NO_LIMITS: DiffLimits = { prefix: Number.POSITIVE_INFINITY, suffix: Number.POSITIVE_INFINITY }

/** Beyond this many differences (or tokens) the middle is one replacement: bounded work per keystroke. */
const MAX_EDIT_DISTANCE = 256
const MAX_MIDDLE_TOKENS = 8_192

/** Myers' O(ND) diff of before[o0, o1) and after[n0, n1), as kept pairs; null when too different. */
function myers(before: readonly Token[], o0: number, o1: number, after: readonly Token[], n0: number, n1: number): [number, number][] | null {
  const n = o1 - o0
  const m = n1 - n0
  const max = Math.min(n + m, MAX_EDIT_DISTANCE)
  const offset = max + 1
  const v = new Int32Array(2 * max + 3)
  const trace: Int32Array[] = []
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice())
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && (v[offset + k - 1] as number) < (v[offset + k + 1] as number)) ? (v[offset + k + 1] as number) : (v[offset + k - 1] as number) + 1
      let y = x - k
      while (x < n && y < m && sameToken(before[o0 + x] as Token, after[n0 + y] as Token)) {
        x++
        y++
      }
      v[offset + k] = x
      if (x >= n && y >= m) {
        // Walk back through the trace to collect the kept (diagonal) pairs.
        const pairs: [number, number][] = []
        let cx = n
        let cy = m
        for (let step = d; step > 0; step--) {
          const prev = trace[step] as Int32Array
          const ck = cx - cy
          const down = ck === -step || (ck !== step && (prev[offset + ck - 1] as number) < (prev[offset + ck + 1] as number))
          const pk = down ? ck + 1 : ck - 1
          const px = prev[offset + pk] as number
          const py = px - pk
          while (cx > (down ? px : px + 1) && cy > (down ? py + 1 : py)) {
            cx--
            cy--
            pairs.push([o0 + cx, n0 + cy])
          }
          cx = px
          cy = py
        }
        while (cx > 0 && cy > 0) {
          cx--
          cy--
          pairs.push([o0 + cx, n0 + cy])
        }
        return pairs.reverse()
      }
    }
  }
  return null
}

function isHigh(token: Token | undefined): boolean {
  if (token?.kind !== 'char') return false
  const code = token.char.charCodeAt(0)
  return code >= 0xd800 && code <= 0xdbff
}

function isLow(token: Token | undefined): boolean {
  if (token?.kind !== 'char') return false
  const code = token.char.charCodeAt(0)
  return code >= 0xdc00 && code <= 0xdfff
}

/** Segments that turn `before` into `after`, in order. */
export function align(before: readonly Token[], after: readonly Token[], limits: DiffLimits = NO_LIMITS): Segment[] {
  const shorter = Math.min(before.length, after.length)
  const samePrefix = (at: number): boolean => sameToken(before[at] as Token, after[at] as Token)
  const sameSuffix = (at: number): boolean => sameToken(before[before.length - 1 - at] as Token, after[after.length - 1 - at] as Token)
  // First up to the limits (outside the changed range everything is the same)...
  let prefix = 0
  while (prefix < shorter && prefix < limits.prefix && samePrefix(prefix)) prefix++
  let suffix = 0
  while (suffix < shorter - prefix && suffix < limits.suffix && sameSuffix(suffix)) suffix++
  // ...then inside it: a block whose type changed keeps its text.
  while (prefix < shorter - suffix && samePrefix(prefix)) prefix++
  while (suffix < shorter - prefix && sameSuffix(suffix)) suffix++

  const oldEnd = before.length - suffix
  const newEnd = after.length - suffix
  const kept: [number, number][] = []
  for (let index = 0; index < prefix; index++) kept.push([index, index])
  const middle = oldEnd - prefix > 0 && newEnd - prefix > 0 && oldEnd - prefix + newEnd - prefix <= MAX_MIDDLE_TOKENS ? myers(before, prefix, oldEnd, after, prefix, newEnd) : null
  if (middle !== null) kept.push(...middle)
  for (let index = 0; index < suffix; index++) kept.push([oldEnd + index, newEnd + index])

  // Kept pairs → segments.
  const segments: { keep: boolean; oldFrom: number; oldTo: number; newFrom: number; newTo: number }[] = []
  let oldAt = 0
  let newAt = 0
  const push = (keep: boolean, oldTo: number, newTo: number): void => {
    if (oldTo === oldAt && newTo === newAt) return
    const last = segments.at(-1)
    if (last !== undefined && last.keep === keep) {
      last.oldTo = oldTo
      last.newTo = newTo
    } else {
      segments.push({ keep, oldFrom: oldAt, oldTo, newFrom: newAt, newTo })
    }
    oldAt = oldTo
    newAt = newTo
  }
  for (const [oldIndex, newIndex] of kept) {
    push(false, oldIndex, newIndex)
    push(true, oldIndex + 1, newIndex + 1)
  }
  push(false, before.length, after.length)

  // Never keep half of a surrogate pair: move it into the neighbouring replacement.
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as (typeof segments)[number]
    if (!segment.keep) continue
    const previous = segments[index - 1]
    const next = segments[index + 1]
    if (previous !== undefined && segment.oldTo > segment.oldFrom && isLow(before[segment.oldFrom])) {
      previous.oldTo++
      previous.newTo++
      segment.oldFrom++
      segment.newFrom++
    }
    if (next !== undefined && segment.oldTo > segment.oldFrom && isHigh(before[segment.oldTo - 1])) {
      next.oldFrom--
      next.newFrom--
      segment.oldTo--
      segment.newTo--
    }
  }
  return segments
    .filter((segment) => segment.oldTo > segment.oldFrom || segment.newTo > segment.newFrom)
    .map((segment) =>
      segment.keep
        ? { keep: true as const, oldFrom: segment.oldFrom, newFrom: segment.newFrom, length: segment.oldTo - segment.oldFrom }
        : { keep: false as const, oldFrom: segment.oldFrom, oldTo: segment.oldTo, newFrom: segment.newFrom, newTo: segment.newTo },
    )
}
