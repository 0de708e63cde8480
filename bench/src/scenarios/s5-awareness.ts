// Scenario 5 — awareness: N clients on one document each move their cursor at 10–30 Hz. Bytes and
// frames the server takes in and sends out, and how long until every client's last position has
// reached an observer.
import type { SizeName } from '../config/bench-config'
import { split } from '../load/worker-pool'
import type { Row, ScenarioReport } from '../report/report-types'
import type { ServerId } from '../servers/server-spec'
import { nowMs, sleep } from '../util/clock'
import { progress } from '../util/progress'
import { aheadTarget } from './compare'
import { forEachServer, randomTag, type Scenario, type ScenarioContext } from './context'

const SIZES: Record<SizeName, { clients: number[]; durationS: number }> = {
  small: { clients: [10, 50], durationS: 2 },
  default: { clients: [10, 50, 200], durationS: 1.5 },
  large: { clients: [10, 50, 200, 500], durationS: 8 },
}
const HZ: [number, number] = [10, 30]
const SEED = 0xa3a3
const SERVERS_RUN: ServerId[] = ['ours', 'ours-uncompressed', 'y-websocket', 'hocuspocus', 'ws-floor']
const CONVERGE_TIMEOUT_MS = 10_000

interface AwarenessCase {
  clients: number
  inBytesPerS: number
  inFramesPerS: number
  outBytesPerS: number
  outFramesPerS: number
  serverWrittenBytesPerS: number
  serverCpuPercent: number
  convergeMs: number | null
}

