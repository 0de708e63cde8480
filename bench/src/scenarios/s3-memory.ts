// Scenario 3 — memory: many documents with two idle connections each, and a few documents with very
// many idle connections. RSS after a forced GC (all servers get the same probe), per connection and
// per document, and what stays after everyone left.
import type { SizeName } from '../config/bench-config'
import { split } from '../load/worker-pool'
import type { Row, ScenarioReport } from '../report/report-types'
import type { RunningServer } from '../servers/server-process'
import type { ServerId } from '../servers/server-spec'
import { loadTrace, replayText } from '../traces/trace'
import { prefixStatePath } from '../traces/workload'
import { nowMs, sleep } from '../util/clock'
import { progress } from '../util/progress'
import { aheadTarget } from './compare'
import { checkTexts, forEachServer, type Scenario, type ScenarioContext } from './context'
import { waitRelayUnloaded } from './relay-state'

const SIZES: Record<SizeName, { manyDocs: [number, number]; manyConnections: [number, number] }> = {
  small: { manyDocs: [200, 2], manyConnections: [2, 200] },
  default: { manyDocs: [1000, 2], manyConnections: [5, 1000] },
  large: { manyDocs: [5000, 2], manyConnections: [5, 3000] },
}
const SEED_TXNS = 300
const SEED_ROOT = 'text'
const SERVERS_RUN: ServerId[] = ['ours', 'y-websocket', 'hocuspocus', 'ws-floor']
/** After everyone left: the relay is waited for until it reports no room open; then this settle. */
const LEAVE_SETTLE_MS = 1_000
const MiB = 1024 * 1024

type Point = 'baseline' | 'a' | 'afterA' | 'afterA2' | 'baselineB' | 'b' | 'afterB'

interface Memory {
  rssMiB: number
  /** JS heap in use + external (buffers), MiB. */
  heapMiB: number
  /** V8's young generation, committed (empty after the GC, but part of RSS), MiB. */
  youngMiB: number
}

interface MemoryResult {
  points: Record<Point, Memory>
  connectSeconds: { a: number; b: number }
  perConnectionKiB: number
  perConnectionHeapKiB: number
  perDocKiB: number
  perDocHeapKiB: number
  perDocWithConnectionsKiB: number
  retainedAfterLeaveMiB: number
  /** JS heap + external still in use after everyone left, minus the baseline (what was not released). */
  retainedHeapMiB: number
  /**
   * JS heap + external after A's workload ran a second time and everyone left again, minus after
   * the first time: what each cycle keeps. The first cycle's figure also holds one-time costs
   * (V8's optimized code and its deoptimization data for every function that got hot, ~1.7 MiB
   * for our relay), which a second identical cycle does not add again; a per-document or
   * per-connection leak shows here.
   */
  growthPerCycleHeapMiB: number
}

async function measure(server: RunningServer): Promise<Memory> {
  const memory = await server.settledMemory()
  return { rssMiB: memory.rssBytes / MiB, heapMiB: memory.heapBytes / MiB, youngMiB: memory.youngGenerationBytes / MiB }
}

