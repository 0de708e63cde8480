// Scenario 4 — cold load of a large document: the automerge-paper final state and a 10× larger
// one; 1 and 10 clients join at once, with the document in the server's memory (a holder stays
// connected) and, for our relay, from storage (everyone left, the room unloaded): SQLite for ours,
// the in-memory store for ours (no persistence).
import type { SizeName } from '../config/bench-config'
import type { ConnectResult } from '../load/session-types'
import type { Row, ScenarioReport } from '../report/report-types'
import type { RunningServer } from '../servers/server-process'
import type { ServerId, ServerSpec } from '../servers/server-spec'
import { loadTrace } from '../traces/trace'
import { ensureLargeDocument, largeDocument, largeDocumentPath } from '../traces/workload'
import { nowMs } from '../util/clock'
import { progress } from '../util/progress'
import { median, percentile } from '../util/stats'
import { aheadTarget } from './compare'
import { checkTexts, randomTag, runInterleaved, type Scenario, type ScenarioContext } from './context'
import { waitRelayUnloaded } from './relay-state'

const SIZES: Record<SizeName, { copies: number[]; joiners: number[]; repeats: number; rounds: number }> = {
  small: { copies: [1], joiners: [1, 10], repeats: 2, rounds: 1 },
  // Repeats (joiners only) are cheaper than rounds (each re-uploads the document), so the default
  // gets its samples from repeats: five, so that a single 1-joiner p50 is not decided by the one
  // or two repeats that met a compaction, a garbage collection or the first encoding.
  default: { copies: [1, 10], joiners: [1, 10], repeats: 5, rounds: 1 },
  large: { copies: [1, 10], joiners: [1, 10, 50], repeats: 5, rounds: 3 },
}
const SERVERS_RUN: ServerId[] = ['ours', 'ours-memory', 'y-websocket', 'hocuspocus', 'ws-floor']
/** Lets the relay unload a room right after its last client left, so "from storage" runs quickly. */
const RELAY_ENV = { ROOM_UNLOAD_DELAY_MS: '100' }

type Source = 'memory' | 'storage'

interface JoinCase {
  copies: number
  joiners: number
  source: Source
  /** Connect start → sync step 2, every joiner of every repeat, ms. */
  syncMs: number[]
  /** Message bytes the joiner received until synced (median; decompressed). */
  bytesIn: number
  /** TCP bytes the joiner received until synced (median). */
  wireBytesIn: number
  bytesOut: number
}

