// Fan-out latency: a stock client types one character per transaction, another stock client
// sees it. Measured on one relay (SQLite), and across two relays sharing PostgreSQL + Redis
// (writer on r0, reader on r1), plus both clients on r0 of the cluster. Prints p50/p99 and
// writes bench-results/cluster-fanout.json. Not a test: numbers depend on the machine.
//
//   pnpm exec tsx apps/relay/test/cluster/bench-fanout.ts        (from the repo root)
//   FANOUT_SAMPLES=1000 pnpm exec tsx apps/relay/test/cluster/bench-fanout.ts
import { startPostgres } from '../../../../packages/storage/test/pg-server'
import { reportResults } from '../../bench/results'
import { RelayProcess, StockClient, sleep, waitFor } from '../process/support'
import { CLUSTER_TEST_ENV } from './cluster-harness'
import { startRedis } from './redis-server'

const samples = Number(process.env['FANOUT_SAMPLES'] ?? 400)
const warmup = 50

interface Summary {
  samples: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
  meanMs: number
}

function summarize(latenciesMs: number[]): Summary {
  const sorted = [...latenciesMs].sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
  const round = (ms: number) => Math.round(ms * 1000) / 1000
  return {
    samples: sorted.length,
    p50Ms: round(at(0.5)),
    p90Ms: round(at(0.9)),
    p99Ms: round(at(0.99)),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
    meanMs: round(sorted.reduce((sum, value) => sum + value, 0) / Math.max(1, sorted.length)),
  }
}

/** Writer types `warmup + samples` characters one at a time; each waits until the reader has it. */
async function measure(writerUrl: string, readerUrl: string, docId: string): Promise<Summary> {
  const writer = new StockClient(writerUrl, docId)
  const reader = new StockClient(readerUrl, docId)
  try {
    await waitFor(() => writer.synced && reader.synced, { timeoutMs: 15_000, message: 'clients to sync' })
    const latencies: number[] = []
    let expectedLength = 0
    let sentAtMs = 0
    let arrived: (() => void) | null = null
    reader.doc.on('update', () => {
      if (arrived !== null && reader.text.length >= expectedLength) {
        const done = arrived
        arrived = null
        latencies.push(performance.now() - sentAtMs)
        done()
      }
    })
    for (let i = 0; i < warmup + samples; i++) {
      expectedLength = writer.text.length + 1
      const received = new Promise<void>((resolve) => {
        arrived = resolve
      })
      sentAtMs = performance.now()
      writer.text.insert(writer.text.length, 'x')
      await Promise.race([received, sleep(5_000).then(() => Promise.reject(new Error(`character ${i} did not arrive within 5 s`)))])
      await sleep(2)
    }
    return summarize(latencies.slice(warmup))
  } finally {
    writer.destroy()
    reader.destroy()
  }
}

async function main(): Promise<void> {
  const single = await RelayProcess.start({ env: { LOG_LEVEL: 'warn', WEB_DIST_DIR: '/nonexistent-web-dist' } })
  let singleRelay: Summary
  try {
    singleRelay = await measure(single.syncUrl, single.syncUrl, 'fanout-single')
  } finally {
    await single.dispose()
  }

  const pg = await startPostgres()
  const redis = await startRedis()
  const relays: RelayProcess[] = []
  let crossRelay: Summary
  let sameRelayInCluster: Summary
  try {
    const databaseUrl = await pg.createDatabase('fanout')
    for (const index of [0, 1]) {
      relays.push(
        await RelayProcess.start({
          env: { ...CLUSTER_TEST_ENV, ANTI_ENTROPY_INTERVAL_MS: '5000', RELAY_HEARTBEAT_MS: '2000', FLUSH_INTERVAL_MS: '50', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, REDIS_URL: redis.url, RELAY_ID: `r${index}` },
        }),
      )
    }
    const [r0, r1] = relays as [RelayProcess, RelayProcess]
    crossRelay = await measure(r0.syncUrl, r1.syncUrl, 'fanout-cross')
    sameRelayInCluster = await measure(r0.syncUrl, r0.syncUrl, 'fanout-same')
  } finally {
    for (const relay of relays) await relay.dispose()
    await redis.close()
    await pg.close()
  }

  reportResults(
    'cluster-fanout',
    {
      singleRelayP50Ms: singleRelay.p50Ms,
      singleRelayP99Ms: singleRelay.p99Ms,
      crossRelayP50Ms: crossRelay.p50Ms,
      crossRelayP99Ms: crossRelay.p99Ms,
      clusterSameRelayP50Ms: sameRelayInCluster.p50Ms,
      clusterSameRelayP99Ms: sameRelayInCluster.p99Ms,
      samples,
    },
    {
      method:
        'stock y-websocket clients in this process; one character per transaction; the next is typed 2 ms after the previous arrived; latency = reader update event - writer insert (same clock)',
      singleRelay: { storage: 'sqlite', ...singleRelay },
      crossRelay: { storage: 'postgresql', bus: 'redis', path: 'client → r0 → redis → r1 → client', ...crossRelay },
      clusterSameRelay: { storage: 'postgresql', bus: 'redis', path: 'client → r0 → client', ...sameRelayInCluster },
    },
  )
}

await main()
