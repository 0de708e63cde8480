// Scenario 2 — saturation: one writer replays automerge-paper as fast as the server confirms
// (closed loop, a window of unconfirmed updates) to N receivers → sustained updates/s and
// deliveries/s; then open loop at 50% and 80% of that rate → delivery latency p50/p99.
import type { SizeName } from '../config/bench-config'
import { split, type SessionHandle } from '../load/worker-pool'
import type { Row, ScenarioReport } from '../report/report-types'
import type { RunningServer } from '../servers/server-process'
import type { ServerId, ServerSpec } from '../servers/server-spec'
import { loadTrace, replayText } from '../traces/trace'
import { writerWorkload } from '../traces/workload'
import { base64ToFloat64 } from '../util/binary'
import { nowMs } from '../util/clock'
import { progress } from '../util/progress'
import { summarizeLatencies } from '../util/stats'
import { aheadTarget } from './compare'
import { checkTexts, randomTag, runInterleaved, type Scenario, type ScenarioContext } from './context'
import { concat, deliveries } from './latency'

const SIZES: Record<SizeName, { receivers: number[]; closedS: number; openS: number; rounds: number }> = {
  small: { receivers: [1, 10], closedS: 1.5, openS: 1, rounds: 1 },
  // A closed-loop rate settles within a second at these update sizes; longer windows move it by a few %.
  default: { receivers: [1, 10, 50], closedS: 1.5, openS: 1, rounds: 1 },
  large: { receivers: [1, 10, 50, 200], closedS: 5, openS: 3, rounds: 3 },
}
const WINDOW = 64
const LOAD_FRACTIONS = [0.5, 0.8]
const SERVERS_RUN: ServerId[] = ['ours', 'ours-memory', 'y-websocket', 'hocuspocus', 'ws-floor']
/** The relay's per-connection message rate limit protects it from abuse; a saturation run is abuse by design. */
const RELAY_ENV = { MAX_MESSAGES_PER_SECOND: '10000000', MESSAGE_BURST: '10000000' }
const ROOT = 'paper'

interface SaturationCase {
  receivers: number
  updatesPerS: number
  deliveriesPerS: number
  /** Server CPU during the closed-loop window, % of one core. */
  serverCpuPercent: number
  /** Server CPU time per delivered update (one update to one receiver), µs. */
  cpuMicrosPerDelivery: number
  sent: number
  atLoad: { fraction: number; ratePerS: number; p50Ms: number; p99Ms: number; missing: number; serverCpuPercent: number; loadCpuPercent: number }[]
}

interface Phase {
  writer: SessionHandle<'writer'>
  receivers: SessionHandle<'receivers'>[]
  docId: string
}