export const coldLoadScenario: Scenario = {
  id: 4,
  title: 'Cold load of a large document',
  async run(context: ScenarioContext): Promise<ScenarioReport> {
    const startedMs = nowMs()
    const size = { ...SIZES[context.size], ...(context.config.rounds !== null ? { rounds: context.config.rounds } : {}) }
    for (const copies of size.copies) {
      progress(`  preparing the automerge-paper ×${copies} document (cached after the first run)`)
      await ensureLargeDocument('automerge-paper', copies)
    }
    const docs = new Map(size.copies.map((copies) => [copies, largeDocument('automerge-paper', copies)]))
    const endContent = loadTrace('automerge-paper').endContent
    const report: ScenarioReport = {
      id: 4,
      title: this.title,
      setup: [
        `Documents: automerge-paper replayed in full (${endContent.length.toLocaleString('en-US')} chars, one update per edit); ${size.copies.map((c) => `×${c}: ${(docs.get(c)!.state.byteLength / 1024).toFixed(0)} KiB encoded state`).join(', ')} (×10 = ten independent replays in ten texts).`,
        `A holder uploads the state as one sync step 2 and stays connected. Then ${size.joiners.join(' and ')} fresh clients (empty state vector) connect at once; time = connect start → server's sync step 2 received; bytes = what the joiner received until then, on its TCP socket (the upgrade response, WebSocket framing and any compression included) and as messages (decompressed), median of the 1-joiner repeats. Each case ${size.repeats}× (all joiners of all repeats pooled); all servers run at once and every case runs on each in turn (the order rotating from case to case), ${size.rounds} round(s), each case keeping its fastest round.`,
        'Joiners offer permessage-deflate as browsers do; every server here sends the state plain (ours as shipped compresses only presence; `WS_COMPRESSION=all` would also compress a large document\'s whole state for joiners, about half the bytes on the wire, at the cost of each joiner inflating it: see the relay\'s README).',
        `From storage (ours only; the peers keep no store to reload from): the holder leaves, the relay unloads the room (\`ROOM_UNLOAD_DELAY_MS=${RELAY_ENV.ROOM_UNLOAD_DELAY_MS}\` so it happens at once), then the joiners connect; ours reloads from SQLite, ours (no persistence) from its in-memory store (snapshot + log, no disk).`,
      ],
      tables: [],
      targets: [],
      convergence: [],
      pressure: {},
      failures: [],
      notes: [],
      wallSeconds: 0,
      raw: {},
    }
    const results = new Map<ServerId, JoinCase[]>()

    const joinAll = async (server: RunningServer, docId: string, copies: number, joiners: number, source: Source): Promise<JoinCase> => {
      const session = await context.pool.start(1, 'joiners', { baseUrl: server.wsBase, dialect: server.spec.dialect, docId })
      const runs: ConnectResult[] = []
      for (let r = 0; r < size.repeats; r++) {
        if (source === 'storage') await waitRelayUnloaded(server)
        const run = await session.command('join', { count: joiners })
        if (run.failures > 0) throw new Error(`${run.failures} of ${joiners} joiners failed (${source}, ×${copies}): ${run.firstError}`)
        runs.push(run)
      }
      await session.end()
      return {
        copies,
        joiners,
        source,
        syncMs: runs.flatMap((r) => r.syncMs),
        bytesIn: median(runs.flatMap((r) => r.bytesIn)),
        wireBytesIn: median(runs.flatMap((r) => r.wireBytesIn)),
        bytesOut: median(runs.flatMap((r) => r.bytesOut)),
      }
    }

    const options = {
      servers: SERVERS_RUN,
      extraEnv: (spec: ServerSpec) => (spec.id.startsWith('ours') ? RELAY_ENV : {}),
      rounds: size.rounds,
      cases: size.copies,
      caseLabel: (copies: number) => `×${copies}`,
    }
    await runInterleaved(context, report, options, async ({ spec, server }, copies, round) => {
      const cases = results.get(spec.id) ?? []
      results.set(spec.id, cases)
      const doc = docs.get(copies)!
      const expected = new Map(doc.texts.map((t) => [t.name, endContent]))
      const docId = `s4-${context.runTag}-x${copies}-r${round}-${randomTag()}`
      const holder = await context.pool.start(0, 'holder', { baseUrl: server.wsBase, dialect: spec.dialect, docId, statePath: largeDocumentPath('automerge-paper', copies) })
      const measured: JoinCase[] = []
      for (const joiners of size.joiners) measured.push(await joinAll(server, docId, copies, joiners, 'memory'))
      if (spec.id === 'ws-floor') {
        report.convergence.push({ server: spec.id, caseName: `×${copies}`, converged: true, detail: 'the floor hands back the uploaded bytes; no document to compare' })
      } else report.convergence.push(await checkTexts(server, docId, expected, `×${copies} from memory, round ${round + 1}`))
      await holder.end()
      if (spec.storage !== null) {
        for (const joiners of size.joiners) measured.push(await joinAll(server, docId, copies, joiners, 'storage'))
        await waitRelayUnloaded(server)
        report.convergence.push(await checkTexts(server, docId, expected, `×${copies} from storage, round ${round + 1}`))
      }
      // Several rounds: each case keeps its fastest round (the least disturbed).
      for (const m of measured) {
        const at = cases.findIndex((c) => c.copies === m.copies && c.joiners === m.joiners && c.source === m.source)
        if (at === -1) cases.push(m)
        else if (percentile(m.syncMs, 100) < percentile(cases[at]!.syncMs, 100)) cases[at] = m
      }
      progress(`  ${spec.label} ×${copies}: ${measured.map((c) => `${c.source}/${c.joiners}: p50 ${median(c.syncMs).toFixed(1)} ms`).join(', ')}`)
    })

    const pick = (copies: number, joiners: number, source: Source, value: (c: JoinCase) => number): Row['values'] =>
      Object.fromEntries(
        [...results].map(([id, cases]) => {
          const found = cases.find((c) => c.copies === copies && c.joiners === joiners && c.source === source)
          return [id, found === undefined ? null : value(found)]
        }),
      )
    const rows: Row[] = []
    const headline: Row[] = []
    for (const copies of size.copies) {
      for (const source of ['memory', 'storage'] as Source[]) {
        for (const joiners of size.joiners) {
          const name = `×${copies}, ${joiners} joiner${joiners > 1 ? 's' : ''}, from ${source}`
          const p50: Row = { label: `${name}: time to synced p50`, unit: 'ms', better: 'lower', values: pick(copies, joiners, source, (c) => median(c.syncMs)) }
          const last: Row = { label: `${name}: time to synced max`, unit: 'ms', better: 'lower', values: pick(copies, joiners, source, (c) => percentile(c.syncMs, 100)) }
          rows.push(p50)
          if (joiners > 1) rows.push(last)
          if (source === 'storage') {
            for (const row of [p50, last]) row.notes = { 'y-websocket': 'no storage', hocuspocus: 'no storage', 'ws-floor': 'no storage' }
          }
          if (source === 'memory' && copies === Math.max(...size.copies)) headline.push(joiners > 1 ? last : p50)
        }
      }
      rows.push(
        { label: `×${copies}: bytes on the wire until synced`, unit: 'KiB', better: 'lower', values: pick(copies, 1, 'memory', (c) => c.wireBytesIn / 1024) },
        { label: `×${copies}: message bytes until synced (decompressed)`, unit: 'KiB', better: null, values: pick(copies, 1, 'memory', (c) => c.bytesIn / 1024) },
      )
    }
    report.tables.push({ title: 'Time to synced and bytes on the wire', rows })
    for (const row of headline) report.targets.push(aheadTarget('cold load of a large document: ≥2× faster than the best peer', row, 2))
    report.raw = Object.fromEntries(results)
    report.wallSeconds = (nowMs() - startedMs) / 1000
    return report
  },
}
