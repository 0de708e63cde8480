// kill -9 during a write burst: two stock clients keep appending unique tokens while the relay
// is killed twice and restarted on the same port and DATA_DIR. Every token must end up exactly
// once on every client, on the relay, and in storage (loaded after a third kill -9 and restart).
// Reproduce a run with CRASH_SEED=<seed>.
import { describe, expect, it } from 'vitest'
import { storedText } from './stored-docs'
import {
  processHarness,
  randomInt,
  seedFromEnv,
  seededRandom,
  sleep,
  uniqueDocId,
  waitFor,
  type StockClient,
} from './support'

const seed = seedFromEnv('CRASH_SEED')
const minTokensPerClient = 300
const maxPauseMs = 6
const tokenPattern = /[AB]\d{4} /g

function token(prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(4, '0')} `
}

/** Tokens found in `text`, each with how often it occurs; `rest` is whatever is not a token. */
function countTokens(text: string): { counts: Map<string, number>; rest: string } {
  const counts = new Map<string, number>()
  for (const match of text.matchAll(tokenPattern)) counts.set(match[0], (counts.get(match[0]) ?? 0) + 1)
  return { counts, rest: text.replace(tokenPattern, '') }
}

/** Empty string when `text` holds every written token exactly once and nothing else. */
function tokenProblems(text: string, written: readonly string[]): string {
  const { counts, rest } = countTokens(text)
  const missing = written.filter((t) => !counts.has(t))
  const duplicated = [...counts].filter(([, n]) => n > 1).map(([t, n]) => `${t.trim()}×${n}`)
  const unknown = [...counts.keys()].filter((t) => !written.includes(t))
  const problems: string[] = []
  if (missing.length > 0) problems.push(`${missing.length} missing (${missing.slice(0, 10).map((t) => t.trim()).join(',')}…)`)
  if (duplicated.length > 0) problems.push(`duplicated: ${duplicated.slice(0, 10).join(',')}`)
  if (unknown.length > 0) problems.push(`never written: ${unknown.slice(0, 10).join(',')}`)
  if (rest !== '') problems.push(`${rest.length} chars outside tokens: ${JSON.stringify(rest.slice(0, 60))}`)
  return problems.join('; ')
}

describe(`relay killed with SIGKILL during a write burst (CRASH_SEED=${seed})`, () => {
  it('keeps every token exactly once on every client and in storage', { timeout: 90_000 }, async (context) => {
    const harness = processHarness(context)
    harness.note(`CRASH_SEED=${seed}`)
    const random = seededRandom(seed)

    const relay = await harness.startRelay()
    const docId = uniqueDocId('crash')
    const clients: Record<'A' | 'B', StockClient> = {
      A: harness.client(relay, docId),
      B: harness.client(relay, docId),
    }
    await waitFor(() => clients.A.synced && clients.B.synced, { timeoutMs: 15_000, message: 'both clients synced' })

    const written: Record<'A' | 'B', string[]> = { A: [], B: [] }
    let crashesDone = false

    // Each token is its own transaction appended at the end; a concurrent append never splits
    // another client's insert, so any missing or doubled character shows up as a bad token.
    const writeBurst = async (prefix: 'A' | 'B', pauses: () => number): Promise<void> => {
      const client = clients[prefix]
      for (let i = 1; i <= minTokensPerClient || !crashesDone; i++) {
        const t = token(prefix, i)
        client.text.insert(client.text.length, t)
        written[prefix].push(t)
        await sleep(pauses())
      }
    }
    // Separate streams so the writers' timing does not depend on how the crash loop advanced.
    const pauseA = seededRandom(seed ^ 0x0a0a0a0a)
    const pauseB = seededRandom(seed ^ 0x0b0b0b0b)

    const crashLoop = async (): Promise<void> => {
      const total = (): number => written.A.length + written.B.length
      for (let crash = 1; crash <= 2; crash++) {
        // Kill after a random number of further writes made while both clients are online.
        const afterWrites = randomInt(random, 40, 200)
        const start = total()
        await waitFor(() => total() >= start + afterWrites, { timeoutMs: 30_000, intervalMs: 1, message: `${afterWrites} more writes` })
        const exit = await relay.kill('SIGKILL')
        expect(exit.signal).toBe('SIGKILL')
        const downMs = randomInt(random, 0, 400)
        harness.note(`crash ${crash}: SIGKILL after ${total()} tokens written (A ${written.A.length}, B ${written.B.length}); down ${downMs} ms`)
        await sleep(downMs)
        await relay.restart()
        await waitFor(() => clients.A.synced && clients.B.synced, {
          timeoutMs: 15_000,
          message: () => `clients reconnect after crash ${crash} (A synced ${clients.A.synced}, B synced ${clients.B.synced})`,
        })
      }
      crashesDone = true
    }

    await Promise.all([
      writeBurst('A', () => randomInt(pauseA, 0, maxPauseMs)),
      writeBurst('B', () => randomInt(pauseB, 0, maxPauseMs)),
      crashLoop(),
    ])
    const allWritten = [...written.A, ...written.B]
    harness.note(`tokens written: A ${written.A.length}, B ${written.B.length}`)
    expect(clients.A.closeCodes.length).toBeGreaterThanOrEqual(2)
    expect(clients.B.closeCodes.length).toBeGreaterThanOrEqual(2)

    for (const name of ['A', 'B'] as const) {
      await waitFor(() => tokenProblems(clients[name].text.toString(), allWritten) === '', {
        timeoutMs: 30_000,
        intervalMs: 50,
        message: () => `client ${name} has every token exactly once: ${tokenProblems(clients[name].text.toString(), allWritten)}`,
      })
    }
    const finalText = clients.A.text.toString()
    expect(clients.B.text.toString()).toBe(finalText)

    const live = harness.client(relay, docId)
    await waitFor(() => live.synced, { timeoutMs: 15_000, message: 'fresh client synced with the live relay' })
    expect(tokenProblems(live.text.toString(), allWritten)).toBe('')
    expect(live.text.toString()).toBe(finalText)

    // Storage, with no client left to heal it: once SQLite holds the final text, one more
    // kill -9 (WAL recovery, no shutdown flush), restart, and a fresh client loads it.
    for (const client of [clients.A, clients.B, live]) client.destroy()
    let stored = ''
    await waitFor(async () => (stored = await storedText(relay.dataDir, docId)) === finalText, {
      timeoutMs: 15_000,
      intervalMs: 100,
      message: () => `storage holds the final text (${tokenProblems(stored, allWritten) || 'same tokens, different order'})`,
    })
    expect((await relay.kill('SIGKILL')).signal).toBe('SIGKILL')
    await relay.restart()
    const fresh = harness.client(relay, docId)
    await waitFor(() => fresh.synced, { timeoutMs: 15_000, message: 'fresh client synced after restart' })
    expect(tokenProblems(fresh.text.toString(), allWritten)).toBe('')
    expect(fresh.text.toString()).toBe(finalText)
  })
})
