// Relay memory with idle connections: RSS of the relay process at start, with 100 idle stock
// clients on one doc, with 100 idle clients on 100 docs, and after everyone left.
// Run: cd /work/main && pnpm exec tsx apps/relay/bench/idle-rss.ts   (CLIENTS=100 SETTLE_MS=2000)
import { StockClient } from '../test/process/clients'
import { RelayProcess, httpGet } from '../test/process/relay-process'
import { sleep, waitFor } from '../test/process/wait'
import { InspectorSession } from './inspector'
import { mebibytes, reportResults, rssBytes } from './results'

const clientCount = Number(process.env['CLIENTS'] ?? 100)
const settleMs = Number(process.env['SETTLE_MS'] ?? 2_000)

interface MemorySample {
  rssBytes: number
  heapUsedBytes: number
}

/**
 * Memory once the relay is quiet: wait, force two full GCs (through the inspector) so the
 * numbers measure what is live rather than when V8 last collected, then take the median of a
 * few RSS samples and the live heap.
 */
async function sampleMemory(pid: number, inspector: InspectorSession): Promise<MemorySample> {
  await sleep(settleMs)
  await inspector.collectGarbage()
  await sleep(200)
  await inspector.collectGarbage()
  const samples: number[] = []
  for (let i = 0; i < 5; i++) {
    samples.push(rssBytes(pid))
    await sleep(100)
  }
  samples.sort((a, b) => a - b)
  return { rssBytes: samples[2]!, heapUsedBytes: await inspector.heapUsedBytes() }
}

async function connectAll(relay: RelayProcess, docIds: string[]): Promise<StockClient[]> {
  const clients = docIds.map((docId) => new StockClient(relay.syncUrl, docId, { maxBackoffTimeMs: 2_500 }))
  await waitFor(() => clients.every((c) => c.synced), {
    timeoutMs: 60_000,
    message: () => `${clients.filter((c) => c.synced).length}/${clients.length} clients synced`,
  })
  return clients
}

interface Health {
  rooms: number
  connections: number
}

/** Open rooms and connections as the relay counts them (`GET /healthz`). */
async function health(relay: RelayProcess): Promise<Health> {
  const res = await httpGet(`${relay.httpUrl}/healthz`)
  if (res.status !== 200) throw new Error(`GET /healthz answered ${res.status}: ${res.body.slice(0, 200)}`)
  return JSON.parse(res.body) as Health
}

/** Everyone left: wait until the relay has unloaded every room (flushed and freed). */
async function waitRoomsUnloaded(relay: RelayProcess): Promise<number> {
  const startMs = performance.now()
  let last: Health | null = null
  await waitFor(
    async () => {
      last = await health(relay)
      return last.rooms === 0 && last.connections === 0
    },
    { timeoutMs: 60_000, intervalMs: 100, message: () => `every room unloaded (last /healthz ${JSON.stringify(last)})` },
  )
  return performance.now() - startMs
}

const kib = (bytes: number): number => Math.round(bytes / 1024)

async function main(): Promise<void> {
  // y-websocket registers one process 'exit' listener per provider.
  process.setMaxListeners(clientCount + 20)
  const relay = await RelayProcess.start({ env: { LOG_LEVEL: 'warn' }, nodeArgs: ['--inspect=127.0.0.1:0'] })
  let inspector: InspectorSession | null = null
  try {
    const pid = relay.pid
    if (pid === null) throw new Error('relay has no pid')
    inspector = await InspectorSession.connect(relay)
    const coldStart = await sampleMemory(pid, inspector)
    // One connect/leave cycle first, so one-time costs (JIT, lazily loaded modules, buffer
    // pools) are not charged to the measured connections.
    for (const client of await connectAll(relay, ['warm-up', 'warm-up'])) client.destroy()
    await waitRoomsUnloaded(relay)
    const atStart = await sampleMemory(pid, inspector)

    // Every doc gets a little content, so rooms hold a real (small) Y.Doc.
    const oneDoc = await connectAll(relay, Array.from({ length: clientCount }, () => 'idle-one-doc'))
    oneDoc[0]!.text.insert(0, 'shared idle document')
    const withOneDoc = await sampleMemory(pid, inspector)
    const healthOneDoc = await health(relay)
    for (const client of oneDoc) client.destroy()
    const unloadOneDocMs = await waitRoomsUnloaded(relay)
    const afterOneDoc = await sampleMemory(pid, inspector)

    const manyDocs = await connectAll(relay, Array.from({ length: clientCount }, (_, i) => `idle-doc-${i}`))
    for (const [i, client] of manyDocs.entries()) client.text.insert(0, `idle document ${i}`)
    const withManyDocs = await sampleMemory(pid, inspector)
    const healthManyDocs = await health(relay)
    for (const client of manyDocs) client.destroy()
    const unloadManyDocsMs = await waitRoomsUnloaded(relay)
    const afterAll = await sampleMemory(pid, inspector)

    reportResults(
      'idle-rss',
      {
        clients: clientCount,
        rssColdStartMiB: mebibytes(coldStart.rssBytes),
        rssAtStartMiB: mebibytes(atStart.rssBytes),
        rssWithClientsOnOneDocMiB: mebibytes(withOneDoc.rssBytes),
        rssAfterOneDocClientsLeftMiB: mebibytes(afterOneDoc.rssBytes),
        rssWithClientsOnSeparateDocsMiB: mebibytes(withManyDocs.rssBytes),
        rssAfterAllLeftMiB: mebibytes(afterAll.rssBytes),
        rssKiBPerConnectionOneDoc: kib((withOneDoc.rssBytes - atStart.rssBytes) / clientCount),
        rssKiBPerConnectionAndDoc: kib((withManyDocs.rssBytes - afterOneDoc.rssBytes) / clientCount),
        rssRetainedAfterAllLeftMiB: mebibytes(afterAll.rssBytes - atStart.rssBytes),
        heapAtStartMiB: mebibytes(atStart.heapUsedBytes),
        heapKiBPerConnectionOneDoc: kib((withOneDoc.heapUsedBytes - atStart.heapUsedBytes) / clientCount),
        heapKiBPerConnectionAndDoc: kib((withManyDocs.heapUsedBytes - afterOneDoc.heapUsedBytes) / clientCount),
        heapRetainedAfterAllLeftKiB: kib(afterAll.heapUsedBytes - atStart.heapUsedBytes),
        relayCountedOneDoc: `${healthOneDoc.connections} connections, ${healthOneDoc.rooms} rooms`,
        relayCountedSeparateDocs: `${healthManyDocs.connections} connections, ${healthManyDocs.rooms} rooms`,
        secondsUntilRoomsUnloadedOneDoc: unloadOneDocMs / 1000,
        secondsUntilRoomsUnloadedSeparateDocs: unloadManyDocsMs / 1000,
      },
      {
        settleMs,
        note: 'relay started with --inspect=127.0.0.1:0 to force full GCs before each sample',
        samples: { coldStart, atStart, withOneDoc, afterOneDoc, withManyDocs, afterAll },
      },
    )
    inspector.close()
    inspector = null
    const exit = await relay.kill('SIGTERM')
    if (exit.code !== 0) process.stdout.write(`relay exit on SIGTERM: ${JSON.stringify(exit)}\n${relay.output()}\n`)
  } catch (error) {
    process.stdout.write(`${relay.output()}\n`)
    throw error
  } finally {
    inspector?.close()
    await relay.dispose()
  }
}

await main()
