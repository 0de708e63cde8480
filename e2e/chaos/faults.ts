// Executes the planned faults: per page (offline and back, reload online or offline, close and
// rejoin in a fresh context) between that page's actions, and the relay crash on its own timeline.
import { expectConnection, expectSaved, waitForEditor } from '../support/collab'
import type { Peers } from '../support/pages'
import { pollFor } from '../support/poll'
import type { RelayProcess } from '../support/relay-process'
import { runAction } from './actions'
import type { MarkerLedger } from './ledger'
import type { ChaosPlan, FaultSpec, PageFault } from './plan'
import { installChaosProbe, markerCounts } from './probe'
import type { ChaosSlot } from './slot'

/** Reconnecting after a fault waits out the client's backoff on a loaded 2-core machine. */
export const HEAL_TIMEOUT_MS = 90_000
/** How often a pending relay crash checks whether a fresh page has finished its first visit. */
const HOLD_POLL_MS = 50
/** How long markers may take to reappear after a reload (IndexedDB, then the relay). */
const RELOAD_RECOVERY_MS = 20_000

/** A step of a page fault, run before the page's action with the given index. */
export type FaultStep =
  | { kind: 'go-offline'; fault: PageFault }
  | { kind: 'go-online'; fault: PageFault }
  | { kind: 'marker-then-offline-reload'; fault: PageFault }
  | { kind: 'reload'; fault: PageFault }
  | { kind: 'replace'; fault: PageFault }

/** `steps.get(i)` = what happens to the slot's page just before its action `i`. */
export function faultStepsFor(plan: ChaosPlan, slot: number): Map<number, FaultStep[]> {
  const steps = new Map<number, FaultStep[]>()
  const add = (at: number, step: FaultStep): void => {
    const index = Math.min(at, plan.actionsPerPage)
    steps.set(index, [...(steps.get(index) ?? []), step])
  }
  for (const fault of plan.faults) {
    if (fault.kind === 'relay-kill' || fault.slot !== slot) continue
    switch (fault.kind) {
      case 'offline':
        add(fault.atAction, { kind: 'go-offline', fault })
        add(fault.atAction + fault.forActions, { kind: 'go-online', fault })
        break
      case 'offline-reload':
        add(fault.atAction, { kind: 'go-offline', fault })
        add(fault.atAction + fault.reloadAfterActions, { kind: 'marker-then-offline-reload', fault })
        add(fault.atAction + fault.forActions, { kind: 'go-online', fault })
        break
      case 'reload':
        add(fault.atAction, { kind: 'reload', fault })
        break
      case 'replace':
        add(fault.atAction, { kind: 'replace', fault })
        break
    }
  }
  return steps
}

/** True when a later step of the slot reloads it offline (its page needs the service worker). */
export function needsServiceWorker(steps: Map<number, FaultStep[]>, fromAction: number): boolean {
  return [...steps.entries()].some(([at, list]) => at >= fromAction && list.some((step) => step.kind === 'marker-then-offline-reload'))
}

/** The relay's availability, shared by the crash driver and the page faults that need the relay. */
export class RelayControl {
  private downUntil: Promise<void> | null = null
  private holds = 0
  crashes = 0

  constructor(private readonly relay: RelayProcess | null) {}

  get canCrash(): boolean {
    return this.relay !== null
  }

  /** Resolves when the relay is not in the middle of a crash. */
  async whenUp(): Promise<void> {
    await this.downUntil
  }

  /**
   * Runs `work` with the relay up and keeps it up meanwhile. For a fresh browser context's first
   * visit: it has no service worker yet, so it cannot even load the app without the relay, and a
   * crash during that visit (a different fault than the ones planned) breaks its worker's
   * registration for the whole session.
   */
  async keepUpWhile<T>(work: () => Promise<T>): Promise<T> {
    await this.whenUp()
    this.holds += 1
    try {
      return await work()
    } finally {
      this.holds -= 1
    }
  }

