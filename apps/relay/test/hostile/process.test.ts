// Cases 18, 19, 22, 24 against the relay as users run it (a child process, test/process):
// half-open TCP, kill -9 mid-burst and mid-compaction, thousands of connect/disconnect cycles,
// SIGTERM with writes pending. Measured from outside: RSS from /proc, blocks from /metrics.
import { createHash } from 'node:crypto'
import { CloseCode, encodeSyncStep1 } from '@collab/protocol'
import { SqliteDocStore } from '@collab/storage'
import { afterAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { InspectorSession } from '../../bench/inspector'
import { storedText } from '../process/stored-docs'
import { httpGet, processHarness, sleep, uniqueDocId, waitFor, type RelayProcess, type StockClient } from '../process/support'
import { ChildProbe, MeasurementLog, processFdCount, rawUpgrade, wsFrame } from './support'

const log = new MeasurementLog('process')

async function health(relay: RelayProcess): Promise<{ rooms: number; connections: number }> {
  const answer = await httpGet(`${relay.httpUrl}/healthz`)
  expect(answer.status).toBe(200)
  return JSON.parse(answer.body) as { rooms: number; connections: number }
}

/** Hash of the relay's document: its sync step 2 answer to an empty state vector. */
async function relayDocHash(relay: RelayProcess, docId: string): Promise<string> {
  const socket = new WebSocket(`${relay.syncUrl}/${docId}`)
  try {
    const update = await new Promise<Buffer>((resolve, reject) => {
      socket.on('message', (data: Buffer) => {
        if (data[0] === 0 && data[1] === 1) resolve(data.subarray(2))
      })
      socket.once('open', () => socket.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))))
      socket.once('error', reject)
    })
    return createHash('sha256').update(update).digest('hex')
  } finally {
    socket.close()
  }
}

/** One edit each way between two stock clients, waited with a deadline. */
async function keepsSyncing(a: StockClient, b: StockClient, label: string): Promise<void> {
  for (const [from, to, side] of [
    [a, b, 'a'],
    [b, a, 'b'],
  ] as const) {
    const token = `<${label}:${side}>`
    from.text.insert(from.text.length, token)
    await waitFor(() => to.text.toString().includes(token), { timeoutMs: 15_000, message: `${token} to reach the other client` })
  }
}

async function syncedPair(harness: ReturnType<typeof processHarness>, relay: RelayProcess, docId: string): Promise<[StockClient, StockClient]> {
  const a = harness.client(relay, docId)
  const b = harness.client(relay, docId)
  await waitFor(() => a.synced && b.synced, { timeoutMs: 15_000, message: 'the honest pair to sync' })
  await keepsSyncing(a, b, 'before')
  return [a, b]
}

const tokenPattern = /[AB]\d{4} /g

/** Each written token exactly once, nothing else; '' when that holds. */
function tokenProblems(text: string, written: readonly string[]): string {
  const counts = new Map<string, number>()
  for (const match of text.matchAll(tokenPattern)) counts.set(match[0], (counts.get(match[0]) ?? 0) + 1)
  const missing = written.filter((t) => !counts.has(t))
  const doubled = [...counts].filter(([, n]) => n > 1)
  const rest = text.replace(tokenPattern, '')
  const problems: string[] = []
  if (missing.length > 0) problems.push(`${missing.length} missing`)
  if (doubled.length > 0) problems.push(`${doubled.length} doubled`)
  if (rest !== '') problems.push(`extra text ${JSON.stringify(rest.slice(0, 40))}`)
  return problems.join('; ')
}

function storedStateVector(dataDir: string, docId: string): Promise<Map<number, number>> {
  const store = SqliteDocStore.open({ dataDir, readOnly: true })
  return store
    .load(docId)
    .then((stored) => {
      const doc = new Y.Doc()
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
      for (const update of stored.updates) Y.applyUpdate(doc, update)
      return Y.decodeStateVector(Y.encodeStateVector(doc))
    })
    .finally(() => store.close())
}

async function integrity(dataDir: string): Promise<string> {
  const store = SqliteDocStore.open({ dataDir, readOnly: true })
  try {
    return await store.integrityCheck()
  } finally {
    await store.close()
  }
}

