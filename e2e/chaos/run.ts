// One chaos run: open the pages, run every page's script concurrently with the faults, heal,
// wait for convergence, then check the end state (identical documents and state vectors, every
// marker exactly once everywhere, a fresh page that loads the same document from the relay).
import type { Page } from '@playwright/test'
import { docJSON, expectConnection, expectSaved, openDoc, stateVector, waitForConvergence } from '../support/collab'
import type { Peers } from '../support/pages'
import { pollFor } from '../support/poll'
import type { RelayProcess } from '../support/relay-process'
import { covers, storedStateVector } from '../support/stock-client'
import { type ActionOutcome, runAction } from './actions'
import { allowFaultConsoleMessages } from './console'
import { executableFaults, type FaultEnvironment, faultStepsFor, HEAL_TIMEOUT_MS, needsServiceWorker, RelayControl, runFaultStep } from './faults'
import { type LossCause, MarkerLedger, type PageCheck } from './ledger'
import type { DuplicateMarker } from './markers'
import { type ActionSpec, type ChaosPlan, countByKind } from './plan'
import type { ChaosReport } from './report'
import { ChaosSlot } from './slot'

export interface ChaosTarget {
  peers: Peers
  docId: string
  /** `http(s)://host[:port]` of the relay serving the app. */
  baseUrl: string
  /** The relay this run started (crashable), or null for E2E_BASE_URL. */
  relay: RelayProcess | null
}

export interface ChaosRunOptions {
  plan: ChaosPlan
  strict: boolean
  /** Loss causes reported without failing (CHAOS_KNOWN_LOSSES). */
  knownLosses: readonly LossCause[]
  /** Command that reproduces the schedule, for the report. */
  reproduce: string
  targetLabel: string
}

export interface ChaosOutcome {
  report: ChaosReport
  /** An exception that stopped the run (the report then says what was done until then). */
  error: unknown
}

const RELAY_POLL_MS = 50

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1
}

function describeDuplicate(duplicate: DuplicateMarker): string {
  const where = duplicate.copies.map((copy) => `block ${copy.block} «…${copy.before}|${duplicate.marker}|${copy.after}…»`).join('; ')
  return `${duplicate.marker} ×${duplicate.count} (${where})`
}

function describeAction(spec: ActionSpec): string {
  switch (spec.kind) {
    case 'block':
      return `block:${spec.target}`
    case 'mark':
      return `mark:${spec.mark}/${spec.via}/${spec.length}`
    case 'move':
      return `move:${spec.how}`
    case 'delete':
      return `delete:${spec.direction}/${spec.length}`
    case 'paste':
      return `paste:${spec.shape}${spec.withMarker ? '+marker' : ''}`
    case 'undo':
    case 'redo':
      return `${spec.kind}/${spec.via}`
    default:
      return spec.kind
  }
}

function syncUrlOf(baseUrl: string): string {
  const url = new URL(baseUrl)
  return `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}/sync`
}

