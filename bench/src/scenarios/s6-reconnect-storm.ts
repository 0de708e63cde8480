// Scenario 6 — reconnect storm: many clients that hold a large document reconnect at once, with the
// server warm (document in memory) and after a cold restart (ours: loaded from SQLite; in-memory
// servers, ours (no persistence) included: re-uploaded by the clients). Time until all synced and settled,
// peak RSS, event-loop delay.
import type { SizeName } from '../config/bench-config'
import { split } from '../load/worker-pool'
import type { ConnectResult } from '../load/session-types'
import type { Row, ScenarioReport } from '../report/report-types'
import type { RunningServer } from '../servers/server-process'
import { sampleRssPeak } from '../servers/proc-stats'
import type { ServerId } from '../servers/server-spec'
import { loadTrace } from '../traces/trace'
import { ensureLargeDocument, largeDocumentPath } from '../traces/workload'
import { nowMs } from '../util/clock'
import { progress } from '../util/progress'
import { percentile } from '../util/stats'
import { aheadTarget } from './compare'
import { checkTexts, forEachServer, randomTag, type Scenario, type ScenarioContext } from './context'

const SIZES: Record<SizeName, { clients: number }> = {
  small: { clients: 50 },
  default: { clients: 200 },
  large: { clients: 1000 },
}
const SERVERS_RUN: ServerId[] = ['ours', 'ours-memory', 'ours-uncompressed', 'y-websocket', 'hocuspocus']
const MiB = 1024 * 1024
type Phase = 'warm' | 'cold'

interface StormCase {
  phase: Phase
  /** First connect → last client received the server's sync step 2, ms. */
  allSyncedMs: number
  /** First connect → last client's barrier answered (its upload processed too), ms. */
  allSettledMs: number
  syncP50Ms: number
  peakRssMiB: number
  rssBeforeMiB: number
  lagP99Ms: number
  lagMaxMs: number
  serverCpuSeconds: number
  /** Cold only: the restart, spawn → ready, ms and CPU seconds. */
  restartMs: number
  restartCpuSeconds: number
}

