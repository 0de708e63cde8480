// Convergence under chaos: N pages (own browser contexts) edit one document at once through the
// keyboard, mouse and toolbar — typing, deleting ranges, Enter, joining paragraphs, headings,
// lists, marks, paste, undo/redo — while pages go offline and back, reload (online and offline),
// close and rejoin in fresh contexts, and the relay is killed with SIGKILL and restarted. Every
// action and fault comes from one seed (in the test title and the summary line). See "Convergence
// suite" in e2e/README.md.
//
// After healing every fault a run requires: identical ProseMirror JSON and Yjs state vectors on
// every page, the relay's stored state covering them, a fresh page loading the same document, and
// every marker token (`[[A1x7]]`, inserted atomically, never deleted) present exactly once on every
// page — except markers their own writer took back with undo (the in-page probe records why each
// marker count changes).
//
// The editor's binding never copies text (a split inserts a block boundary, a join deletes one, a
// type change or wrap edits one), so any lost or duplicated marker fails the run.
//
// Reproduce a run: SEED=<n> pnpm --filter @collab/e2e exec playwright test specs/chaos.spec.ts
// (same actions and faults in the same order; timing — and so the interleaving — differs).
import type { Page } from '@playwright/test'
import { allowFaultConsoleMessages } from '../chaos/console'
import { readChaosSettings, reproduceCommand } from '../chaos/config'
import { MarkerLedger } from '../chaos/ledger'
import { classifyDuplicate, textblocksOf } from '../chaos/markers'
import { drawPlan } from '../chaos/plan'
import { InvalidSeedError, parseSeed, Random } from '../chaos/prng'
import type { MarkerEvent } from '../chaos/probe'
import { summaryLine, writeReport } from '../chaos/report'
import { runChaos } from '../chaos/run'
import {
  allowFailedSockets,
  editorText,
  expect,
  expectConnection,
  externalBaseUrl,
  focusEnd,
  openDoc,
  type Peer,
  type Peers,
  pressNavigation,
  test,
  waitForConvergence,
} from '../support/test'

/**
 * Seeds whose schedules broke a run while the suite was built (a seed replays the schedule, not
 * the timing, so these are good schedules rather than exact replays):
 * - 33: SIGKILL in the middle of a WebSocket handshake (ERR_CONNECTION_RESET in the console);
 * - 34: relay crash while a rejoining page registered its service worker;
 * - 35: duplicates from concurrent moves whose copies no longer share their neighbouring text;
 * - 43: a marker typed into a block another page had deleted, seen by nobody (arrives deleted);
 * - 22: undo restoring text others had copied (undo-restore duplicate);
 * - 11: another page's undo deleting a marker (undone-by-other);
 * - 4185206206: a toolbar rule inserted inside a marker split it (the caret was still inside after
 *   ArrowRight presses, most likely one swallowed by a remote caret widget; the harness now
 *   re-checks and never inserts a rule inside a marker);
 * - 4282894524: a marker typed offline 20 ms before an offline reload was gone after it (the
 *   IndexedDB write was aborted with the page; local edits now also go to a synchronous journal);
 * - 3238820903: a marker typed at the start of a code block, in front of another page's caret
 *   widget, never reached the document (Chromium put the text outside the block's <code>; the
 *   editor now draws a code block as one <pre>). Failed CI; about 2 in 3 local runs at 2 cores.
 * By default each invocation adds one of them (picked by the random seed, so CI cycles through
 * them); CHAOS_PINNED=1 runs them all, CHAOS_PINNED=0 none, SEED=n only n.
 */
export const PINNED_SEEDS: readonly number[] = [33, 34, 35, 43, 22, 11, 4185206206, 4282894524, 3238820903]

const settings = readChaosSettings()
function pinnedSeeds(): readonly number[] {
  switch (settings.pinned) {
    case 'all':
      return PINNED_SEEDS
    case 'none':
      return []
    case 'one': {
      const pick = PINNED_SEEDS[(settings.seeds[0] ?? 0) % PINNED_SEEDS.length]
      return pick === undefined ? [] : [pick]
    }
  }
}
const seeds = [...new Set([...settings.seeds, ...pinnedSeeds()])]

test.describe('chaos', () => {
  // Each run crashes its relay, so it gets one of its own.
  test.use({ relayPerTest: true })

  for (const seed of seeds) {
    const shape = `${settings.pages} pages × ${settings.actionsPerPage} actions, ${settings.faults} faults`
    test(`chaos seed ${seed} (${shape})`, async ({ peers, docId, target }, testInfo) => {
      // A few seconds per page action on a loaded 2-core machine, plus healing and the end checks.
      test.setTimeout(Math.max(240_000, settings.pages * settings.actionsPerPage * 1_200))
      const plan = drawPlan({ seed, pages: settings.pages, actionsPerPage: settings.actionsPerPage, faultCount: settings.faults })
      const { report, error } = await runChaos(
        { peers, docId, baseUrl: target.baseUrl, relay: target.relay },
        {
          plan,
          reproduce: reproduceCommand(seed, settings, externalBaseUrl),
          targetLabel: target.relay === null ? `E2E_BASE_URL ${target.baseUrl} (relay crashes skipped)` : 'relay started by the run',
        },
      )
      const file = writeReport(testInfo.project.outputDir, report)
      await testInfo.attach('chaos-report', { path: file.replace(/chaos-report\.json$/, `chaos-report-${seed}.json`), contentType: 'application/json' })
      process.stdout.write(`${summaryLine(report)}\n`)
      if (error !== null) throw error
      expect(report.failures, `chaos seed ${seed} broke a promise; reproduce: ${report.reproduce}`).toEqual([])
    })
  }
})

