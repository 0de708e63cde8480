// After the scripted phase: heal every fault, wait for convergence, and collect the end state of
// every page, of the relay's storage and of a fresh page that has nothing local.
import type { Page } from '@playwright/test'
import { docJSON, expectConnection, expectSaved, openDoc, stateVector, waitForConvergence } from '../support/collab'
import { pollFor } from '../support/poll'
import { covers, storedStateVector } from '../support/stock-client'
import { HEAL_TIMEOUT_MS, type RelayControl } from './faults'
import type { MarkerLedger, PageCheck } from './ledger'
import type { ChaosTarget } from './run'
import type { ChaosSlot } from './slot'

/** The pages did not reach identical documents and state vectors after every fault was healed. */
export class DivergenceError extends Error {
  override readonly name = 'DivergenceError'
  constructor(what: string, detail: string) {
    super(`${what} did not converge within ${HEAL_TIMEOUT_MS} ms after every fault was healed\n${detail}`)
  }
}

export interface EndState {
  /** From "every fault healed" to identical documents and state vectors on every page. */
  convergeMs: number
  /** Marker checks of every page and of the fresh page. */
  checks: PageCheck[]
  /** Broken promises other than markers (a fresh page seeing something else). */
  problems: string[]
}

function syncUrlOf(baseUrl: string): string {
  const url = new URL(baseUrl)
  return `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}/sync`
}

async function converge(what: string, pages: readonly Page[]): Promise<unknown> {
  try {
    return await waitForConvergence(pages, { timeoutMs: HEAL_TIMEOUT_MS })
  } catch (error) {
    throw new DivergenceError(what, (error as Error).message)
  }
}

/** Heals (relay up, every page online), waits for convergence and checks the end state. */
export async function healAndCheck(
  slots: readonly ChaosSlot[],
  target: ChaosTarget,
  relay: RelayControl,
  ledger: MarkerLedger,
  note: (line: string) => void,
): Promise<EndState> {
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
  const converged = await converge(`${pages.length} pages`, pages)
  const convergeMs = Date.now() - healedMs
  note(`converged after ${convergeMs} ms`)
  for (const slot of slots) await slot.drainInto(ledger)

  const checks: PageCheck[] = []
  for (const slot of slots) checks.push(ledger.check(slot.writer, await docJSON(slot.page)))

  // The relay's storage has everything, and a newcomer with no local copy loads the same document.
  const wanted = await stateVector(pages[0] as Page)
  await pollFor(
    async () => {
      const stored = await storedStateVector(syncUrlOf(target.baseUrl), target.docId)
      return { done: covers(stored, wanted), detail: `stored ${[...stored.entries()].join(' ')}` }
    },
    { timeoutMs: HEAL_TIMEOUT_MS, intervalMs: 250, message: "the relay's stored state to cover the converged state vector" },
  )
  const fresh = await target.peers.openOne('fresh')
  await openDoc(fresh.page, target.docId)
  const withFresh = await converge('the pages and a fresh page', [...pages, fresh.page])
  const problems =
    JSON.stringify(withFresh) === JSON.stringify(converged)
      ? []
      : ['a fresh page loaded a different document from the relay than the pages had converged on']
  checks.push(ledger.check('fresh page', await docJSON(fresh.page)))
  return { convergeMs, checks, problems }
}
