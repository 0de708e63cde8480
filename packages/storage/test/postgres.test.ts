// PostgreSQL-specific behaviour beyond the shared contract, on a real server started by this
// file: schema and migrations, several stores (= several relays) on one database, the
// compaction lock, and the server going away and coming back.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  InvalidArgumentError,
  POSTGRES_SCHEMA_VERSION,
  PostgresDocStore,
  SchemaVersionError,
  StorageUnavailableError,
  compactDoc,
  openDocStore,
  type DocStore,
} from '../src/index'
import { Writer, textOf } from './contract-helpers'
import { SERVER_HOOK_TIMEOUT_MS, requirePostgres, startPostgres, type PostgresServer } from './pg-server'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A log entry whose bytes say who wrote it: `<writer>:<n>`. */
function entry(writer: string, n: number): Uint8Array {
  return encoder.encode(`${writer}:${n}`)
}

function texts(updates: readonly Uint8Array[]): string[] {
  return updates.map((update) => decoder.decode(update))
}

/** Polls `attempt` until it resolves, or rejects with its last error after `deadlineMs`. */
async function eventually<T>(attempt: () => Promise<T>, deadlineMs = 20_000): Promise<T> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

/** A promise plus the function that resolves it, to hold a lock holder at a known point. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = () => undefined as void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { opened, open }
}

if (requirePostgres('PostgresDocStore')) {
  let server: PostgresServer
  /** Shared by the tests that isolate themselves with a schema of their own. */
  let sharedUrl: string
  let schemaNumber = 0
  const stores: DocStore[] = []

  beforeAll(async () => {
    server = await startPostgres()
    sharedUrl = await server.createDatabase('adapter')
  }, SERVER_HOOK_TIMEOUT_MS)

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close()
  })

  afterAll(async () => {
    await server?.close()
  }, SERVER_HOOK_TIMEOUT_MS)

  const databaseName = (url: string) => new URL(url).pathname.slice(1)

  /** Opens a store on the shared database, in `schema` (a fresh one by default). */
  async function open(options: { schema?: string; databaseUrl?: string; poolSize?: number } = {}): Promise<PostgresDocStore> {
    const store = await PostgresDocStore.open({
      databaseUrl: options.databaseUrl ?? sharedUrl,
      schema: options.schema ?? `adapter_${++schemaNumber}`,
      ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    })
    stores.push(store)
    return store
  }

  /** Two stores (two pools, as two relays would have) on one fresh schema. */
  async function twoRelays(): Promise<[PostgresDocStore, PostgresDocStore]> {
    const first = await open()
    return [first, await open({ schema: first.schema })]
  }

  describe('schema and migrations', () => {
    it('creates the collab schema once when several relays open a new database at once', async () => {
      const databaseUrl = await server.createDatabase('migrate')
      const opened = await Promise.all(Array.from({ length: 4 }, () => openDocStore({ databaseUrl })))
      stores.push(...opened)
      for (const store of opened) expect(store).toBeInstanceOf(PostgresDocStore)
      const db = databaseName(databaseUrl)
      expect(await server.query('SELECT version FROM collab.schema_migrations', [], db)).toEqual([
        { version: POSTGRES_SCHEMA_VERSION },
      ])
      const tables = await server.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'collab' ORDER BY table_name`,
        [],
        db,
      )
      expect(tables.map((row) => row.table_name)).toEqual(['docs', 'schema_migrations', 'snapshots', 'updates'])
      // Every store works on the same tables: one sequence of seqs.
      const seqs = await Promise.all(opened.map((store, index) => store.append('doc', [entry('relay', index)])))
      expect([...seqs].sort()).toEqual([1, 2, 3, 4])
      // Opening again finds nothing to migrate.
      stores.push(await openDocStore({ databaseUrl }))
      expect(await server.query('SELECT count(*)::int AS n FROM collab.schema_migrations', [], db)).toEqual([{ n: 1 }])
    })

    it('refuses a schema written by a newer build, naming the database without its password', async () => {
      const first = await open()
      await first.close()
      await server.query(`INSERT INTO ${first.schema}.schema_migrations VALUES (99, 0)`, [], databaseName(sharedUrl))
      const url = new URL(sharedUrl)
      url.password = 'secret-password'
      const error = await PostgresDocStore.open({ databaseUrl: url.toString(), schema: first.schema }).catch(
        (caught: unknown) => caught,
      )
      expect(error).toBeInstanceOf(SchemaVersionError)
      expect((error as SchemaVersionError).foundVersion).toBe(99)
      expect(String(error)).toContain(first.schema)
      expect(String(error)).not.toContain('secret-password')
    })

    it('keeps stores in different schemas of one database apart', async () => {
      const a = await open()
      const b = await open()
      await a.append('doc', [entry('a', 1)])
      expect(await b.load('doc')).toEqual({ snapshot: null, updates: [], lastSeq: 0 })
      expect(await b.list()).toEqual([])
    })

    it('stores the exact bytes as bytea and keeps the counters in step with the log', async () => {
      const store = await open()
      await store.append('doc', [entry('x', 1), new Uint8Array([0, 255, 0]), entry('x', 3)])
      await store.replaceSnapshot('doc', new Uint8Array([9, 9]), 1)
      const db = databaseName(sharedUrl)
      const log = await server.query<{ seq: string; data: Buffer }>(
        `SELECT u.seq, u.data FROM ${store.schema}.updates u ORDER BY seq`,
        [],
        db,
      )
      expect(log.map((row) => [Number(row.seq), Array.from(row.data)])).toEqual([
        [2, [0, 255, 0]],
        [3, Array.from(entry('x', 3))],
      ])
      const [doc] = await server.query(
        `SELECT last_seq::int, snapshot_seq::int, snapshot_bytes::int, log_entries::int, log_bytes::int FROM ${store.schema}.docs`,
        [],
        db,
      )
      expect(doc).toEqual({ last_seq: 3, snapshot_seq: 1, snapshot_bytes: 2, log_entries: 2, log_bytes: 3 + entry('x', 3).length })
    })
  })

  describe('options and connection errors', () => {
    it('refuses bad options before connecting', async () => {
      const bad = [
        { databaseUrl: '' },
        { databaseUrl: sharedUrl, schema: 'Bad-Name' },
        { databaseUrl: sharedUrl, schema: 'x'.repeat(64) },
        { databaseUrl: sharedUrl, poolSize: 0 },
        { databaseUrl: sharedUrl, connectTimeoutMs: 1.5 },
        { databaseUrl: sharedUrl, maxUpdateBytes: -1 },
      ]
      for (const options of bad) {
        await expect(PostgresDocStore.open(options)).rejects.toBeInstanceOf(InvalidArgumentError)
      }
    })

    it('reports an unreachable server as StorageUnavailableError with the socket code', async () => {
      // The port of a server that is not running: bind, read the port, close.
      const { createServer } = await import('node:net')
      const port = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const address = probe.address()
          probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 1))
        })
      })
      const error = await openDocStore({ databaseUrl: `postgres://relay:hunter2@127.0.0.1:${port}/collab` }).catch(
        (caught: unknown) => caught,
      )
      expect(error).toBeInstanceOf(StorageUnavailableError)
      expect((error as StorageUnavailableError).code).toBe('ECONNREFUSED')
      expect(String(error)).toContain(`127.0.0.1:${port}/collab`)
      expect(String(error)).not.toContain('hunter2')
    })

    it('reports a missing database as StorageUnavailableError 3D000', async () => {
      const error = await openDocStore({ databaseUrl: server.url('no_such_database') }).catch((caught: unknown) => caught)
      expect(error).toBeInstanceOf(StorageUnavailableError)
      expect((error as StorageUnavailableError).code).toBe('3D000')
    })

    it('leaves no connection open after close, lock session included', async () => {
      const databaseUrl = await server.createDatabase('close')
      const store = await PostgresDocStore.open({ databaseUrl })
      stores.push(store)
      await store.append('doc', [entry('a', 1)])
      await store.tryWithCompactionLock('doc', async () => store.load('doc'))
      const sessions = () =>
        server.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [
          databaseName(databaseUrl),
        ])
      expect((await sessions())[0]?.n).toBeGreaterThanOrEqual(2)
      await store.close()
      await eventually(async () => expect((await sessions())[0]?.n).toBe(0))
    })
  })

  describe('several relays on one database', () => {
    it('hands out unique seqs in commit order to concurrent appends from two pools, losing nothing', async () => {
      const [a, b] = await twoRelays()
      const writersPerRelay = 4
      const batchesPerWriter = 15
      /** Every acknowledged batch: the seq it ended at and its entries. */
      const acked: { lastSeq: number; entries: Uint8Array[] }[] = []
      /** What a concurrent reader saw, checked once every seq is known. */
      const observed: { lastSeq: number; updates: string[] }[] = []
      let writing = true

      const writer = async (store: DocStore, name: string) => {
        let n = 0
        for (let batch = 0; batch < batchesPerWriter; batch++) {
          const entries = Array.from({ length: 1 + (batch % 3) }, () => entry(name, ++n))
          acked.push({ lastSeq: await store.append('shared', entries), entries })
        }
      }
      const reader = async (store: DocStore) => {
        while (writing) {
          const loaded = await store.load('shared')
          observed.push({ lastSeq: loaded.lastSeq, updates: texts(loaded.updates) })
        }
      }
      const readers = [reader(a), reader(b)]
      await Promise.all(
        [a, b].flatMap((store, relay) =>
          Array.from({ length: writersPerRelay }, (_, index) => writer(store, `r${relay}w${index}`)),
        ),
      )
      writing = false
      await Promise.all(readers)

      // Each batch's entries occupy lastSeq - n + 1 … lastSeq; together they tile 1…total.
      const bySeq = new Map<number, string>()
      for (const batch of acked) {
        batch.entries.forEach((update, index) => {
          const seq = batch.lastSeq - batch.entries.length + 1 + index
          expect(bySeq.has(seq), `seq ${seq} handed out twice`).toBe(false)
          bySeq.set(seq, decoder.decode(update))
        })
      }
      const total = bySeq.size
      expect(total).toBe(writersPerRelay * 2 * batchesPerWriter * 2) // batches of 1, 2, 3 entries: 2 on average
      const inSeqOrder = Array.from({ length: total }, (_, index) => bySeq.get(index + 1))
      expect(inSeqOrder).not.toContain(undefined)

      for (const store of [a, b]) {
        const loaded = await store.load('shared')
        expect(loaded.lastSeq).toBe(total)
        expect(texts(loaded.updates)).toEqual(inSeqOrder)
      }
      // Commit order == seq order: no reader ever saw an entry before one with a lower seq.
      expect(observed.length).toBeGreaterThan(0)
      for (const seen of observed) {
        expect(seen.updates).toHaveLength(seen.lastSeq)
        expect(seen.updates).toEqual(inSeqOrder.slice(0, seen.lastSeq))
      }
      expect(await a.stats('shared')).toEqual({ snapshotBytes: 0, logEntries: total, logBytes: expect.any(Number) })
    })

    it('lets one relay at a time hold a document’s compaction lock', async () => {
      const [a, b] = await twoRelays()
      const held = gate()
      const release = gate()
      const holder = a.tryWithCompactionLock('doc', async () => {
        held.open()
        await release.opened
        return 'done'
      })
      await held.opened
      expect(await b.tryWithCompactionLock('doc', async () => 'b ran')).toEqual({ acquired: false })
      expect(await a.tryWithCompactionLock('doc', async () => 'a ran twice')).toEqual({ acquired: false })
      // Other documents are not blocked.
      expect(await b.tryWithCompactionLock('other-doc', async () => 'other')).toEqual({ acquired: true, value: 'other' })
      release.open()
      expect(await holder).toEqual({ acquired: true, value: 'done' })
      expect(await b.tryWithCompactionLock('doc', async () => 'b ran')).toEqual({ acquired: true, value: 'b ran' })
      // A failing fn releases the lock and its error propagates unchanged.
      const failure = new Error('compaction failed')
      await expect(a.tryWithCompactionLock('doc', async () => Promise.reject(failure))).rejects.toBe(failure)
      expect(await b.tryWithCompactionLock('doc', async () => 'after failure')).toEqual({
        acquired: true,
        value: 'after failure',
      })
    })

    it('runs one of two concurrent compactions and loses no update appended meanwhile', async () => {
      const [a, b] = await twoRelays()
      const writer = new Writer()
      const typed = writer.type('compaction under a lock ')
      for (let start = 0; start < typed.length; start += 5) await a.append('doc', typed.slice(start, start + 5))
      const inside = gate()
      const finish = gate()
      const first = a.tryWithCompactionLock('doc', async () => {
        inside.open()
        await finish.opened
        return compactDoc(a, 'doc')
      })
      await inside.opened
      const second = await b.tryWithCompactionLock('doc', () => compactDoc(b, 'doc'))
      expect(second).toEqual({ acquired: false })
      // Both relays keep appending while the compaction runs.
      await b.append('doc', writer.type('from b '))
      finish.open()
      await a.append('doc', writer.type('from a'))
      const result = await first
      expect(result.acquired).toBe(true)
      if (result.acquired) expect(result.value.outcome).toBe('compacted')
      const loaded = await b.load('doc')
      expect(loaded.snapshot).not.toBeNull()
      expect(textOf(loaded)).toBe('compaction under a lock from b from a')
    })

    it('frees the lock when the holder’s database session dies', async () => {
      const [a, b] = await twoRelays()
      const held = gate()
      const release = gate()
      const holder = a.tryWithCompactionLock('doc', async () => {
        held.open()
        await release.opened
        return a.stats('doc')
      })
      await held.opened
      expect(await b.tryWithCompactionLock('doc', async () => 'b')).toEqual({ acquired: false })
      const killed = await server.query<{ killed: boolean }>(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_locks WHERE locktype = 'advisory' AND granted`,
      )
      expect(killed).toEqual([{ killed: true }])
      await eventually(async () => expect(await b.tryWithCompactionLock('doc', async () => 'b')).toEqual({ acquired: true, value: 'b' }))
      release.open()
      // The holder's work still completes; its lost unlock is not an error.
      expect(await holder).toEqual({ acquired: true, value: { snapshotBytes: 0, logEntries: 0, logBytes: 0 } })
      // And its store takes the lock again on a new session.
      expect(await a.tryWithCompactionLock('doc', async () => 'a again')).toEqual({ acquired: true, value: 'a again' })
    })
  })

  // Last: stops and restarts the shared server.
  describe('server going away', () => {
    it('rejects writes with StorageUnavailableError while the server is down, keeps every acknowledged one, and reconnects', async () => {
      const store = await open({ poolSize: 4 })
      const acked = new Map<string, number>()
      const failed: unknown[] = []
      let attempts = 0
      let stopped: Promise<void> | undefined

      const writer = async (name: string) => {
        for (let n = 1; ; n++) {
          const update = entry(name, n)
          attempts++
          try {
            acked.set(decoder.decode(update), await store.append('doc', [update]))
          } catch (error) {
            failed.push(error)
            // Keep writing through the outage until the first failures are in, then stop.
            if (stopped !== undefined && failed.length >= 6) return
          }
          // Killed while appends are in flight, like a crashed database server.
          if (stopped === undefined && acked.size >= 60) stopped = server.stop('immediate')
        }
      }
      await Promise.all([writer('w1'), writer('w2'), writer('w3')])
      await stopped

      expect(failed.length).toBeGreaterThanOrEqual(6)
      for (const error of failed) {
        expect(error, String(error)).toBeInstanceOf(StorageUnavailableError)
        expect((error as StorageUnavailableError).code).toMatch(/^(ECONNREFUSED|ECONNRESET|CONNECTION_LOST|57P0[123]|08\w{3})$/)
      }
      // Reads and the lock fail the same way while the server is down.
      await expect(store.load('doc')).rejects.toBeInstanceOf(StorageUnavailableError)
      await expect(store.stats('doc')).rejects.toBeInstanceOf(StorageUnavailableError)
      await expect(store.replaceSnapshot('doc', entry('snap', 1), 1)).rejects.toBeInstanceOf(StorageUnavailableError)
      await expect(store.tryWithCompactionLock('doc', async () => 'x')).rejects.toBeInstanceOf(StorageUnavailableError)

      await server.start()
      // The pool drops its dead connections and opens new ones: no reopen needed.
      const afterRestart = await eventually(() => store.append('doc', [entry('after', 1)]))
      const loaded = await store.load('doc')
      const stored = texts(loaded.updates)
      expect(loaded.lastSeq).toBe(afterRestart)
      expect(stored.at(-1)).toBe('after:1')
      // Every acknowledged append is stored, exactly once, at the seq it was acknowledged with.
      for (const [update, seq] of acked) expect(stored[seq - 1]).toBe(update)
      // Anything else stored is an append whose COMMIT outcome was lost with the connection.
      const unacked = stored.length - 1 - acked.size
      expect(unacked).toBeGreaterThanOrEqual(0)
      expect(unacked).toBeLessThanOrEqual(attempts - acked.size)
      expect(new Set(stored).size).toBe(stored.length)
      expect(await store.tryWithCompactionLock('doc', async () => 'locked again')).toEqual({
        acquired: true,
        value: 'locked again',
      })
    })
  })
}
