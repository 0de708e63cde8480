// What the multi-relay tests share: relays wired to one PostgreSQL database and one Redis, a
// token-writing workload whose outcome is known exactly, and convergence checks (identical
// state vectors and text on every client, every surviving token present once).
import { openDocStore } from '@collab/storage'
import * as Y from 'yjs'
import type { ProcessHarness, RelayProcess, StockClient } from '../process/support'
import { randomInt, sleep, waitFor } from '../process/support'

/** Short intervals so healing is quick in tests (production: 5 s / 2 s). */
export const CLUSTER_TEST_ENV = {
  ANTI_ENTROPY_INTERVAL_MS: '400',
  RELAY_HEARTBEAT_MS: '250',
  FLUSH_INTERVAL_MS: '20',
  ROOM_UNLOAD_DELAY_MS: '200',
  AWARENESS_FLUSH_MS: '20',
  WEB_DIST_DIR: '/nonexistent-web-dist',
} as const

export interface ClusterBackends {
  databaseUrl: string
  redisUrl: string
}

/** Starts `count` relay processes (ids r0, r1, …) sharing one database and one Redis. */
export async function startClusterRelays(
  harness: ProcessHarness,
  count: number,
  backends: ClusterBackends,
  env: Record<string, string> = {},
  /** Extra environment for one relay (by index), e.g. a flush window that outlives the test. */
  envFor: (index: number) => Record<string, string> = () => ({}),
): Promise<RelayProcess[]> {
  return Promise.all(
    Array.from({ length: count }, (_, index) =>
      harness.startRelay({
        env: {
          ...CLUSTER_TEST_ENV,
          DATABASE_URL: backends.databaseUrl,
          REDIS_URL: backends.redisUrl,
          RELAY_ID: `r${index}`,
          ...env,
          ...envFor(index),
        },
      }),
    ),
  )
}

/**
 * One client writing unique tokens (`c0.17 `), each inserted whole at the start or the end, and
 * now and then deleting one of its own: the final text must hold exactly the live tokens of every
 * writer, in any order.
 */
export class TokenWriter {
  readonly live = new Set<string>()
  opsDone = 0
  private next = 0

  constructor(
    readonly client: StockClient,
    readonly name: string,
    private readonly random: () => number,
  ) {}

  /** One insertion or deletion, as one Yjs transaction. */
  step(): void {
    const text = this.client.text
    if (this.live.size > 2 && this.random() < 0.2) {
      const tokens = [...this.live]
      const token = tokens[randomInt(this.random, 0, tokens.length - 1)] as string
      const index = text.toString().indexOf(token)
      if (index >= 0) {
        text.delete(index, token.length)
        this.live.delete(token)
        this.opsDone++
        return
      }
    }
    const token = `${this.name}.${this.next++} `
    text.insert(this.random() < 0.5 ? 0 : text.length, token)
    this.live.add(token)
    this.opsDone++
  }
}

/** Runs every writer for `ops` steps, each pausing 0–maxPauseMs between steps. */
export async function runWriters(writers: readonly TokenWriter[], ops: number, random: () => number, maxPauseMs = 15): Promise<void> {
  await Promise.all(
    writers.map(async (writer) => {
      for (let i = 0; i < ops; i++) {
        writer.step()
        await sleep(randomInt(random, 0, maxPauseMs))
      }
    }),
  )
}

export function totalOps(writers: readonly TokenWriter[]): number {
  return writers.reduce((sum, writer) => sum + writer.opsDone, 0)
}

/** The tokens of a text, sorted (tokens end with a space). */
export function tokensOf(text: string): string[] {
  return text
    .split(' ')
    .filter((token) => token !== '')
    .map((token) => `${token} `)
    .sort()
}

/** The tokens every writer left alive, sorted. */
export function expectedTokens(writers: readonly TokenWriter[]): string[] {
  return writers.flatMap((writer) => [...writer.live]).sort()
}

function stateVectorKey(doc: Y.Doc): string {
  return [...Y.decodeStateVector(Y.encodeStateVector(doc))]
    .sort(([a], [b]) => a - b)
    .map(([client, clock]) => `${client}:${clock}`)
    .join(',')
}

/** Null when every client has the same state vector and text holding exactly `expected`. */
export function divergence(clients: readonly StockClient[], expected: readonly string[]): string | null {
  const first = clients[0]
  if (first === undefined) return 'no clients'
  const key = stateVectorKey(first.doc)
  const text = first.text.toString()
  for (const [index, client] of clients.entries()) {
    if (stateVectorKey(client.doc) !== key) return `client ${index} state vector ${stateVectorKey(client.doc)} ≠ client 0 ${key}`
    if (client.text.toString() !== text) return `client ${index} text differs from client 0`
  }
  const actual = tokensOf(text)
  if (actual.join('') !== expected.join('')) {
    const missing = expected.filter((token) => !actual.includes(token))
    const extra = actual.filter((token) => !expected.includes(token))
    return `tokens differ from what was written: missing ${JSON.stringify(missing.slice(0, 10))} (${missing.length}), unexpected ${JSON.stringify(extra.slice(0, 10))} (${extra.length})`
  }
  return null
}

/** Waits until {@link divergence} is null; the error says what still differs. */
export async function waitForConvergence(clients: readonly StockClient[], expected: readonly string[], timeoutMs = 20_000): Promise<void> {
  let last: string | null = 'not checked yet'
  await waitFor(
    () => {
      last = divergence(clients, expected)
      return last === null
    },
    { timeoutMs, message: () => `${clients.length} clients to converge: ${last}` },
  )
}

/** The text stored in PostgreSQL for `docId` (snapshot + log), read with a store of its own. */
export async function storedText(databaseUrl: string, docId: string, name = 'text'): Promise<string> {
  const store = await openDocStore({ databaseUrl })
  try {
    const stored = await store.load(docId)
    const doc = new Y.Doc()
    if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot)
    for (const update of stored.updates) Y.applyUpdate(doc, update)
    const text = doc.getText(name).toString()
    doc.destroy()
    return text
  } finally {
    await store.close()
  }
}

/** Waits until what PostgreSQL holds for `docId` has exactly the `expected` tokens. */
export async function waitForStoredTokens(databaseUrl: string, docId: string, expected: readonly string[], timeoutMs = 15_000): Promise<void> {
  let last = ''
  await waitFor(
    async () => {
      last = (await storedText(databaseUrl, docId)).trim()
      return tokensOf(last).join('') === expected.join('')
    },
    { timeoutMs, intervalMs: 100, message: () => `storage to hold all ${expected.length} tokens (has ${tokensOf(last).length})` },
  )
}
