// Turns the end-state checks and the ledger into the run's verdict: failures (broken promises),
// notes (findings reported without failing) and the marker section of the report.
import type { MarkerLedger, ObservedEvent, PageCheck } from './ledger'
import type { DuplicateMarker } from './markers'
import type { ChaosReport } from './report'

export interface VerdictOptions {
  /** Documents checked per expected marker (every page and the fresh page). */
  documents: number
  /** Run start, to show event times relative to it. */
  startMs: number
}

export interface Verdict {
  failures: string[]
  notes: string[]
  markers: ChaosReport['markers']
}

function describeDuplicate(duplicate: DuplicateMarker): string {
  const where = duplicate.copies.map((copy) => `block ${copy.block} «…${copy.before}|${duplicate.marker}|${copy.after}…»`).join('; ')
  return `${duplicate.marker} ×${duplicate.count} (${where})`
}

/** Judges the checks (an empty list when the run stopped before its end checks). */
export function judge(ledger: MarkerLedger, checks: readonly PageCheck[], options: VerdictOptions): Verdict {
  const failures: string[] = []
  const notes: string[] = []
  const report = (line: string): void => {
    failures.push(line)
  }
  const describeEvent = (event: ObservedEvent): string =>
    `${event.observer} ${event.arrivedDeleted === true ? 'saw it arrive already deleted' : event.deletedHere === true ? 'deleted its characters' : `saw ${event.before}→${event.after}`} ` +
    `at +${((event.atMs - options.startMs) / 1000).toFixed(2)}s (${event.cause}` +
    `${event.where === undefined ? '' : `, was in ${event.where}`}${event.context === undefined ? '' : `, text ${JSON.stringify(event.context)}`})`
  const historyOf = (marker: string): string => ledger.history(marker).map(describeEvent).join(', ') || 'none'

  const lostOn = new Map<string, string[]>()
  const duplicates = new Map<string, DuplicateMarker>()
  for (const check of checks) {
    for (const marker of check.lost) lostOn.set(marker, [...(lostOn.get(marker) ?? []), check.page])
    for (const duplicate of check.duplicates) duplicates.set(duplicate.marker, duplicate)
    if (check.unknown.length > 0) notes.push(`${check.page}: markers nobody was seen typing: ${check.unknown.join(' ')}`)
  }
  for (const [marker, pages] of lostOn) {
    const cause = ledger.lossCause(marker)
    const deleters = ledger.deleters(marker)
    const by = deleters.length === 0 ? '' : `; its characters were deleted by the own transactions of ${deleters.join(', ')}`
    report(`LOST ${marker} (${cause}) on ${pages.join(', ')}${by}; history: ${historyOf(marker)}`)
  }
  const byCause = (cause: DuplicateMarker['cause']): DuplicateMarker[] => [...duplicates.values()].filter((duplicate) => duplicate.cause === cause)
  const split = byCause('split')
  const undoRestore = byCause('undo-restore')
  const unexplained = byCause('unexplained')
  for (const duplicate of unexplained) report(`DUPLICATED (unexplained) ${describeDuplicate(duplicate)}; history: ${historyOf(duplicate.marker)}`)
  for (const duplicate of undoRestore) {
    report(`DUPLICATED by an undo restoring copied text (undo-restore) ${describeDuplicate(duplicate)}; history: ${historyOf(duplicate.marker)}`)
  }
  for (const duplicate of split) report(`DUPLICATED by concurrent moves of text (split) ${describeDuplicate(duplicate)}; history: ${historyOf(duplicate.marker)}`)
  notes.push(...ledger.notes)

  const withHistory = (list: DuplicateMarker[]): ChaosReport['markers']['splitDuplicates'] =>
    list.map((duplicate) => ({ ...duplicate, history: ledger.history(duplicate.marker) }))
  const expected = ledger.expected().length
  return {
    failures,
    notes,
    markers: {
      typed: ledger.typedCount,
      retractedByOwnUndo: ledger.retractedCount,
      expected,
      checked: checks.length === 0 ? 0 : expected * options.documents,
      lost: [...lostOn.keys()].map((marker) => {
        const cause = ledger.lossCause(marker)
        return { marker, cause, history: ledger.history(marker) }
      }),
      splitDuplicates: withHistory(split),
      undoRestoreDuplicates: withHistory(undoRestore),
      unexplainedDuplicates: withHistory(unexplained),
    },
  }
}