// Data loss the chaos runs found with y-prosemirror 1.3.7 (it mapped a block type change, a wrap
// in a list and a join to "delete the Yjs element, insert a copy of what it knew", and undoing
// such a change deleted the copy with whatever others had typed into it), pinned down as
// deterministic two-user cases. Our binding (@collab/yjs-binding) changes a block in place, so
// B's text must survive every one of them.
test.describe('concurrent block changes keep what others typed (regressions from the chaos runs)', () => {
  const typedByB = ' typed by B'

  async function expectKept(pages: readonly Page[]): Promise<void> {
    for (const page of pages) {
      const text = await editorText(page)
      expect(text.split(typedByB.trim()).length - 1, `B's text exactly once in ${JSON.stringify(text)}`).toBe(1)
    }
  }

  async function twoUsers(peers: Peers, docId: string, text: string): Promise<[Peer, Page, Page]> {
    const [first, second] = await peers.open(2)
    const a = (first as Peer).page
    const b = (second as Peer).page
    await openDoc(a, docId)
    await openDoc(b, docId)
    await focusEnd(a)
    await a.keyboard.type(text)
    await waitForConvergence([a, b])
    return [first as Peer, a, b]
  }

  async function offlineChangeWhileOtherTypes(
    peers: Peers,
    docId: string,
    text: string,
    change: (a: Page) => Promise<void>,
  ): Promise<Page[]> {
    allowFailedSockets(peers, {
      docId,
      errors: ['Error in connection establishment: net::ERR_INTERNET_DISCONNECTED'],
      reason: 'user A is offline on purpose',
    })
    const [peerA, a, b] = await twoUsers(peers, docId, text)
    await peerA.context.setOffline(true)
    await expectConnection(a, 'offline')
    await change(a)
    await focusEnd(b)
    await b.keyboard.type(typedByB)
    await expect.poll(() => editorText(b)).toContain(typedByB.trim())
    await peerA.context.setOffline(false)
    await waitForConvergence([a, b])
    return [a, b]
  }

  for (const button of ['heading-1', 'bullet-list'] as const) {
    test(`B's typing survives A turning the paragraph into ${button} at the same time`, async ({ peers, docId }) => {
      const pages = await offlineChangeWhileOtherTypes(peers, docId, 'shared line', async (a) => {
        await a.getByTestId(`toolbar-${button}`).click()
      })
      await expectKept(pages)
      await expect(pages[0]!.locator(button === 'heading-1' ? '.ProseMirror h1' : '.ProseMirror ul li')).toHaveCount(1)
    })
  }

  test("B's typing survives A joining B's paragraph into the one above at the same time", async ({ peers, docId }) => {
    const pages = await offlineChangeWhileOtherTypes(peers, docId, 'first line\nsecond line', async (a) => {
      await pressNavigation(a, 'Home')
      await a.keyboard.press('Backspace')
    })
    await expectKept(pages)
    await expect(pages[0]!.locator('.ProseMirror p')).toHaveCount(1)
  })

  test("A's undo of a heading change keeps B's text typed into the heading", async ({ peers, docId }) => {
    const [, a, b] = await twoUsers(peers, docId, 'shared line')
    await a.getByTestId('toolbar-heading-1').click()
    await waitForConvergence([a, b])
    await focusEnd(b)
    await b.keyboard.type(typedByB)
    await expect.poll(() => editorText(a)).toContain(typedByB.trim())
    await a.keyboard.press('ControlOrMeta+z')
    await waitForConvergence([a, b])
    await expectKept([a, b])
    await expect(a.locator('.ProseMirror h1')).toHaveCount(0)
  })
})