export const awarenessScenario: Scenario = {
  id: 5,
  title: 'Awareness (cursor presence)',
  async run(context: ScenarioContext): Promise<ScenarioReport> {
    const startedMs = nowMs()
    const size = SIZES[context.size]
    const report: ScenarioReport = {
      id: 5,
      title: this.title,
      setup: [
        `N ∈ {${size.clients.join(', ')}} clients on one document, each sending its own awareness state (y-prosemirror-like: name, colour, anchor/head relative positions; ~230 bytes of JSON) at a rate drawn uniformly from ${HZ[0]}–${HZ[1]} Hz (seed ${SEED}), for ${size.durationS} s.`,
        'in = bytes/frames the clients sent; out = bytes/frames the clients received (including what arrived after the movement stopped), both per second of movement; bytes are counted on the TCP sockets (WebSocket framing and compression included); server syscall bytes written (/proc/<pid>/io wchar) as a cross-check.',
        'Clients offer permessage-deflate as browsers do. Ours as shipped accepts it and sends each coalesced awareness frame compressed, once per room (`WS_COMPRESSION=awareness`, its default); y-websocket and Hocuspocus do not accept it; **ours (WS_COMPRESSION=off)** — the relay with its compression turned off — shows what compression saves (an extra column, not the one the ratios use). The clients\' own states (~230 bytes) are below their 1 KiB compression threshold and go uncompressed (a browser would compress them, so bytes in would shrink too).',
        'Ours as shipped coalesces presence per room and flushes it every 50 ms (`AWARENESS_FLUSH_MS`) in rooms of up to 10 people; in larger rooms every states ÷ 200 seconds (`AWARENESS_MAX_STATES_PER_SECOND`; 250 ms at N=50, 1 s at N=200), so no connection receives more than 200 states per second. The peers relay every message at once. What that costs in freshness shows in "last states seen after".',
        `Converged = an observer client has seen every client's last clock; time counted from the end of the movement (up to ${CONVERGE_TIMEOUT_MS / 1000} s).`,
      ],
      tables: [],
      targets: [],
      convergence: [],
      pressure: {},
      failures: [],
      notes: ['ours (no persistence) is not run: awareness is never stored, so it would repeat ours.'],
      wallSeconds: 0,
      raw: {},
    }
    const results = new Map<ServerId, AwarenessCase[]>()

    await forEachServer(context, report, { servers: SERVERS_RUN }, async ({ spec, server }) => {
      const cases: AwarenessCase[] = []
      results.set(spec.id, cases)
      for (const clients of size.clients) {
        const docId = `s5-${context.runTag}-n${clients}-${randomTag()}`
        const target = { baseUrl: server.wsBase, dialect: spec.dialect, docId }
        const observer = await context.pool.start(0, 'awarenessObserver', target)
        const counts = split(clients, context.pool.size - 1)
        let base = 0
        const sessions = await Promise.all(
          counts.map((count, i) => {
            const clientIdBase = 50_000 + base
            base += count
            return context.pool.start(1 + i, 'awareness', { ...target, count, minHz: HZ[0], maxHz: HZ[1], seed: SEED + i, clientIdBase })
          }),
        )
        const io0 = server.ioBytes()
        const cpu0 = server.cpuSeconds()
        const startAtMs = nowMs() + 300
        const runs = await Promise.all(sessions.map((s) => s.command('run', { startAtMs, durationMs: size.durationS * 1000 })))
        const endMs = Math.max(...runs.map((r) => r.endMs))
        const seen = await observer.command('waitFor', { clocks: runs.flatMap((r) => r.finalClocks), timeoutMs: CONVERGE_TIMEOUT_MS })
        // Let frames still in flight to the load clients land before counting them.
        await sleep(300)
        const counters = await Promise.all(sessions.map((s) => s.command('counters', {})))
        const io1 = server.ioBytes()
        const cpuSeconds = server.cpuSeconds() - cpu0
        const durationS = size.durationS
        const result: AwarenessCase = {
          clients,
          inBytesPerS: runs.reduce((s, r) => s + r.sentBytes, 0) / durationS,
          inFramesPerS: runs.reduce((s, r) => s + r.sentFrames, 0) / durationS,
          outBytesPerS: counters.reduce((s, c) => s + c.receivedBytes, 0) / durationS,
          outFramesPerS: counters.reduce((s, c) => s + c.receivedFrames, 0) / durationS,
          serverWrittenBytesPerS: (io1.writtenBytes - io0.writtenBytes) / durationS,
          serverCpuPercent: (100 * cpuSeconds) / ((nowMs() - startAtMs) / 1000),
          convergeMs: seen.converged ? Math.max(0, seen.atMs - endMs) : null,
        }
        cases.push(result)
        report.convergence.push({
          server: spec.id,
          caseName: `N=${clients}`,
          converged: seen.converged,
          detail: seen.converged ? `observer saw every last state ${result.convergeMs!.toFixed(0)} ms after the movement stopped` : `${seen.missing} clients' last state never arrived`,
        })
        progress(`  ${spec.label} N=${clients}: in ${(result.inBytesPerS / 1024).toFixed(0)} KiB/s, out ${(result.outBytesPerS / 1024).toFixed(0)} KiB/s, ${result.outFramesPerS.toFixed(0)} frames/s, converged ${seen.converged ? `+${result.convergeMs!.toFixed(0)} ms` : 'NO'}`)
        await Promise.all([observer, ...sessions].map((s) => s.end()))
      }
    })

    const pick = (clients: number, value: (c: AwarenessCase) => number | null): Row['values'] =>
      Object.fromEntries([...results].map(([id, cases]) => {
        const found = cases.find((c) => c.clients === clients)
        return [id, found === undefined ? null : value(found)]
      }))
    const rows: Row[] = []
    const outRows: Row[] = []
    for (const n of size.clients) {
      // A server that never delivered everyone's last state had sent less than it would have:
      // its bytes and frames are lower bounds of its true figures.
      const behind = [...results].filter(([, cases]) => cases.find((c) => c.clients === n)?.convergeMs === null).map(([id]) => id)
      const qualify = { lowerBounds: behind, notes: Object.fromEntries(behind.map((id) => [id, 'never caught up'])) }
      const out: Row = { label: `N=${n}: bytes out`, unit: 'KiB/s', better: 'lower', values: pick(n, (c) => c.outBytesPerS / 1024), ...qualify }
      outRows.push(out)
      rows.push(
        { label: `N=${n}: bytes in`, unit: 'KiB/s', better: null, values: pick(n, (c) => c.inBytesPerS / 1024) },
        out,
        { label: `N=${n}: frames out`, unit: '1/s', better: 'lower', values: pick(n, (c) => c.outFramesPerS), ...qualify },
        { label: `N=${n}: server bytes written (syscalls)`, unit: 'KiB/s', better: 'lower', values: pick(n, (c) => c.serverWrittenBytesPerS / 1024), ...qualify },
        { label: `N=${n}: server CPU`, unit: '%', better: 'lower', values: pick(n, (c) => c.serverCpuPercent) },
        { label: `N=${n}: last states seen after`, unit: 'ms', better: 'lower', values: pick(n, (c) => c.convergeMs), notes: Object.fromEntries(behind.map((id) => [id, `not within ${CONVERGE_TIMEOUT_MS / 1000} s`])) },
      )
    }
    report.tables.push({ title: 'Awareness traffic', rows })
    for (const row of outRows) report.targets.push(aheadTarget('awareness bytes out: ≥5× less than the best peer', row, 5))
    report.raw = Object.fromEntries(results)
    report.wallSeconds = (nowMs() - startedMs) / 1000
    return report
  },
}