  /** SIGKILL, stay down for `downMs` (the fault's length, not a wait for a condition), start again. */
  async crash(downMs: number): Promise<void> {
    const relay = this.relay
    if (relay === null) return
    while (this.holds > 0) await new Promise((resolve) => setTimeout(resolve, HOLD_POLL_MS))
    let markUp = (): void => {}
    this.downUntil = new Promise((resolve) => {
      markUp = resolve
    })
    try {
      await relay.kill('SIGKILL')
      this.crashes += 1
      await new Promise((resolve) => setTimeout(resolve, downMs))
      await relay.start()
    } finally {
      this.downUntil = null
      markUp()
    }
  }
}

/** What fault steps need from the run. */
export interface FaultEnvironment {
  peers: Peers
  docId: string
  relay: RelayControl
  ledger: MarkerLedger
  /** Adds a line to the run's timeline. */
  note(line: string): void
  /** Records a broken promise of the product (fails the run at the end). */
  violation(message: string): void
  /** Whether the slot's page must have the service worker (a later offline reload). */
  wantsServiceWorker(slot: ChaosSlot): boolean
}

async function reloadAndCheck(slot: ChaosSlot, env: FaultEnvironment, offline: boolean): Promise<void> {
  await slot.drainInto(env.ledger)
  const before = Object.keys(await markerCounts(slot.page))
  const writer = slot.writer
  await slot.page.reload()
  await waitForEditor(slot.page, env.docId, { online: false })
  await installChaosProbe(slot.page, writer)
  let missing: string[] = []
  try {
    await pollFor(
      async () => {
        const counts = await markerCounts(slot.page)
        missing = before.filter((marker) => (counts[marker] ?? 0) === 0)
        return { done: missing.length === 0, detail: `missing ${missing.join(' ')}` }
      },
      { timeoutMs: RELOAD_RECOVERY_MS, intervalMs: 200, message: 'markers to reappear after a reload' },
    )
  } catch {
    const message = `${writer}: ${missing.length} marker(s) present before a reload ${offline ? 'while offline' : 'online'} were still missing ${RELOAD_RECOVERY_MS} ms after it: ${missing.join(' ')}`
    // Offline, nothing but this page's IndexedDB can bring them back: that copy lost them.
    if (offline) env.violation(message)
    else env.note(message)
  }
}

/** Runs one fault step on a slot's page. */
export async function runFaultStep(step: FaultStep, slot: ChaosSlot, env: FaultEnvironment): Promise<void> {
  switch (step.kind) {
    case 'go-offline':
      env.note(`${slot.writer} goes offline (${step.fault.kind})`)
      await slot.peer.context.setOffline(true)
      slot.offline = true
      await expectConnection(slot.page, 'offline')
      return
    case 'go-online':
      env.note(`${slot.writer} back online`)
      await slot.peer.context.setOffline(false)
      slot.offline = false
      return
    case 'marker-then-offline-reload': {
      const outcome = await runAction(slot, { kind: 'marker' })
      env.note(`${slot.writer} typed a marker offline (${outcome}) and reloads offline`)
      await reloadAndCheck(slot, env, true)
      return
    }
    case 'reload':
      await env.relay.whenUp()
      env.note(`${slot.writer} reloads online`)
      await reloadAndCheck(slot, env, false)
      return
    case 'replace': {
      await env.relay.whenUp()
      const leaving = slot.writer
      // A user who closes the browser before their edits reached the relay loses them; ours waits.
      await expectConnection(slot.page, 'online', HEAL_TIMEOUT_MS)
      await expectSaved(slot.page, HEAL_TIMEOUT_MS)
      await slot.drainInto(env.ledger)
      await env.relay.keepUpWhile(() => slot.replace(env.peers, env.docId, { serviceWorker: env.wantsServiceWorker(slot) }))
      env.note(`${leaving} closed; ${slot.writer} joined in a fresh context`)
      return
    }
  }
}

/** Faults of the plan that this target can execute (no relay crash against E2E_BASE_URL). */
export function executableFaults(plan: ChaosPlan, relay: RelayControl): FaultSpec[] {
  return plan.faults.filter((fault) => fault.kind !== 'relay-kill' || relay.canCrash)
}