// The engine's pure parts: a seed must give the same schedule every time, and the accounting must
// attribute what the pages saw the way the README says. No browser, no relay.
test.describe('chaos engine', () => {
  test('a seed draws the same plan every time, and another seed a different one', () => {
    const options = { pages: 4, actionsPerPage: 50, faultCount: 5 }
    const plan = drawPlan({ seed: 1234, ...options })
    expect(drawPlan({ seed: 1234, ...options })).toEqual(plan)
    expect(drawPlan({ seed: 1235, ...options }).scripts).not.toEqual(plan.scripts)
    expect(plan.faults.filter((fault) => fault.kind === 'relay-kill')).toHaveLength(1)
    expect(plan.faults.filter((fault) => fault.kind === 'offline-reload').length).toBeGreaterThanOrEqual(1)
    expect(plan.faults).toHaveLength(5)
  })

  test("a page's script does not depend on how many pages there are", () => {
    const small = drawPlan({ seed: 99, pages: 2, actionsPerPage: 30, faultCount: 3 })
    const large = drawPlan({ seed: 99, pages: 6, actionsPerPage: 30, faultCount: 3 })
    expect(large.scripts.slice(0, 2)).toEqual(small.scripts)
  })

  test('random numbers stay in range and forks are independent', () => {
    const random = new Random(7)
    for (let index = 0; index < 1_000; index++) {
      const value = random.int(3, 9)
      expect(value >= 3 && value <= 9 && Number.isInteger(value)).toBe(true)
    }
    const a = new Random(7).fork('page-0')
    const b = new Random(7).fork('page-1')
    expect([a.next(), a.next()]).not.toEqual([b.next(), b.next()])
    expect(() => parseSeed('12x')).toThrow(InvalidSeedError)
  })

  test('duplicates are attributed by how the extra copy was made', () => {
    const blocks = ['alpha [[A1x1]] tail', 'x [[A1x1]] tail', 'one [[B1x2]] two [[B1x2]] three']
    expect(classifyDuplicate(blocks, '[[A1x1]]', 'merge')).toMatchObject({ cause: 'split', count: 2, sharedContext: true })
    expect(classifyDuplicate(blocks, '[[A1x1]]', 'undo').cause).toBe('undo-restore')
    expect(classifyDuplicate(blocks, '[[B1x2]]', 'edit')).toMatchObject({ cause: 'unexplained', sharedContext: false })
  })

  test("a marker taken back by its writer's own undo is no longer expected; one undone by another page is lost", () => {
    const ledger = new MarkerLedger()
    const at = (marker: string, before: number, after: number, cause: MarkerEvent['cause']): MarkerEvent => ({ atMs: 0, marker, before, after, cause })
    ledger.record('A1', { events: [at('[[A1x1]]', 0, 1, 'local'), at('[[A1x2]]', 0, 1, 'local'), at('[[A1x1]]', 1, 0, 'undo')], refusals: [] })
    ledger.record('B1', { events: [at('[[B1x1]]', 0, 1, 'local'), at('[[A1x2]]', 1, 0, 'undo')], refusals: [] })
    expect(ledger.expected()).toEqual(['[[A1x2]]', '[[B1x1]]'])
    const doc = { type: 'doc', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'x [[B1x1]] y' }] }] }
    expect(ledger.check('A1', doc)).toMatchObject({ lost: ['[[A1x2]]'], duplicates: [], unknown: [] })
    expect(ledger.lossCause('[[A1x2]]')).toBe('undone-by-other')
    ledger.record('A1', { events: [at('[[A1x1]]', 0, 1, 'redo')], refusals: [] })
    expect(ledger.expected()).toContain('[[A1x1]]')
  })

  test("a chaos run lets through only Chromium's failed-socket lines for its own document", () => {
    const allowed = (relayCrashes: boolean, text: string): boolean => {
      const patterns: RegExp[] = []
      allowFaultConsoleMessages({ allowConsole: (pattern) => patterns.push(pattern) }, { baseUrl: 'http://127.0.0.1:13140', docId: 'doc-1', relayCrashes })
      return patterns.some((pattern) => pattern.test(text))
    }
    const line = (docId: string, failure: string) => `WebSocket connection to 'ws://127.0.0.1:13140/sync/${docId}' failed: ${failure}`
    expect(allowed(true, line('doc-1', 'Error in connection establishment: net::ERR_SOCKET_NOT_CONNECTED'))).toBe(true)
    expect(allowed(true, line('doc-1?since=3', 'Error during WebSocket handshake: net::ERR_CONNECTION_RESET'))).toBe(true)
    expect(allowed(true, line('doc-1', 'Error in connection establishment: net::ERR_INTERNET_DISCONNECTED'))).toBe(true)
    expect(allowed(false, line('doc-1', 'Error in connection establishment: net::ERR_CONNECTION_REFUSED'))).toBe(false)
    expect(allowed(true, line('doc-2', 'Error in connection establishment: net::ERR_CONNECTION_REFUSED'))).toBe(false)
    expect(allowed(true, line('doc-1', 'Error during WebSocket handshake: Unexpected response code: 500'))).toBe(false)
    expect(allowed(true, `${line('doc-1', 'Error in connection establishment: net::ERR_CONNECTION_REFUSED')} and more`)).toBe(false)
  })

  test('text blocks are read out of nested ProseMirror JSON', () => {
    const doc = {
      type: 'doc',
      content: [
        { type: 'bullet_list', content: [{ type: 'list_item', content: [{ type: 'paragraph', content: [{ type: 'text', text: 'item' }] }] }] },
        { type: 'paragraph' },
        { type: 'heading', content: [{ type: 'text', text: 'a' }, { type: 'hard_break' }, { type: 'text', text: 'b' }] },
      ],
    }
    expect(textblocksOf(doc)).toEqual(['item', '', 'a\nb'])
  })
})