/** Runs the plan against the target and reports what happened; never throws. */
export async function runChaos(target: ChaosTarget, options: ChaosRunOptions): Promise<ChaosOutcome> {
  const { plan } = options
  const startMs = Date.now()
  const ledger = new MarkerLedger()
  const relay = new RelayControl(target.relay)
  const timeline: string[] = []
  const notes: string[] = []
  const failures: string[] = []
  const actions = { done: {}, skipped: {}, refused: {} } as Record<ActionOutcome, Record<string, number>>
  const executed: Record<string, number> = {}
  const planned = countByKind(plan.faults)
  const skippedFaults = countByKind(plan.faults.filter((fault) => !executableFaults(plan, relay).includes(fault)))
  const lost = new Map<string, string[]>()
  const duplicates = new Map<string, DuplicateMarker>()
  let convergeMs: number | null = null
  let error: unknown = null

  const pageLogs: string[] = []
  const elapsed = (): string => `+${((Date.now() - startMs) / 1000).toFixed(2)}s`
  const note = (line: string): void => {
    timeline.push(`${elapsed()} ${line}`)
    pageLogs.push(`${elapsed()} ${line}`)
  }
  const steps = plan.scripts.map((_, slot) => faultStepsFor(plan, slot))
  const position = plan.scripts.map(() => 0)
  const progress = { done: 0, finishedLoops: 0, aborted: false }
  const env: FaultEnvironment = {
    peers: target.peers,
    docId: target.docId,
    relay,
    ledger,
    note,
    violation: (message) => {
      failures.push(message)
      note(`VIOLATION ${message}`)
    },
    wantsServiceWorker: (slot) => needsServiceWorker(steps[slot.index] ?? new Map(), position[slot.index] ?? 0),
  }
  allowFaultConsoleMessages(target.peers, { baseUrl: target.baseUrl, docId: target.docId, relayCrashes: relay.canCrash })

  const slots: ChaosSlot[] = []
  const runSlot = async (slot: ChaosSlot): Promise<void> => {
    const script = plan.scripts[slot.index] ?? []
    const slotSteps = steps[slot.index] ?? new Map()
    try {
      for (let index = 0; index <= script.length && !progress.aborted; index++) {
        position[slot.index] = index
        for (const step of slotSteps.get(index) ?? []) {
          if (step.kind === 'go-offline' || step.kind === 'reload' || step.kind === 'replace') bump(executed, step.fault.kind)
          await runFaultStep(step, slot, env)
        }
        const spec = script[index]
        if (spec === undefined) break
        const outcome = await runAction(slot, spec)
        bump(actions[outcome], spec.kind)
        pageLogs.push(`${elapsed()} ${slot.writer} #${index} ${describeAction(spec)} ${outcome}`)
        progress.done += 1
        await slot.drainInto(ledger)
      }
    } catch (caught) {
      progress.aborted = true
      throw caught
    } finally {
      progress.finishedLoops += 1
    }
  }
  const totalActions = plan.pages * plan.actionsPerPage
  const runRelayFaults = async (): Promise<void> => {
    for (const fault of plan.faults) {
      if (fault.kind !== 'relay-kill' || !relay.canCrash) continue
      while (progress.done < fault.atProgress * totalActions && progress.finishedLoops < slots.length && !progress.aborted) {
        await new Promise((resolve) => setTimeout(resolve, RELAY_POLL_MS))
      }
      if (progress.aborted) return
      note(`relay SIGKILL (down for ${fault.downMs} ms)`)
      bump(executed, fault.kind)
      await relay.crash(fault.downMs)
      note('relay restarted')
    }
  }

  try {
    for (let index = 0; index < plan.pages; index++) {
      const slot = new ChaosSlot(index, await target.peers.openOne(`${ChaosSlot.letterOf(index)}1`))
      await slot.open(target.docId, { serviceWorker: needsServiceWorker(steps[index] ?? new Map(), 0) })
      slots.push(slot)
    }
    note(`${plan.pages} pages open`)
    const settled = await Promise.allSettled([...slots.map(runSlot), runRelayFaults()])
    const rejected = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (rejected !== undefined) throw rejected.reason

    // Heal: relay up, every page online; from here on nothing is broken on purpose.
    await relay.whenUp()
    for (const slot of slots) {
      if (slot.offline) await slot.peer.context.setOffline(false)
      slot.offline = false
    }
    const healedMs = Date.now()
    note('every fault healed')
    const pages = slots.map((slot) => slot.page)
    await Promise.all(pages.map((page) => expectConnection(page, 'online', HEAL_TIMEOUT_MS)))
    await Promise.all(pages.map((page) => expectSaved(page, HEAL_TIMEOUT_MS)))
    const converged = await waitForConvergence(pages, { timeoutMs: HEAL_TIMEOUT_MS })
    convergeMs = Date.now() - healedMs
    note(`converged after ${convergeMs} ms`)
    for (const slot of slots) await slot.drainInto(ledger)

    const checks: PageCheck[] = []
    for (const slot of slots) checks.push(ledger.check(slot.writer, await docJSON(slot.page)))

    // The relay's storage has everything, and a newcomer with no local copy loads the same document.
    const syncUrl = syncUrlOf(target.baseUrl)
    const wanted = await stateVector(pages[0] as Page)
    await pollFor(
      async () => {
        const stored = await storedStateVector(syncUrl, target.docId)
        return { done: covers(stored, wanted), detail: `stored ${[...stored.entries()].join(' ')}` }
      },
      { timeoutMs: HEAL_TIMEOUT_MS, intervalMs: 250, message: "the relay's stored state to cover the converged state vector" },
    )
    const fresh = await target.peers.openOne('fresh')
    await openDoc(fresh.page, target.docId)
    const withFresh = await waitForConvergence([...pages, fresh.page], { timeoutMs: HEAL_TIMEOUT_MS })
    if (JSON.stringify(withFresh) !== JSON.stringify(converged)) {
      failures.push('a fresh page loaded a different document from the relay than the pages converged on')
    }
    checks.push(ledger.check('fresh page', await docJSON(fresh.page)))

    for (const check of checks) {
      for (const marker of check.lost) lost.set(marker, [...(lost.get(marker) ?? []), check.page])
      for (const duplicate of check.duplicates) duplicates.set(duplicate.marker, duplicate)
      if (check.unknown.length > 0) notes.push(`${check.page}: markers nobody was seen typing: ${check.unknown.join(' ')}`)
    }
  } catch (caught) {
    error = caught
    failures.push(`run stopped: ${(caught as Error).message?.split('\n')[0] ?? String(caught)}`)
  }

  for (const [marker, pages] of lost) {
    const history = ledger
      .history(marker)
      .map((event) => `${event.observer} saw ${event.before}→${event.after} (${event.cause}${event.where === undefined ? '' : `, was in ${event.where}`})`)
    const cause = ledger.lossCause(marker)
    const line = `LOST ${marker} (${cause}) on ${pages.join(', ')}; history: ${history.join(', ') || 'none'}`
    if (options.knownLosses.includes(cause)) notes.push(`tolerated by CHAOS_KNOWN_LOSSES: ${line}`)
    else failures.push(line)
  }
  const split = [...duplicates.values()].filter((duplicate) => duplicate.cause === 'split')
  const unexplained = [...duplicates.values()].filter((duplicate) => duplicate.cause === 'unexplained')
  for (const duplicate of unexplained) failures.push(`DUPLICATED (unexplained) ${describeDuplicate(duplicate)}`)
  if (options.strict) for (const duplicate of split) failures.push(`DUPLICATED by concurrent splits (CHAOS_STRICT=1) ${describeDuplicate(duplicate)}`)
  notes.push(...ledger.notes)

  const expected = ledger.expected().length
  const report: ChaosReport = {
    seed: plan.seed,
    result: failures.length === 0 ? 'pass' : 'fail',
    failures,
    target: options.targetLabel,
    pages: plan.pages,
    actionsPerPage: plan.actionsPerPage,
    strict: options.strict,
    actions: { ...actions, total: Object.values(actions).reduce((sum, counts) => sum + Object.values(counts).reduce((a, b) => a + b, 0), 0) },
    faults: { planned, executed, skipped: skippedFaults },
    markers: {
      typed: ledger.typedCount,
      retractedByOwnUndo: ledger.retractedCount,
      expected,
      checked: expected * (plan.pages + 1),
      lost: [...lost.keys()].map((marker) => {
        const cause = ledger.lossCause(marker)
        return { marker, cause, tolerated: options.knownLosses.includes(cause), history: ledger.history(marker) }
      }),
      splitDuplicates: split,
      unexplainedDuplicates: unexplained,
    },
    guardRefusals: ledger.guardRefusals,
    convergeMs,
    totalMs: Date.now() - startMs,
    reproduce: options.reproduce,
    notes,
    timeline,
    actionLog: pageLogs,
  }
  return { report, error }
}
