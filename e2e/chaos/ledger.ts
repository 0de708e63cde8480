// Bookkeeping of markers: which ones each writer really typed (seen in its own document after its
// own edit), which ones it took back with its own undo, and every count change any page saw, so a
// lost or duplicated marker comes with its history.
import { type CopyOrigin, type DuplicateMarker, classifyDuplicate, countMarkers, textblocksOf, writerOf } from './markers'
import type { MarkerEvent, ProbeDrain } from './probe'

/** A count change as one page saw it. */
export interface ObservedEvent extends MarkerEvent {
  observer: string
}

/**
 * Why a marker is gone, from the count changes the pages saw:
 * - `block-replaced`: it vanished with the block around it, deleted by a remote change — another
 *   page rebuilt that block (type change, list wrap/lift, join) without having seen the marker —
 *   or it reached the other pages inside a block they had already seen deleted that way;
 * - `undone-by-other`: another page's undo or redo took it away;
 * - `deleted-as-text`: its characters were deleted inside a block that still exists;
 * - `unobserved`: no page saw it disappear (e.g. it never left its writer's page).
 */
export type LossCause = 'block-replaced' | 'undone-by-other' | 'deleted-as-text' | 'unobserved'

export interface PageCheck {
  page: string
  lost: string[]
  duplicates: DuplicateMarker[]
  /** Markers in the text that no writer was seen typing. */
  unknown: string[]
}

/** Kept per marker for the report; the interesting ones are the first few changes. */
const MAX_HISTORY = 200

export class MarkerLedger {
  private readonly typed = new Set<string>()
  private readonly retracted = new Set<string>()
  private readonly histories = new Map<string, ObservedEvent[]>()
  private readonly anomalies: string[] = []
  guardRefusals = 0

  /** Takes in what a page's probe recorded since the last drain. `observer` is that page's writer id. */
  record(observer: string, drain: ProbeDrain): void {
    this.guardRefusals += drain.refusals.length
    for (const event of drain.events) {
      const history = this.histories.get(event.marker) ?? []
      if (history.length < MAX_HISTORY) history.push({ ...event, observer })
      this.histories.set(event.marker, history)
      // Forensic events (characters deleted by this page, or arriving deleted) are not count changes.
      if (event.deletedHere === true || event.arrivedDeleted === true) continue
      const own = writerOf(event.marker) === observer
      if (event.cause === 'local' && event.after > event.before) {
        if (own) this.typed.add(event.marker)
        else this.anomalies.push(`${observer}'s own edit added a copy of ${event.marker} (${event.before} → ${event.after})`)
      }
      // Only the writer's own undo/redo may take a marker back (or bring it back).
      if (own && (event.cause === 'undo' || event.cause === 'redo')) {
        if (event.after === 0) this.retracted.add(event.marker)
        else this.retracted.delete(event.marker)
      }
    }
  }

  get typedCount(): number {
    return this.typed.size
  }

  get retractedCount(): number {
    return this.retracted.size
  }

  /** Markers that must be present exactly once: typed and not taken back by their writer's undo. */
  expected(): string[] {
    return [...this.typed].filter((marker) => !this.retracted.has(marker)).sort()
  }

  /** Odd things seen on the way (a page's own edit duplicating someone's marker). */
  get notes(): readonly string[] {
    return this.anomalies
  }

  history(marker: string): ObservedEvent[] {
    return this.histories.get(marker) ?? []
  }

  /** Attributes a lost marker from its history (see {@link LossCause}). */
  lossCause(marker: string): LossCause {
    const history = this.history(marker)
    const writer = writerOf(marker)
    const byOtherUndo = (event: ObservedEvent): boolean => (event.cause === 'undo' || event.cause === 'redo') && event.observer !== writer
    if (history.some((event) => byOtherUndo(event) && (event.after < event.before || event.deletedHere === true))) return 'undone-by-other'
    // The writer's own undo may take a marker out and its redo bring it back; what counts is the
    // removal after the last time it (re)appeared.
    const lastBack = Math.max(-1, ...history.filter((event) => event.after > event.before).map((event) => event.atMs))
    const removal = history.find((event) => event.after < event.before && event.atMs >= lastBack)
    if (removal === undefined) return history.some((event) => event.arrivedDeleted === true) ? 'block-replaced' : 'unobserved'
    return /\w\(deleted\)/.test((removal.where ?? '').replace(/^text(\(deleted\))?/, '')) ? 'block-replaced' : 'deleted-as-text'
  }

  /** Pages whose own transactions deleted the marker's characters, with the transaction's cause. */
  deleters(marker: string): string[] {
    const found = this.history(marker)
      .filter((event) => event.deletedHere === true)
      .map((event) => `${event.observer} (${event.cause}${event.where === undefined ? '' : `, in ${event.where}`})`)
    return [...new Set(found)]
  }

  /** How extra copies of `marker` came about (see {@link CopyOrigin}); `edit` when nothing was recorded. */
  copyOrigin(marker: string): CopyOrigin {
    const increases = this.history(marker).filter((event) => event.after > event.before && event.after >= 2)
    if (increases.length === 0) return 'edit'
    if (increases.some((event) => event.cause === 'undo' || event.cause === 'redo')) return 'undo'
    return increases.every((event) => event.cause === 'remote') ? 'merge' : 'edit'
  }

  /** Checks one page's final document against the ledger. */
  check(page: string, doc: unknown): PageCheck {
    const blocks = textblocksOf(doc)
    const counts = countMarkers(blocks.join('\n'))
    const lost = this.expected().filter((marker) => (counts.get(marker) ?? 0) === 0)
    const duplicates = [...counts.entries()]
      .filter(([, count]) => count >= 2)
      .map(([marker]) => classifyDuplicate(blocks, marker, this.copyOrigin(marker)))
    const unknown = [...counts.keys()].filter((marker) => !this.typed.has(marker))
    return { page, lost, duplicates, unknown }
  }
}
