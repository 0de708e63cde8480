// One chaos run: open the pages, run every page's script concurrently with the faults, then heal,
// check the end state (end-check.ts) and judge it (verdict.ts) into a report.
import type { Peers } from '../support/pages'
import type { RelayProcess } from '../support/relay-process'
import { type ActionOutcome, runAction } from './actions'
import { allowFaultConsoleMessages } from './console'
import { DivergenceError, type EndState, healAndCheck } from './end-check'
import { executableFaults, type FaultEnvironment, faultStepsFor, needsServiceWorker, RelayControl, runFaultStep } from './faults'
import { MarkerLedger } from './ledger'
import { type ChaosPlan, countByKind, describeAction } from './plan'
import type { ChaosReport } from './report'
import { ChaosSlot } from './slot'
import { judge } from './verdict'

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
  /** Command that reproduces the schedule, for the report. */
  reproduce: string
  targetLabel: string
}

export interface ChaosOutcome {
  report: ChaosReport
  /** An exception that stopped the run (the report then says what was done until then). */
  error: unknown
}

/** How often the relay crash checks whether the run has got far enough. */
const PROGRESS_POLL_MS = 50

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1
}

function firstLine(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split('\n')[0] ?? ''
}

/** Runs the plan against the target and reports what happened; never throws. */
export async function runChaos(target: ChaosTarget, options: ChaosRunOptions): Promise<ChaosOutcome> {
  const { plan } = options
  const startMs = Date.now()
  const ledger = new MarkerLedger()
  const relay = new RelayControl(target.relay)
  const timeline: string[] = []
  const actionLog: string[] = []
  const violations: string[] = []
  const actions: Record<ActionOutcome, Record<string, number>> = { done: {}, skipped: {}, refused: {} }
  const executed: Record<string, number> = {}
  const elapsed = (): string => `+${((Date.now() - startMs) / 1000).toFixed(2)}s`
  const note = (line: string): void => {
    timeline.push(`${elapsed()} ${line}`)
    actionLog.push(`${elapsed()} ${line}`)
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
      violations.push(message)
      note(`VIOLATION ${message}`)
    },
    wantsServiceWorker: (slot) => needsServiceWorker(steps[slot.index] ?? new Map(), position[slot.index] ?? 0),
  }
  allowFaultConsoleMessages(target.peers, { baseUrl: target.baseUrl, docId: target.docId, relayCrashes: relay.canCrash })

  const slots: ChaosSlot[] = []
  // One page's script with its faults; a failure stops the other pages at their next action.
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
        actionLog.push(`${elapsed()} ${slot.writer} #${index} ${describeAction(spec)} ${outcome}`)
        progress.done += 1
        await slot.drainInto(ledger)
      }
    } catch (error) {
      progress.aborted = true
      throw error
    } finally {
      progress.finishedLoops += 1
    }
  }
  const totalActions = plan.pages * plan.actionsPerPage
  const runRelayCrashes = async (): Promise<void> => {
    for (const fault of plan.faults) {
      if (fault.kind !== 'relay-kill' || !relay.canCrash) continue
      while (progress.done < fault.atProgress * totalActions && progress.finishedLoops < slots.length && !progress.aborted) {
        await new Promise((resolve) => setTimeout(resolve, PROGRESS_POLL_MS))
      }
      if (progress.aborted) return
      note(`relay SIGKILL (down for ${fault.downMs} ms)`)
      bump(executed, fault.kind)
      await relay.crash(fault.downMs)
      note('relay restarted')
    }
  }

  let end: EndState | null = null
  let error: unknown = null
  const stops: string[] = []
  try {
    for (let index = 0; index < plan.pages; index++) {
      const slot = new ChaosSlot(index, await target.peers.openOne(`${ChaosSlot.letterOf(index)}1`))
      await slot.open(target.docId, { serviceWorker: needsServiceWorker(steps[index] ?? new Map(), 0) })
      slots.push(slot)
    }
    note(`${plan.pages} pages open`)
    const settled = await Promise.allSettled([...slots.map(runSlot), runRelayCrashes()])
    const rejected = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected')
    if (rejected !== undefined) throw rejected.reason
    end = await healAndCheck(slots, target, relay, ledger, note)
  } catch (caught) {
    error = caught
    stops.push(caught instanceof DivergenceError ? `DIVERGED: ${firstLine(caught)}` : `run stopped: ${firstLine(caught)}`)
  }

  const verdict = judge(ledger, end?.checks ?? [], {
    documents: plan.pages + 1,
    startMs,
  })
  const failures = [...stops, ...violations, ...(end?.problems ?? []), ...verdict.failures]
  const report: ChaosReport = {
    seed: plan.seed,
    startedAt: new Date(startMs).toISOString(),
    result: failures.length === 0 ? 'pass' : 'fail',
    failures,
    target: options.targetLabel,
    pages: plan.pages,
    actionsPerPage: plan.actionsPerPage,
    actions: { ...actions, total: progress.done },
    faults: {
      planned: countByKind(plan.faults),
      executed,
      skipped: countByKind(plan.faults.filter((fault) => !executableFaults(plan, relay).includes(fault))),
    },
    markers: verdict.markers,
    guardRefusals: ledger.guardRefusals,
    convergeMs: end?.convergeMs ?? null,
    totalMs: Date.now() - startMs,
    reproduce: options.reproduce,
    notes: verdict.notes,
    timeline,
    actionLog,
  }
  return { report, error }
}