export const saturationScenario: Scenario = {
  id: 2,
  title: 'Saturation (automerge-paper, closed loop)',
  async run(context: ScenarioContext): Promise<ScenarioReport> {
    const startedMs = nowMs()
    const size = { ...SIZES[context.size], ...(context.config.rounds !== null ? { rounds: context.config.rounds } : {}) }
    const trace = loadTrace('automerge-paper')
    progress('  preparing the automerge-paper update sequence (cached after the first run)')
    const workloadPath = writerWorkload({ trace: 'automerge-paper', clientId: 2001, rootName: ROOT, txns: trace.txns.length })
    const report: ScenarioReport = {
      id: 2,
      title: this.title,
      setup: [
        `One writer sends automerge-paper's updates (one per edit, ~30 bytes) with at most ${WINDOW} unconfirmed by a tracker socket (closed loop) for ${size.closedS} s, to N ∈ {${size.receivers.join(', ')}} receivers (the tracker is one of them).`,
        'updates/s = updates the tracker received in the window ÷ window; deliveries/s = updates received by all receivers in the window ÷ window.',
        `Then, on fresh documents, open loop at ${LOAD_FRACTIONS.map((f) => `${f * 100}%`).join(' and ')} of that server's own closed-loop rate for ${size.openS} s each; latency = arrival − scheduled send time (late sends count).`,
        `Each server first runs one unmeasured closed loop (N=1, ${size.closedS} s, its own document), so every figure is taken after the JIT has warmed up and, in ours, after its first compaction (the first one in a process deoptimizes hot code shared with the encoder: a one-time cost, 100–200 ms of slow delivery at the start of whichever window it lands in).`,
        `All servers run at once (idle but one); each case runs on every server in turn, the order rotating from case to case (${size.rounds} round(s); with several, the round with the highest updates/s counts).`,
        `Ours runs with \`${Object.entries(RELAY_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}\` (if the relay has such a per-connection rate limit, it would otherwise close the writer).`,
        'Clients offer permessage-deflate as browsers do, and ours accepts it (for its presence broadcasts). The writer\'s updates (~30 bytes) are below the load clients\' 1 KiB compression threshold, so they travel uncompressed; a browser would compress each one, which costs the relay no measurable CPU (see the method paragraph at the top).',
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
    const results = new Map<ServerId, SaturationCase[]>()

    const open = async (server: RunningServer, spec: ServerSpec, receivers: number, label: string): Promise<Phase> => {
      const docId = `s2-${context.runTag}-${label}-${randomTag()}`
      const target = { baseUrl: server.wsBase, dialect: spec.dialect, docId }
      const writer = await context.pool.start(0, 'writer', { ...target, workloadPath, tracker: true, meteredWorkloadPaths: [] })
      const counts = split(receivers - 1, context.pool.size - 1).filter((n) => n > 0)
      const sessions = await Promise.all(counts.map((count, i) => context.pool.start(1 + i, 'receivers', { ...target, count, workloadPaths: [workloadPath] })))
      return { writer, receivers: sessions, docId }
    }
    const close = async (phase: Phase) => Promise.all([phase.writer, ...phase.receivers].map((s) => s.end()))

    const options = {
      servers: SERVERS_RUN,
      extraEnv: (spec: ServerSpec) => (spec.id.startsWith('ours') ? RELAY_ENV : {}),
      rounds: size.rounds,
      cases: size.receivers,
      caseLabel: (n: number) => `N=${n}`,
    }
    const warmed = new Set<ServerId>()
    await runInterleaved(context, report, options, async ({ spec, server }, receivers) => {
      if (!warmed.has(spec.id)) {
        warmed.add(spec.id)
        const warmUp = await open(server, spec, 1, 'warmup')
        await warmUp.writer.command('closedLoop', { durationMs: size.closedS * 1000, window: WINDOW })
        await close(warmUp)
      }
      const cases = results.get(spec.id) ?? []
      results.set(spec.id, cases)
      {
        const closed = await open(server, spec, receivers, `n${receivers}-closed`)
        const cpuStart = server.cpuSeconds()
        let cpuEnd = Number.NaN
        const cpuTimer = setTimeout(() => {
          cpuEnd = server.cpuSeconds()
        }, size.closedS * 1000)
        const run = await closed.writer.command('closedLoop', { durationMs: size.closedS * 1000, window: WINDOW })
        clearTimeout(cpuTimer)
        if (Number.isNaN(cpuEnd)) cpuEnd = server.cpuSeconds()
        const windowEndMs = run.startMs + size.closedS * 1000
        const tracker = base64ToFloat64(run.trackerArrivalsB64)
        const trackerInWindow = tracker.filter((at) => at >= run.startMs && at <= windowEndMs).length
        await Promise.all(closed.receivers.map((r) => r.command('waitDelivered', { targets: [run.sent], timeoutMs: 60_000 })))
        const others = await Promise.all(closed.receivers.map((r) => r.command('deliveredBetween', { fromMs: run.startMs, toMs: windowEndMs })))
        const windowS = size.closedS
        const updatesPerS = trackerInWindow / windowS
        const deliveriesInWindow = trackerInWindow + others.reduce((s, o) => s + o.perWriter[0]!.count, 0)
        const deliveriesPerS = deliveriesInWindow / windowS
        const cpuSeconds = cpuEnd - cpuStart
        const caseName = `N=${receivers} closed loop`
        if (spec.id === 'ws-floor') report.convergence.push({ server: spec.id, caseName, converged: true, detail: `all receivers got all ${run.sent} updates` })
        else report.convergence.push(await checkTexts(server, closed.docId, new Map([[ROOT, replayText(trace, run.sent)]]), caseName))
        await close(closed)

        const atLoad: SaturationCase['atLoad'] = []
        for (const fraction of LOAD_FRACTIONS) {
          const ratePerS = Math.max(10, Math.round(updatesPerS * fraction))
          const phase = await open(server, spec, receivers, `n${receivers}-open${fraction * 100}`)
          const serverCpuAt = server.cpuSeconds()
          const loadCpuAt = context.pool.cpuSeconds()
          const openedAtMs = nowMs()
          const sent = await phase.writer.command('openLoop', { ratePerS, durationMs: size.openS * 1000 })
          // Busy share of each core from the first send until the tracker had everything (a
          // server that fell behind keeps draining after the last send): near 100 % = saturated.
          const elapsedS = (nowMs() - openedAtMs) / 1000
          const serverCpuPercent = (100 * (server.cpuSeconds() - serverCpuAt)) / elapsedS
          const loadCpuPercent = (100 * (context.pool.cpuSeconds() - loadCpuAt)) / elapsedS
          await Promise.all(phase.receivers.map((r) => r.command('waitDelivered', { targets: [sent.sent], timeoutMs: 60_000 })))
          // The writer's tracker socket is one of the receivers.
          const arrivals = [[sent.trackerArrivalsB64], ...(await Promise.all(phase.receivers.map((r) => r.command('arrivals', { upTo: [sent.sent] })))).flatMap((a) => a.arrivalsB64)]
          const measured = deliveries(sent.sendTimesB64, arrivals, 0)
          const summary = summarizeLatencies(concat([measured.latenciesMs]))
          atLoad.push({ fraction, ratePerS, p50Ms: summary.p50Ms, p99Ms: summary.p99Ms, missing: measured.missing, serverCpuPercent, loadCpuPercent })
          await close(phase)
        }
        const serverCpuPercent = (100 * cpuSeconds) / windowS
        const cpuMicrosPerDelivery = (cpuSeconds * 1e6) / Math.max(1, deliveriesInWindow)
        // Several rounds: keep the one with the highest throughput (the least disturbed).
        const previous = cases.findIndex((c) => c.receivers === receivers)
        const measured = { receivers, updatesPerS, deliveriesPerS, serverCpuPercent, cpuMicrosPerDelivery, sent: run.sent, atLoad }
        if (previous === -1) cases.push(measured)
        else if (cases[previous]!.updatesPerS < updatesPerS) cases[previous] = measured
        progress(`  ${spec.label} N=${receivers}: ${updatesPerS.toFixed(0)} updates/s, ${deliveriesPerS.toFixed(0)} deliveries/s, server CPU ${serverCpuPercent.toFixed(0)}%, ${cpuMicrosPerDelivery.toFixed(1)} µs/delivery; ${atLoad.map((l) => `p99 ${l.p99Ms.toFixed(1)} ms at ${l.fraction * 100}% (server ${l.serverCpuPercent.toFixed(0)}%, load ${l.loadCpuPercent.toFixed(0)}%)`).join(', ')}`)
      }
    })

    const pick = (receivers: number, value: (c: SaturationCase) => number | undefined): Row['values'] =>
      Object.fromEntries([...results].map(([id, cases]) => {
        const found = cases.find((c) => c.receivers === receivers)
        return [id, found === undefined ? null : (value(found) ?? null)]
      }))
    const rows: Row[] = []
    for (const n of size.receivers) {
      rows.push({ label: `N=${n}: updates/s (closed loop)`, unit: '1/s', better: 'higher', values: pick(n, (c) => c.updatesPerS) })
      rows.push({ label: `N=${n}: deliveries/s`, unit: '1/s', better: 'higher', values: pick(n, (c) => c.deliveriesPerS) })
      rows.push({ label: `N=${n}: server CPU during the window`, unit: '%', better: null, values: pick(n, (c) => c.serverCpuPercent) })
      rows.push({ label: `N=${n}: server CPU per delivery`, unit: 'µs', better: 'lower', values: pick(n, (c) => c.cpuMicrosPerDelivery) })
      for (const fraction of LOAD_FRACTIONS) {
        rows.push({ label: `N=${n}: p99 at ${fraction * 100}% of max`, unit: 'ms', better: 'lower', values: pick(n, (c) => c.atLoad.find((l) => l.fraction === fraction)?.p99Ms) })
      }
    }
    report.tables.push({ title: 'Throughput and latency under load', rows })
    for (const row of rows.filter((r) => r.label.includes('updates/s'))) report.targets.push(aheadTarget('saturation throughput: ahead of the best peer', row))
    for (const row of rows.filter((r) => r.label.includes('CPU per delivery'))) report.targets.push(aheadTarget('saturation efficiency (server CPU per delivery): ahead of the best peer', row))
    report.notes.push(
      'On this 2-core machine the load core (writer, tracker and all receivers) saturates before a fast server does: where the server CPU is well below 100 %, updates/s measures the load generator, and server CPU per delivery is the fairer comparison.',
    )
    report.notes.push('The p99 rows compare each server at a fraction of its *own* maximum, so a faster server is measured at a higher rate.')
    report.notes.push(
      "Where ours trails on the p99 rows, it is pauses of V8's garbage collector under sustained writes, not a slower path per update. Measured outside this report (N=1, 15,000 updates/s open loop into fresh documents as here, 3 s windows, the relay alone on its core, its GC events logged inside it): after a window's first 400 ms, every delivery slower than 20 ms came with GC pauses, mostly a major GC's final pause (7–12 ms) often followed by a 13–60 ms scavenge (on one core, V8's concurrent marking and sweeping threads take the core from the event loop), otherwise scavenges adding up to 13–20 ms; a backlog then builds. Windows without such pauses had a p99 of 3.6–6.8 ms. y-websocket's windows at the same rate ranged from 4 to 440 ms over two sessions. So the rows swing between rounds of one build: 2 × 3 rounds of this scenario at N=1 gave p99 4.9–28 ms at 50 % and 8–148 ms at 80 %; 2 × 3 more with the compaction thresholds raised out of the way (COMPACT_MAX_LOG_ENTRIES=10000000) gave 5.6–19 ms (191 and 250 ms in the two first rounds) and 11–178 ms, no narrower (these documents' compactions take 0–4 ms). V8 flags tried (`--single-threaded-gc`, `--no-concurrent-sweeping`, semi-spaces of 4, 8 and 16 MiB) moved the pauses without removing them. Large documents differ: while writes never pause, every 8 × COMPACT_MAX_LOG_ENTRIES entries an overdue compaction encodes the whole document on the event loop (54–118 ms for a 60,000-update document typed at random positions, at 20,000 updates/s: p99 46–74 ms, 6–11 ms with the thresholds raised; mostly `Y.encodeStateAsUpdate`). Folding the stored log on a worker thread instead measured worse with the relay on one core; a worker holding its own replica would only pay with a spare core.",
    )
    report.raw = Object.fromEntries(results)
    report.wallSeconds = (nowMs() - startedMs) / 1000
    return report
  },
}
