// The full automerge-paper trace (259,778 txns) through a relay process: one writer, two
// readers. Measures replay time, throughput, reader convergence, stored bytes, and compaction.
// Run: cd /work/main && pnpm exec tsx apps/relay/bench/trace-replay.ts
//   TXNS=<n> replays a prefix; RELAY_ENV='{"KEY":"value"}' passes extra relay configuration.
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import type { DocStats } from '@collab/storage'
import { StockClient, applyPatches } from '../test/process/clients'
import { RelayProcess, httpGet } from '../test/process/relay-process'
import { storedStats, storedText } from '../test/process/stored-docs'
import { loadTrace, replayString } from '../test/process/trace'
import { sleep, waitFor, yieldToEventLoop } from '../test/process/wait'
import { mebibytes, procStatusBytes, reportResults } from './results'

const trace = loadTrace('automerge-paper')
const txnCount = Math.min(Number(process.env['TXNS'] ?? trace.txns.length), trace.txns.length)
// Without raising the per-connection rate limit (300 msg/s, burst 3,000) the writer is closed
// with 4529 and the trace arrives as a few resyncs instead of one update per txn.
const baseRelayEnv: Record<string, string> = {
  MAX_MESSAGES_PER_SECOND: '1000000',
  MESSAGE_BURST: '1000000',
  ...(JSON.parse(process.env['RELAY_ENV'] ?? '{}') as Record<string, string>),
}
/**
 * `default`: the relay's compaction policy as shipped (folds every ~1,000 entries while open).
 * `deferred`: thresholds out of reach, so the whole update log is stored and the room-unload
 * compaction folds it in one go: stored bytes before/after compaction of the full trace.
 */
const scenarios: Record<string, Record<string, string>> = {
  default: {},
  deferred: { COMPACT_MAX_LOG_ENTRIES: '100000000', COMPACT_MAX_LOG_BYTES: '1000000000' },
}
const selectedScenarios = (process.env['SCENARIO'] ?? Object.keys(scenarios).join(',')).split(',')
const txnsPerYield = 250
const maxWriterBufferedBytes = 256 * 1024
const docId = 'automerge-paper'

function storedBytes(stats: DocStats): number {
  return stats.snapshotBytes + stats.logBytes
}

const readStats = (dataDir: string): Promise<DocStats> => storedStats(dataDir, docId)

/** Polls stats until they stop changing for `quietMs` (the relay's group commits are done). */
async function settledStats(dataDir: string, quietMs: number, timeoutMs: number, until: (s: DocStats) => boolean = () => true): Promise<DocStats> {
  const deadline = Date.now() + timeoutMs
  let last = await readStats(dataDir)
  let lastChangeMs = Date.now()
  while (Date.now() < deadline) {
    await sleep(100)
    const now = await readStats(dataDir)
    if (JSON.stringify(now) !== JSON.stringify(last)) {
      last = now
      lastChangeMs = Date.now()
    } else if (Date.now() - lastChangeMs >= quietMs && until(now)) {
      return now
    }
  }
  throw new Error(`Storage stats did not settle within ${timeoutMs} ms (last ${JSON.stringify(last)})`)
}

function dataDirBytes(dataDir: string): Record<string, number> {
  const sizes: Record<string, number> = {}
  for (const name of readdirSync(dataDir)) sizes[name] = statSync(path.join(dataDir, name)).size
  return sizes
}