describe('hostile clients against a relay process', () => {
  afterAll(() => log.write())

  it('case 18: a half-open TCP connection (upgraded, then silent, no FIN) is dropped after a missed pong', { timeout: 60_000 }, async (context) => {
    const harness = processHarness(context)
    const relay = await harness.startRelay({ env: { PING_INTERVAL_MS: '200' } })
    const docId = uniqueDocId('case-18')
    const [a, b] = await syncedPair(harness, relay, docId)
    const before = await relayDocHash(relay, docId)
    const probe = await ChildProbe.start(relay)
    const halfOpen = await rawUpgrade(relay.port, `/sync/${docId}`)
    halfOpen.socket.write(wsFrame(0x2, encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))))
    await waitFor(async () => (await health(relay)).connections === 3, { timeoutMs: 10_000, message: 'the half-open socket to register' })
    // From now on it neither reads nor answers pings, and never sends a FIN.
    halfOpen.socket.pause()
    await waitFor(async () => (await health(relay)).connections === 2, { timeoutMs: 10_000, message: 'only the honest pair left' })
    // The relay dropped it: reading again, this side sees the connection end.
    halfOpen.socket.resume()
    await halfOpen.ended
    const measured = await probe.stop()
    log.record({ case: 18, title: 'half-open TCP (no FIN)', ...measured, relay: 'child-process', outcome: 'terminated after a missed pong (PING_INTERVAL_MS=200)' })
    expect(await relayDocHash(relay, docId)).toBe(before)
    await keepsSyncing(a, b, 'after')
  })

  it('case 19: kill -9 mid-burst and mid-compaction loses nothing stored; clients resend the rest; integrity_check ok', { timeout: 90_000 }, async (context) => {
    const harness = processHarness(context)
    const relay = await harness.startRelay({ env: { COMPACT_MAX_LOG_ENTRIES: '8', FLUSH_INTERVAL_MS: '5' } })
    const docId = uniqueDocId('case-19')
    const [a, b] = await syncedPair(harness, relay, docId)
    a.text.delete(0, a.text.length)
    await waitFor(() => b.text.length === 0, { timeoutMs: 10_000, message: 'a clean start' })
    const probe = await ChildProbe.start(relay)
    const written: string[] = []
    let writing = true
    const writer = async (client: StockClient, prefix: 'A' | 'B'): Promise<void> => {
      for (let i = 1; writing; i++) {
        const token = `${prefix}${String(i).padStart(4, '0')} `
        client.text.insert(client.text.length, token)
        written.push(token)
        await sleep(2)
      }
    }
    const writers = Promise.all([writer(a, 'A'), writer(b, 'B')])
    const compactions = (): number => relay.logRecords().filter((record) => record['msg'] === 'compacted document').length
    const crash = async (when: () => boolean | Promise<boolean>, label: string): Promise<void> => {
      await waitFor(when, { timeoutMs: 30_000, intervalMs: 1, message: label })
      const storedBefore = await storedStateVector(relay.dataDir, docId)
      const textBefore = await storedText(relay.dataDir, docId)
      await probe.checkpoint()
      expect((await relay.kill('SIGKILL')).signal).toBe('SIGKILL')
      expect(await integrity(relay.dataDir)).toBe('ok')
      // Everything that was stored before the kill is still stored.
      const storedAfter = await storedStateVector(relay.dataDir, docId)
      for (const [client, clock] of storedBefore) expect(storedAfter.get(client) ?? 0, `${label}: client ${client}`).toBeGreaterThanOrEqual(clock)
      const textAfter = await storedText(relay.dataDir, docId)
      for (const token of textBefore.match(tokenPattern) ?? []) expect(textAfter, label).toContain(token)
      await relay.restart()
      await waitFor(() => a.synced && b.synced, { timeoutMs: 20_000, message: `clients to reconnect after ${label}` })
    }
    await crash(() => written.length >= 150, 'kill mid-burst')
    const seen = compactions()
    await crash(() => compactions() > seen + 1, 'kill right after a compaction started the next cycle')
    writing = false
    await writers
    for (const client of [a, b]) {
      await waitFor(() => tokenProblems(client.text.toString(), written) === '', {
        timeoutMs: 30_000,
        message: () => `every token once on a client: ${tokenProblems(client.text.toString(), written)}`,
      })
    }
    await waitFor(async () => (await storedText(relay.dataDir, docId)) === a.text.toString(), {
      timeoutMs: 15_000,
      message: 'storage to hold the final text',
    })
    const measured = await probe.stop()
    log.record({
      case: 19,
      title: 'kill -9 mid-burst and mid-compaction',
      ...measured,
      relay: 'child-process',
      outcome: `${written.length} tokens, 2 kills (one amid compactions every 8 entries): all present once, stored, integrity ok`,
    })
    expect(await integrity(relay.dataDir)).toBe('ok')
    await keepsSyncing(a, b, 'after')
  })

  it('case 22: thousands of connect/disconnect cycles leave no rooms, connections, heap or file descriptors behind', { timeout: 90_000 }, async (context) => {
    const harness = processHarness(context)
    const relay = await harness.startRelay({
      env: { ROOM_UNLOAD_DELAY_MS: '20', MAX_ROOM_OPENS_PER_IP_PER_MINUTE: '1000000', LOG_LEVEL: 'warn' },
      nodeArgs: ['--inspect=127.0.0.1:0'],
    })
    const inspector = await InspectorSession.connect(relay)
    const docIds = Array.from({ length: 40 }, (_, i) => uniqueDocId(`case-22-${i}`))
    const cycle = async (i: number): Promise<void> => {
      const socket = new WebSocket(`${relay.syncUrl}/${docIds[i % docIds.length]}`)
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => socket.send(encodeSyncStep1(Y.encodeStateVector(new Y.Doc()))))
        socket.once('message', () => {
          // Every third client vanishes without a close handshake.
          if (i % 3 === 0) socket.terminate()
          else socket.close()
          resolve()
        })
        socket.once('error', reject)
      })
      await new Promise<void>((resolve) => (socket.readyState === WebSocket.CLOSED ? resolve() : socket.once('close', () => resolve())))
    }
    const run = async (count: number, concurrency: number): Promise<void> => {
      let next = 0
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < count) await cycle(next++)
      }))
    }
    const settled = async (): Promise<void> => {
      await waitFor(async () => {
        const state = await health(relay)
        return state.rooms === 0 && state.connections === 0
      }, { timeoutMs: 20_000, message: 'every room and connection to be gone' })
    }
    const heapAfterGc = async (): Promise<number> => {
      await inspector.collectGarbage()
      await inspector.collectGarbage()
      return await inspector.heapUsedBytes()
    }
    await run(200, 10) // warm-up: code paths compiled, pools allocated
    await settled()
    const baseline = { fds: processFdCount(relay.pid!), heap: await heapAfterGc() }
    const cycles = 2_000
    const probe = await ChildProbe.start(relay)
    await run(cycles, 10)
    await settled()
    const after = { fds: processFdCount(relay.pid!), heap: await heapAfterGc() }
    const measured = await probe.stop()
    inspector.close()
    const heapDeltaMiB = (after.heap - baseline.heap) / 2 ** 20
    log.record({
      case: 22,
      title: 'thousands of connect/disconnect cycles',
      ...measured,
      relay: 'child-process',
      outcome: `${cycles} cycles (1/3 without close handshake) over ${docIds.length} docs: rooms 0, connections 0, ` +
        `fds ${baseline.fds}→${after.fds}, heap after GC ${(baseline.heap / 2 ** 20).toFixed(1)}→${(after.heap / 2 ** 20).toFixed(1)} MiB`,
    })
    expect(after.fds).toBeLessThanOrEqual(baseline.fds + 2)
    expect(heapDeltaMiB).toBeLessThan(8)
    const docId = uniqueDocId('case-22-honest')
    const [a, b] = await syncedPair(harness, relay, docId)
    await keepsSyncing(a, b, 'after')
  })

  it('case 24: SIGTERM with writes pending flushes them, closes sockets with 1012, and clients reconnect to the next process', { timeout: 60_000 }, async (context) => {
    const harness = processHarness(context)
    // A group-commit window far longer than the test: nothing is stored before the SIGTERM.
    const relay = await harness.startRelay({ env: { FLUSH_INTERVAL_MS: '600000', FLUSH_MAX_BATCH_BYTES: '1000000000' } })
    const docId = uniqueDocId('case-24')
    const [a, b] = await syncedPair(harness, relay, docId)
    const probe = await ChildProbe.start(relay)
    a.text.insert(a.text.length, '<pending at SIGTERM>')
    await waitFor(() => b.text.toString().includes('<pending at SIGTERM>'), { timeoutMs: 10_000, message: 'the pending write to reach b' })
    expect(await storedText(relay.dataDir, docId)).not.toContain('<pending at SIGTERM>')
    const expected = a.text.toString()
    await probe.checkpoint()
    expect(await relay.kill('SIGTERM')).toEqual({ code: 0, signal: null })
    expect(await storedText(relay.dataDir, docId)).toBe(expected)
    await waitFor(() => a.closeCodes.includes(CloseCode.ServiceRestart) && b.closeCodes.includes(CloseCode.ServiceRestart), {
      timeoutMs: 10_000,
      message: 'both clients to see 1012',
    })
    await relay.restart()
    await waitFor(() => a.synced && b.synced && a.connectCount >= 2 && b.connectCount >= 2, { timeoutMs: 20_000, message: 'clients to reconnect by themselves' })
    const measured = await probe.stop()
    log.record({ case: 24, title: 'SIGTERM with writes pending', ...measured, relay: 'child-process', outcome: 'exit 0, pending write stored, 1012 to clients, they reconnected' })
    await keepsSyncing(a, b, 'after')
    expect(a.text.toString()).toBe(b.text.toString())
  })
})