export const reconnectStormScenario: Scenario = {
  id: 6,
  title: 'Reconnect storm',
  async run(context: ScenarioContext): Promise<ScenarioReport> {
    const startedMs = nowMs()
    const size = SIZES[context.size]
    await ensureLargeDocument('automerge-paper', 1)
    const statePath = largeDocumentPath('automerge-paper', 1)
    const expected = new Map([['automerge-paper-0', loadTrace('automerge-paper').endContent]])
    const report: ScenarioReport = {
      id: 6,
      title: this.title,
      setup: [
        `${size.clients} clients, each holding the whole automerge-paper document (as a stock client would after editing it), reconnect at once: sync step 1 with their full state vector; they answer the server's step 1 with only the delete set when the server has everything, else with their whole state (like a stock y-websocket client).`,
        'Warm: the document stays in memory (a holder client remains); all clients close, then all reconnect at once. Cold: all clients and the holder leave, the server restarts (ours flushes and reloads from SQLite; in-memory servers, ours (no persistence) included, lose the document and get it back from the clients), then all reconnect at once.',
        'Synced = every client got the server\'s sync step 2; settled = every client then got the answer to a second step 1 (the server has processed its upload). Peak RSS sampled every 20 ms; event-loop delay from the in-server probe (10 ms resolution).',
        "Clients offer permessage-deflate as browsers do. Ours accepts it (`WS_COMPRESSION=awareness`, its default) and asks them to compress every message on its own (`client_no_context_takeover`); its clients then send their step 2 (the delete set, 10.6 KB; the whole state, 245 KB, to a server that lost the document) compressed, like ws's own client from 1 KiB on. A load worker compresses a message its clients send alike once and sends those bytes from each (what each client's compressor would produce, each message standing alone): a hundred clients in one process each compressing through ws's own zlib stream (~1 ms of CPU per 10 KiB message, measured) made the load core, not the server, set the storm's time, where real clients compress on machines of their own. y-websocket and Hocuspocus do not accept the extension. **ours (WS_COMPRESSION=off)** shows the relay with compression turned off (an extra column, not the one the ratios use).",
        'Restart: from spawning the server process (node with the bench\'s probe preloaded, as every server) until its ready path answers 200, polled every 10 ms (ours: /readyz, which waits for storage to open; the others: /); CPU = the process\'s user + system time at that moment.',
      ],
      tables: [],
      targets: [],
      convergence: [],
      pressure: {},
      failures: [],
      notes: ['The ws floor is not run: it keeps no document, so a reconnect costs it nothing to compare.'],
      wallSeconds: 0,
      raw: {},
    }
    const results = new Map<ServerId, StormCase[]>()

    const storm = async (server: RunningServer, sessions: { command: (name: 'connectAll', arg: { barrier: boolean }) => Promise<ConnectResult> }[], phase: Phase): Promise<StormCase> => {
      await server.probe('lag-reset')
      const rssBeforeMiB = server.rssBytes() / MiB
      const cpu0 = server.cpuSeconds()
      const sampler = sampleRssPeak(server.pid)
      const runs = await Promise.all(sessions.map((s) => s.command('connectAll', { barrier: true })))
      const peakRssMiB = sampler.stop() / MiB
      const lag = await server.probe('lag')
      const failures = runs.reduce((s, r) => s + r.failures, 0)
      if (failures > 0) throw new Error(`${failures} of ${size.clients} clients failed to reconnect (${phase}): ${runs.map((r) => r.firstError).find((e) => e !== '')}`)
      const startMs = Math.min(...runs.map((r) => r.startMs))
      const syncMs = runs.flatMap((r) => r.syncMs)
      return {
        phase,
        allSyncedMs: percentile(syncMs, 100) + (Math.max(...runs.map((r) => r.startMs)) - startMs),
        allSettledMs: Math.max(...runs.map((r) => r.endMs)) - startMs,
        syncP50Ms: percentile(syncMs, 50),
        peakRssMiB,
        rssBeforeMiB,
        lagP99Ms: lag.lagP99Ms,
        lagMaxMs: lag.lagMaxMs,
        serverCpuSeconds: server.cpuSeconds() - cpu0,
        restartMs: phase === 'cold' ? server.readyAfterMs : Number.NaN,
        restartCpuSeconds: phase === 'cold' ? server.startupCpuSeconds : Number.NaN,
      }
    }

    await forEachServer(context, report, { servers: SERVERS_RUN }, async (session) => {
      const { spec } = session
      const cases: StormCase[] = []
      results.set(spec.id, cases)
      const docId = `s6-${context.runTag}-${randomTag()}`
      const target = () => ({ baseUrl: session.server.wsBase, dialect: spec.dialect, docId })
      const holder = await context.pool.start(0, 'holder', { ...target(), statePath })
      const counts = split(size.clients, context.pool.size - 1)
      let sessions = await Promise.all(counts.map((count, i) => context.pool.start(1 + i, 'storm', { ...target(), count, statePath })))
      await Promise.all(sessions.map((s) => s.command('connectAll', { barrier: true })))
      await Promise.all(sessions.map((s) => s.command('closeAll', {})))
      cases.push(await storm(session.server, sessions, 'warm'))
      report.convergence.push(await checkTexts(session.server, docId, expected, 'warm'))

      await Promise.all(sessions.map((s) => s.command('closeAll', {})))
      await Promise.all(sessions.map((s) => s.end()))
      await holder.end()
      const restarted = await session.restart()
      sessions = await Promise.all(counts.map((count, i) => context.pool.start(1 + i, 'storm', { ...target(), count, statePath })))
      cases.push(await storm(restarted, sessions, 'cold'))
      report.convergence.push(await checkTexts(restarted, docId, expected, 'cold restart'))
      await Promise.all(sessions.map((s) => s.end()))
      progress(`  ${spec.label}: ${cases.map((c) => `${c.phase} settled ${c.allSettledMs.toFixed(0)} ms, peak RSS ${c.peakRssMiB.toFixed(0)} MiB, lag max ${c.lagMaxMs.toFixed(0)} ms`).join('; ')}`)
    })

    const pick = (phase: Phase, value: (c: StormCase) => number): Row['values'] =>
      Object.fromEntries([...results].map(([id, cases]) => {
        const found = cases.find((c) => c.phase === phase)
        return [id, found === undefined ? null : value(found)]
      }))
    const rows: Row[] = []
    const headline: Row[] = []
    for (const phase of ['warm', 'cold'] as Phase[]) {
      const settled: Row = { label: `${phase}: all settled`, unit: 'ms', better: 'lower', values: pick(phase, (c) => c.allSettledMs) }
      headline.push(settled)
      rows.push(
        { label: `${phase}: all synced`, unit: 'ms', better: 'lower', values: pick(phase, (c) => c.allSyncedMs) },
        settled,
        { label: `${phase}: sync p50`, unit: 'ms', better: 'lower', values: pick(phase, (c) => c.syncP50Ms) },
        { label: `${phase}: peak RSS`, unit: 'MiB', better: 'lower', values: pick(phase, (c) => c.peakRssMiB) },
        { label: `${phase}: RSS before`, unit: 'MiB', better: null, values: pick(phase, (c) => c.rssBeforeMiB) },
        { label: `${phase}: event-loop delay p99`, unit: 'ms', better: 'lower', values: pick(phase, (c) => c.lagP99Ms) },
        { label: `${phase}: event-loop delay max`, unit: 'ms', better: 'lower', values: pick(phase, (c) => c.lagMaxMs) },
        { label: `${phase}: server CPU`, unit: 's', better: 'lower', values: pick(phase, (c) => c.serverCpuSeconds) },
      )
    }
    rows.push(
      { label: 'cold: restart, process spawned → ready', unit: 'ms', better: 'lower', values: pick('cold', (c) => c.restartMs) },
      { label: 'cold: restart, CPU until ready', unit: 's', better: 'lower', values: pick('cold', (c) => c.restartCpuSeconds) },
    )
    report.tables.push({ title: `${size.clients} clients reconnecting at once`, rows })
    for (const row of headline) report.targets.push(aheadTarget('reconnect storm time: ≥2× faster than the best peer', row, 2))
    report.raw = Object.fromEntries(results)
    report.wallSeconds = (nowMs() - startedMs) / 1000
    return report
  },
}