async function runScenario(scenario: string): Promise<void> {
  const scenarioEnv = scenarios[scenario]
  if (scenarioEnv === undefined) throw new Error(`Unknown SCENARIO ${JSON.stringify(scenario)}; known: ${Object.keys(scenarios).join(', ')}`)
  const relayEnv = { ...baseRelayEnv, ...scenarioEnv }
  const expected = replayString(trace, txnCount)
  // info: the relay logs each compaction with its bytes before/after.
  const relay = await RelayProcess.start({ env: { LOG_LEVEL: 'info', ...relayEnv } })
  try {
    const writer = new StockClient(relay.syncUrl, docId)
    const readers = [new StockClient(relay.syncUrl, docId), new StockClient(relay.syncUrl, docId)]
    await waitFor(() => [writer, ...readers].every((c) => c.synced), { timeoutMs: 30_000, message: 'clients synced' })

    let updateBytes = 0
    writer.doc.on('update', (update: Uint8Array) => {
      updateBytes += update.byteLength
    })
    const convergedAtMs: Array<number | null> = readers.map(() => null)
    const startMs = performance.now()
    for (let i = 0; i < txnCount; i++) {
      applyPatches(writer.text, trace.txns[i]!.patches)
      if (i % txnsPerYield === txnsPerYield - 1) {
        await yieldToEventLoop()
        while (writer.bufferedBytes > maxWriterBufferedBytes) await sleep(2)
      }
    }
    const appliedMs = performance.now() - startMs
    await waitFor(() => writer.bufferedBytes === 0, { timeoutMs: 120_000, intervalMs: 5, message: 'writer socket drained' })
    const sentMs = performance.now() - startMs
    await waitFor(
      () => {
        readers.forEach((reader, index) => {
          if (convergedAtMs[index] === null && reader.text.length === expected.length && reader.text.toString() === expected) {
            convergedAtMs[index] = performance.now() - startMs
          }
        })
        return convergedAtMs.every((t) => t !== null)
      },
      { timeoutMs: 600_000, intervalMs: 20, message: () => `readers converge (${readers.map((r) => r.text.length).join('/')} of ${expected.length} chars)` },
    )
    const convergedMs = Math.max(...(convergedAtMs as number[]))
    if (writer.text.toString() !== expected) throw new Error('writer text differs from the plain-string replay')

    // Stored bytes once the relay's group commits have landed (auto-compaction may have run).
    const beforeLeave = await settledStats(relay.dataDir, 1_000, 120_000)
    const storedTextBefore = await storedText(relay.dataDir, docId)
    const apiStats = await httpGet(`${relay.httpUrl}/api/docs/${docId}`).catch(() => null)

    // Everyone leaves: the room unloads, which compacts the remaining log.
    const leaveStartMs = performance.now()
    for (const client of [writer, ...readers]) client.destroy()
    const afterLeave = await settledStats(relay.dataDir, 1_500, 300_000, (s) => s.logEntries === 0)
    const compactionWaitMs = performance.now() - leaveStartMs
    const storedTextAfter = await storedText(relay.dataDir, docId)

    const relayPid = relay.pid
    const relayPeakRss = relayPid === null ? null : procStatusBytes(relayPid, 'VmHWM')
    const relayRssAtEnd = relayPid === null ? null : procStatusBytes(relayPid, 'VmRSS')
    const exit = await relay.kill('SIGTERM', 120_000)
    const files = dataDirBytes(relay.dataDir)
    const compactions = relay.logRecords().filter((r) => r['msg'] === 'compacted document')
    const unloadCompaction = compactions.findLast((r) => r['reason'] === 'unload')

    reportResults(
      scenario === 'default' ? 'trace-replay' : `trace-replay-${scenario}`,
      {
        scenario,
        trace: 'automerge-paper',
        txns: txnCount,
        finalChars: expected.length,
        writerUpdateBytes: updateBytes,
        writerApplySeconds: appliedMs / 1000,
        writerSentSeconds: sentMs / 1000,
        readersConvergedSeconds: convergedMs / 1000,
        reader0ConvergedSeconds: (convergedAtMs[0] ?? 0) / 1000,
        reader1ConvergedSeconds: (convergedAtMs[1] ?? 0) / 1000,
        txnsPerSecondEndToEnd: Math.round(txnCount / (convergedMs / 1000)),
        storedBytesWhileOpen: storedBytes(beforeLeave),
        storedLogEntriesWhileOpen: beforeLeave.logEntries,
        storedSnapshotBytesWhileOpen: beforeLeave.snapshotBytes,
        storedTextMatchedWhileOpen: storedTextBefore === expected,
        storedBytesAfterUnloadCompaction: storedBytes(afterLeave),
        storedLogEntriesAfterUnload: afterLeave.logEntries,
        storedTextMatchedAfterCompaction: storedTextAfter === expected,
        unloadCompactionSettledSeconds: compactionWaitMs / 1000,
        compactionsLogged: compactions.length,
        compactionsWhileOpen: compactions.filter((r) => r['reason'] !== 'unload').length,
        unloadCompactionBytesBefore: numberOrNull(unloadCompaction?.['bytesBefore']),
        unloadCompactionBytesAfter: numberOrNull(unloadCompaction?.['bytesAfter']),
        unloadCompactionFoldedEntries: numberOrNull(unloadCompaction?.['foldedEntries']),
        unloadCompactionMs: numberOrNull(unloadCompaction?.['durationMs']),
        relayPeakRssMiB: relayPeakRss === null ? null : mebibytes(relayPeakRss),
        relayRssAfterUnloadMiB: relayRssAtEnd === null ? null : mebibytes(relayRssAtEnd),
        dataDirMiBAfterShutdown: mebibytes(Object.values(files).reduce((a, b) => a + b, 0)),
        relayExitCode: exit.code,
        writerCloseCodes: writer.closeCodes.join(',') || 'none',
        readerCloseCodes: readers.map((r) => r.closeCodes.join(',') || 'none').join(' / '),
      },
      {
        relayEnv,
        statsWhileOpen: beforeLeave,
        statsAfterUnload: afterLeave,
        apiStats: apiStats === null ? null : { status: apiStats.status, body: apiStats.body.slice(0, 2_000) },
        dataDirFilesAfterShutdown: files,
        lastCompactionLogRecords: compactions.slice(-5),
      },
    )
  } catch (error) {
    process.stdout.write(`${relay.output()}\n`)
    throw error
  } finally {
    await relay.dispose()
  }
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' ? value : null
}

for (const scenario of selectedScenarios) await runScenario(scenario)