export const memoryScenario: Scenario = {
  id: 3,
  title: 'Memory: idle connections and documents',
  async run(context: ScenarioContext): Promise<ScenarioReport> {
    const startedMs = nowMs()
    const size = SIZES[context.size]
    const seedPath = prefixStatePath('seph-blog1', SEED_TXNS, 3003, SEED_ROOT)
    const expected = new Map([[SEED_ROOT, replayText(loadTrace('seph-blog1'), SEED_TXNS)]])
    const report: ScenarioReport = {
      id: 3,
      title: this.title,
      setup: [
        `A: ${size.manyDocs[0].toLocaleString('en-US')} documents × ${size.manyDocs[1]} connections; B: ${size.manyConnections[0]} documents × ${size.manyConnections[1].toLocaleString('en-US')} connections. Each document gets ${expected.get(SEED_ROOT)!.length} chars (the first ${SEED_TXNS} seph-blog1 transactions) from its first client; then everyone idles.`,
        'RSS (VmRSS) is read after a forced GC in the server (`--expose-gc`, the same probe in every server), median of 3 readings; baseline after one warm-up connect/leave cycle.',
        `A and B each run in a fresh server process. Per connection = ΔRSS(B) ÷ B's connections; per document = (ΔRSS(A) − A's connections × per connection) ÷ A's documents; retained = the larger of A's and B's RSS after everyone left (ours: once /healthz reports no room open, after its 2 s unload delay; others: ${LEAVE_SETTLE_MS / 1000} s later), minus the baseline. Then A's workload runs again on new documents and everyone leaves again: kept per further cycle = JS heap + external after that, minus after the first time.`,
      ],
      tables: [],
      targets: [],
      convergence: [],
      pressure: {},
      failures: [],
      notes: [
        'ours (no persistence) is not run here: its in-memory store keeps every document after everyone left by design (until a restart), so its memory figures would measure that choice, not the relay.',
        'RSS rarely shrinks after a burst (V8 keeps its enlarged heap, malloc keeps freed pages), so whether memory is released is judged on the JS heap + external after a forced GC; RSS is shown beside it.',
        "Part of every server's ΔRSS in B is V8's young generation growing while the connections open: it is empty after the forced GC but stays committed (the two \"young generation\" rows). Node's default lets it grow to 32 MiB; our relay's start script caps it (`--max-semi-space-size`, its value under Versions), a saving a real burst of connections gets too. It is a one-time cost, not one per connection, so the row \"young generation growth excluded\" takes it out of every server's figure: the ratio on that row is what the relay's per-connection objects alone achieve.",
        'Opening a connection costs ours more CPU than y-websocket, though the "time to open" rows (wall time until every connection of the load has synced) swing between runs on this machine and do not always show it. Measured outside this report (2,000 connections opened 50 at a time to 5 empty documents, the server alone on its core): ~0.43 ms of relay CPU per connection vs ~0.31 ms for y-websocket. A CPU profile of our relay puts about half of the difference in Fastify\'s request lifecycle around the upgrade (its hooks and @fastify/websocket\'s routing, ~50 µs per connection) and half in the join (limits, the handshake timer, encoding and sending sync step 1, ~60 µs), with no single hot spot. A also stores every document\'s first upload (group commits shared across rooms: one flush timer, up to 100 appends per SQLite transaction), which the peers, keeping nothing, do not pay.',
        'The per-connection and per-document figures are increases over the baseline, so they depend on how much a server freed at startup and kept: malloc reuses those pages for the first connections and documents without raising RSS, and a leaner start reads as a higher cost per unit. Measured on our relay (2026-12-07, scenario 3 alone, two runs each): preloading a module that allocates and frees ~8 MiB in 4 KiB buffers raised its baseline by 3.8 MiB and lowered RSS per idle connection from 5.8 to 4.9–5.1 KiB and per document from 36–38 to 29–30 KiB, with the same RSS at 5,000 connections (111–113 MiB). The relay\'s production build that inlines its npm packages (it stopped loading some 450 files at start) moved both figures up the same way (per idle connection 4.4–4.7 → 5.5–6.0 KiB) while its RSS fell at every point measured: baseline 96–99 → 84 MiB, 5 documents × 1,000 connections 118–120 → 111–113 MiB, 1,000 documents × 2 connections 139–149 → 132–142 MiB.',
        "Part of the RSS per document is memory that malloc freed but kept: transient buffers of the load (socket reads, encoded messages) are freed between long-lived allocations, and glibc returns such pages to the system only on `malloc_trim`, which Node never calls (every server here is Node on glibc; measured on ours only). Measured on our relay (2026-12-07, 1,000 documents × 2 connections as in A): glibc's main arena held 34 MB with 11 MB in use (one reading), and `malloc_trim(0)` called through gdb lowered RSS from 129 to 114 MiB and its [heap] mapping from 27 to 13 MiB (two runs), ~15 KiB of the per-document figure.",
        'y-websocket 1.5.4 without persistence never unloads a document (its `closeConn` only destroys documents when persistence is set), so its memory does not return.',
        'Whether memory returns is judged on what a second identical cycle of A keeps (the "per further cycle" row), not on the first cycle vs the baseline: after the first cycle a server also holds one-time costs that grow with how much of its code got hot, not with documents. For our relay heap snapshots put ~1.7 of its ~1.8 MiB in V8\'s optimized code, deoptimization data and relocation info (with the JIT off, `--no-opt --no-maglev --no-sparkplug`, the same cycle keeps 0.22 MiB); ten cycles level off near 2.0 MiB and tripling the documents per cycle keeps the same amount. Both readings swing by a few tenths of a MiB between runs.',
      ],
      wallSeconds: 0,
      raw: {},
    }
    const results = new Map<ServerId, MemoryResult>()

    const fill = async (server: RunningServer, label: string, docs: number, perDoc: number) => {
      const docIds = Array.from({ length: docs }, (_, i) => `s3-${context.runTag}-${label}-${i}`)
      const workers = context.pool.size - 1
      // Documents are split between workers when there are many; connections when there are few.
      let offset = 0
      const parts =
        docs >= workers
          ? split(docs, workers).map((n) => {
              offset += n
              return { docIds: docIds.slice(offset - n, offset), perDoc }
            })
          : split(perDoc, workers).map((n) => ({ docIds, perDoc: n }))
      const sessions = await Promise.all(
        parts.filter((p) => p.perDoc > 0 && p.docIds.length > 0).map((p, w) =>
          context.pool.start(1 + w, 'idleClients', { baseUrl: server.wsBase, dialect: server.spec.dialect, docIds: p.docIds, perDoc: p.perDoc, seedPath, concurrency: 100 }),
        ),
      )
      const failures = sessions.reduce((s, x) => s + x.ready.failures, 0)
      const connect = { startMs: Math.min(...sessions.map((s) => s.ready.startMs)), endMs: Math.max(...sessions.map((s) => s.ready.endMs)) }
      if (failures > 0) throw new Error(`${failures} of ${docs * perDoc} connections failed to open and sync: ${sessions.map((x) => x.ready.firstError).find((e) => e !== '')}`)
      await sleep(1_000)
      return { docIds, sessions, memory: await measure(server), connectSeconds: (connect.endMs - connect.startMs) / 1000 }
    }

    const settle = async (server: RunningServer): Promise<void> => {
      if (server.spec.id.startsWith('ours')) await waitRelayUnloaded(server)
      await sleep(LEAVE_SETTLE_MS)
    }

    /**
     * Warm-up, baseline, fill, measure, everyone leaves, measure: one phase in one server process.
     * `repeat`: then the same fill (new documents) and leave once more, measured after.
     */
    const phase = async (server: RunningServer, label: string, docs: number, perDoc: number, repeat = false) => {
      const warmup = await fill(server, `${label}-warmup`, 1, 1)
      await Promise.all(warmup.sessions.map((s) => s.end()))
      await settle(server)
      const baseline = await measure(server)
      const filled = await fill(server, label, docs, perDoc)
      progress(`  ${server.spec.label}: ${docs}×${perDoc} connected in ${filled.connectSeconds.toFixed(1)} s, RSS ${filled.memory.rssMiB.toFixed(1)} MiB (baseline ${baseline.rssMiB.toFixed(1)})`)
      const sample = docs >= 3 ? [filled.docIds[0]!, filled.docIds[Math.floor(docs / 2)]!, filled.docIds[docs - 1]!] : [filled.docIds[0]!]
      for (const docId of sample) report.convergence.push(await checkTexts(server, docId, expected, `${label.toUpperCase()} ${docId.split('-').pop()}`))
      await Promise.all(filled.sessions.map((s) => s.end()))
      await settle(server)
      const after = await measure(server)
      let afterRepeat: Memory | null = null
      if (repeat) {
        const again = await fill(server, `${label}2`, docs, perDoc)
        await Promise.all(again.sessions.map((s) => s.end()))
        await settle(server)
        afterRepeat = await measure(server)
      }
      return { baseline, filled: filled.memory, after, afterRepeat, connectSeconds: filled.connectSeconds }
    }

    await forEachServer(context, report, { servers: SERVERS_RUN }, async (session) => {
      const [docsA, perDocA] = size.manyDocs
      const [docsB, perDocB] = size.manyConnections
      const a = await phase(session.server, 'a', docsA, perDocA, true)
      // A fresh process for B, so what A left behind does not blur B's baseline.
      const b = await phase(await session.restart(), 'b', docsB, perDocB)
      const perConnectionKiB = ((b.filled.rssMiB - b.baseline.rssMiB) * 1024) / (docsB * perDocB)
      const perConnectionHeapKiB = ((b.filled.heapMiB - b.baseline.heapMiB) * 1024) / (docsB * perDocB)
      const perDocWithConnectionsKiB = ((a.filled.rssMiB - a.baseline.rssMiB) * 1024) / docsA
      results.set(session.spec.id, {
        points: { baseline: a.baseline, a: a.filled, afterA: a.after, afterA2: a.afterRepeat!, baselineB: b.baseline, b: b.filled, afterB: b.after },
        connectSeconds: { a: a.connectSeconds, b: b.connectSeconds },
        perConnectionKiB,
        perConnectionHeapKiB,
        perDocKiB: perDocWithConnectionsKiB - perDocA * perConnectionKiB,
        perDocHeapKiB: ((a.filled.heapMiB - a.baseline.heapMiB) * 1024) / docsA - perDocA * perConnectionHeapKiB,
        perDocWithConnectionsKiB,
        retainedAfterLeaveMiB: Math.max(a.after.rssMiB - a.baseline.rssMiB, b.after.rssMiB - b.baseline.rssMiB),
        retainedHeapMiB: Math.max(a.after.heapMiB - a.baseline.heapMiB, b.after.heapMiB - b.baseline.heapMiB),
        growthPerCycleHeapMiB: a.afterRepeat!.heapMiB - a.after.heapMiB,
      })
    })

    const row = (label: string, unit: string, pick: (r: MemoryResult) => number, better: Row['better'] = 'lower'): Row => ({
      label,
      unit,
      better,
      values: Object.fromEntries([...results].map(([id, r]) => [id, pick(r)])),
    })
    const [docsA, perDocA] = size.manyDocs
    const [docsB, perDocB] = size.manyConnections
    const perConnection = row('RSS per idle connection', 'KiB', (r) => r.perConnectionKiB)
    const perDoc = row('RSS per document (its connections excluded)', 'KiB', (r) => r.perDocKiB)
    const retained = row('JS heap + external still held after everyone left (vs baseline)', 'MiB', (r) => r.retainedHeapMiB)
    const growth = row(`JS heap + external kept per further cycle (A again: ${docsA.toLocaleString('en-US')} new docs × ${perDocA}, all leave)`, 'MiB', (r) => r.growthPerCycleHeapMiB)
    report.tables.push({
      title: 'Memory',
      rows: [
        row('A: baseline RSS (after warm-up)', 'MiB', (r) => r.points.baseline.rssMiB, null),
        row(`A: RSS with ${docsA.toLocaleString('en-US')} docs × ${perDocA}`, 'MiB', (r) => r.points.a.rssMiB, null),
        row('A: RSS after they left', 'MiB', (r) => r.points.afterA.rssMiB, null),
        row('B: baseline RSS (fresh process)', 'MiB', (r) => r.points.baselineB.rssMiB, null),
        row(`B: RSS with ${docsB} docs × ${perDocB.toLocaleString('en-US')}`, 'MiB', (r) => r.points.b.rssMiB, null),
        row('B: RSS after they left', 'MiB', (r) => r.points.afterB.rssMiB, null),
        row('B: V8 young generation committed at baseline', 'MiB', (r) => r.points.baselineB.youngMiB, null),
        row(`B: V8 young generation committed with ${docsB} docs × ${perDocB.toLocaleString('en-US')}`, 'MiB', (r) => r.points.b.youngMiB, null),
        perConnection,
        row(
          'RSS per idle connection, young generation growth excluded',
          'KiB',
          (r) => r.perConnectionKiB - ((r.points.b.youngMiB - r.points.baselineB.youngMiB) * 1024) / (docsB * perDocB),
        ),
        row('JS heap + external per idle connection', 'KiB', (r) => r.perConnectionHeapKiB),
        row('RSS per document with its 2 connections', 'KiB', (r) => r.perDocWithConnectionsKiB),
        perDoc,
        row('JS heap + external per document (connections excluded)', 'KiB', (r) => r.perDocHeapKiB),
        row('RSS after everyone left (vs baseline)', 'MiB', (r) => r.retainedAfterLeaveMiB),
        retained,
        growth,
        row(`A: time to open ${(docsA * perDocA).toLocaleString('en-US')} connections`, 's', (r) => r.connectSeconds.a),
        row(`B: time to open ${(docsB * perDocB).toLocaleString('en-US')} connections`, 's', (r) => r.connectSeconds.b),
      ],
    })
    report.targets.push(aheadTarget('memory per idle connection: ≥2× less than the best peer', perConnection, 2))
    report.targets.push(aheadTarget('memory per document: ahead of the best peer', perDoc))
    report.targets.push(aheadTarget('memory returned after everyone left: ahead of the best peer', growth))
    report.raw = Object.fromEntries(results)
    report.wallSeconds = (nowMs() - startedMs) / 1000
    return report
  },
}
