// Several relay processes sharing a real PostgreSQL and a real Redis, with stock y-websocket
// clients: convergence across relays, Redis crashing and coming back, a relay crashing under its
// clients, presence across relays. Everything is started by the test on loopback ports.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SERVER_HOOK_TIMEOUT_MS, startPostgres, type PostgresServer } from '../../../../packages/storage/test/pg-server'
import { StockClient, processHarness, seedFromEnv, seededRandom, uniqueDocId, waitFor } from '../process/support'
import {
  TokenWriter,
  expectedTokens,
  runWriters,
  startClusterRelays,
  storedText,
  tokensOf,
  totalOps,
  waitForConvergence,
  waitForStoredTokens,
} from './cluster-harness'
import { requireClusterServers, startRedis, type RedisServer } from './redis-server'
import { TcpBalancer } from './tcp-balancer'

const available = requireClusterServers('relays behind Redis on PostgreSQL')
// Every stock y-websocket provider adds a process 'exit' listener; these tests run a dozen.
process.setMaxListeners(64)

describe.runIf(available)('relays behind Redis on PostgreSQL', () => {
  let pg: PostgresServer
  const seed = seedFromEnv('CLUSTER_SEED')

  beforeAll(async () => {
    pg = await startPostgres()
  }, SERVER_HOOK_TIMEOUT_MS)
  afterAll(async () => {
    await pg?.close()
  }, SERVER_HOOK_TIMEOUT_MS)

  async function backends(onFinished: (cleanup: () => Promise<void>) => void): Promise<{ databaseUrl: string; redis: RedisServer }> {
    const databaseUrl = await pg.createDatabase('cluster')
    const redis = await startRedis()
    onFinished(async () => {
      await redis.close()
    })
    return { databaseUrl, redis }
  }

  it(`stock clients spread over three relays converge, and a fresh client on any relay loads it (CLUSTER_SEED=${seed})`, async (context) => {
    const harness = processHarness(context)
    const { databaseUrl, redis } = await backends((cleanup) => context.onTestFinished(cleanup))
    harness.note(`redis log:\n${redis.log()}`)
    const relays = await startClusterRelays(harness, 3, { databaseUrl, redisUrl: redis.url })
    const docId = uniqueDocId('three')
    const random = seededRandom(seed)
    const clients = relays.flatMap((relay) => [harness.client(relay, docId), harness.client(relay, docId)])
    await waitFor(() => clients.every((client) => client.synced), { timeoutMs: 10_000, message: 'clients to sync' })
    const writers = clients.map((client, index) => new TokenWriter(client, `c${index}`, random))

    await runWriters(writers, 40, random)
    const expected = expectedTokens(writers)
    await waitForConvergence(clients, expected)

    const fresh = relays.map((relay) => harness.client(relay, docId))
    await waitForConvergence([...clients, ...fresh], expected)
    await waitForStoredTokens(databaseUrl, docId, expected)
  })

  it(`Redis killed (SIGKILL) and restarted mid-stream: relays converge again by themselves (CLUSTER_SEED=${seed})`, async (context) => {
    const harness = processHarness(context)
    const { databaseUrl, redis } = await backends((cleanup) => context.onTestFinished(cleanup))
    const relays = await startClusterRelays(harness, 3, { databaseUrl, redisUrl: redis.url })
    const docId = uniqueDocId('redis-crash')
    const random = seededRandom(seed + 1)
    const clients = relays.map((relay) => harness.client(relay, docId))
    await waitFor(() => clients.every((client) => client.synced), { timeoutMs: 10_000, message: 'clients to sync' })
    const writers = clients.map((client, index) => new TokenWriter(client, `c${index}`, random))
    const opsPerWriter = 60

    const writing = runWriters(writers, opsPerWriter, random, 20)
    await waitFor(() => totalOps(writers) >= opsPerWriter, { timeoutMs: 20_000, message: 'a third of the edits' })
    await redis.kill('SIGKILL')
    harness.note(`redis killed after ${totalOps(writers)} edits`)
    await waitFor(() => totalOps(writers) >= opsPerWriter * 2, { timeoutMs: 20_000, message: 'two thirds of the edits' })
    // While Redis is down every relay only sees its own client's edits.
    expect(new Set(clients.map((client) => client.text.toString())).size).toBeGreaterThan(1)
    await redis.start()
    harness.note(`redis restarted after ${totalOps(writers)} edits`)
    await writing

    const expected = expectedTokens(writers)
    await waitForConvergence(clients, expected, 30_000)
    await waitForStoredTokens(databaseUrl, docId, expected)
    for (const relay of relays) {
      expect(relay.logRecords().some((record) => record['msg'] === 'redis connection restored')).toBe(true)
    }
  })

  it(`a relay killed with SIGKILL: its clients reconnect through the balancer to another relay and nothing is lost (CLUSTER_SEED=${seed})`, async (context) => {
    const harness = processHarness(context)
    const { databaseUrl, redis } = await backends((cleanup) => context.onTestFinished(cleanup))
    // r0 never flushes on its own: everything its client writes exists only in memory, on r0 and
    // (through Redis) on r1 and r2, when r0 dies.
    const relays = await startClusterRelays(harness, 3, { databaseUrl, redisUrl: redis.url }, {}, (index): Record<string, string> =>
      index === 0 ? { FLUSH_INTERVAL_MS: '600000' } : {},
    )
    const balancer = await TcpBalancer.start(relays.map((relay) => relay.port))
    context.onTestFinished(() => balancer.close())
    const docId = uniqueDocId('relay-crash')
    const random = seededRandom(seed + 2)
    const clients: StockClient[] = []
    // One at a time, so round robin puts client i on relay i.
    for (let index = 0; index < 3; index++) {
      const client = new StockClient(balancer.syncUrl, docId)
      context.onTestFinished(() => client.destroy())
      clients.push(client)
      await waitFor(() => client.synced, { timeoutMs: 10_000, message: `client ${index} to sync` })
    }
    expect(balancer.routed).toEqual(relays.map((relay) => relay.port))
    const writers = clients.map((client, index) => new TokenWriter(client, `c${index}`, random))
    const opsPerWriter = 60

    const writing = runWriters(writers, opsPerWriter, random, 20)
    await waitFor(() => totalOps(writers) >= opsPerWriter * 1.5, { timeoutMs: 20_000, message: 'half of the edits' })
    const victim = relays[0]!
    await victim.kill('SIGKILL')
    harness.note(`relay r0 killed after ${totalOps(writers)} edits`)
    await writing

    const expected = expectedTokens(writers)
    await waitForConvergence(clients, expected, 30_000)
    expect(clients[0]!.connectCount).toBeGreaterThanOrEqual(2)
    expect(balancer.routed.slice(3)).not.toContain(victim.port)
    // Edits r0 had published but never stored reach PostgreSQL through the survivors (a client
    // reconnecting to a survivor that already has them sends nothing new to store).
    await waitForStoredTokens(databaseUrl, docId, expected, 20_000)
    const writeBacks = relays.slice(1).flatMap((relay) => relay.logRecords()).filter((record) => record['msg'] === 'storing changes a relay applied but never stored')
    expect(writeBacks.length).toBeGreaterThan(0)
    const fresh = relays.slice(1).map((relay) => harness.client(relay, docId))
    await waitForConvergence([...clients, ...fresh], expected)
    expect(tokensOf(await storedText(databaseUrl, docId))).toEqual(expected)
  })

  it('awareness set on one relay shows on another and disappears when its client leaves or its relay dies', async (context) => {
    const harness = processHarness(context)
    const { databaseUrl, redis } = await backends((cleanup) => context.onTestFinished(cleanup))
    const [a, b] = await startClusterRelays(harness, 2, { databaseUrl, redisUrl: redis.url })
    const docId = uniqueDocId('presence')
    const watcher = harness.client(b!, docId)
    const users = () => [...watcher.provider.awareness.getStates().values()].map((state) => state['user']).filter(Boolean)

    const alice = harness.client(a!, docId)
    alice.provider.awareness.setLocalStateField('user', 'alice')
    await waitFor(() => users().includes('alice'), { timeoutMs: 10_000, message: () => `alice on relay b (sees ${JSON.stringify(users())})` })
    alice.provider.disconnect()
    await waitFor(() => !users().includes('alice'), { timeoutMs: 10_000, message: 'alice to leave relay b' })

    const carol = harness.client(a!, docId)
    carol.provider.awareness.setLocalStateField('user', 'carol')
    await waitFor(() => users().includes('carol'), { timeoutMs: 10_000, message: 'carol on relay b' })
    await a!.kill('SIGKILL')
    // Well before the 30 s awareness timeout: relay b presumes a dead after 3.5 missed heartbeats.
    await waitFor(() => !users().includes('carol'), { timeoutMs: 10_000, message: 'carol to be dropped after relay a died' })
  })
})
