// PostgresDocStore sends the appends of one tick as one statement (the relay flushes its rooms
// together), on a real server started by this file.
import type pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { PostgresDocStore, StorageError, StoreClosedError } from '../src/index'
import { patternBytes } from './contract-helpers'
import { SERVER_HOOK_TIMEOUT_MS, requirePostgres, startPostgres, type PostgresServer } from './pg-server'

if (requirePostgres('PostgresDocStore: appends of one tick')) {
  let server: PostgresServer
  let databaseUrl: string
  let schemaNumber = 0
  const stores: PostgresDocStore[] = []

  beforeAll(async () => {
    server = await startPostgres()
    databaseUrl = await server.createDatabase('append_batch')
  }, SERVER_HOOK_TIMEOUT_MS)

  afterEach(async () => {
    vi.restoreAllMocks()
    for (const store of stores.splice(0)) await store.close()
  })

  afterAll(async () => {
    await server?.close()
  }, SERVER_HOOK_TIMEOUT_MS)

  async function open(schema = `batch_${++schemaNumber}`): Promise<PostgresDocStore> {
    const store = await PostgresDocStore.open({ databaseUrl, schema })
    stores.push(store)
    return store
  }

  /** The names of the statements the store sends from now on. */
  function sentStatements(store: PostgresDocStore): string[] {
    const pool = (store as unknown as { pool: pg.Pool }).pool
    const names: string[] = []
    const query = pool.query.bind(pool) as (config: pg.QueryConfig) => Promise<pg.QueryResult>
    vi.spyOn(pool, 'query').mockImplementation(((config: pg.QueryConfig) => {
      names.push(config.name ?? config.text)
      return query(config)
    }) as typeof pool.query)
    return names
  }

  describe('PostgresDocStore: appends of one tick', () => {
    it('go in one statement, each document with its own sequence numbers, in call order', async () => {
      const store = await open()
      const sent = sentStatements(store)
      const appended = await Promise.all([
        store.append('a', [patternBytes(10, 1)]),
        store.append('b', [patternBytes(10, 2), patternBytes(10, 3)]),
        store.append('a', [patternBytes(10, 4), patternBytes(10, 5)]),
      ])
      expect(sent).toEqual(['collab_storage_append_many'])
      expect(appended).toEqual([1, 2, 3])
      expect((await store.load('a')).updates).toEqual([patternBytes(10, 1), patternBytes(10, 4), patternBytes(10, 5)])
      expect(await store.load('b')).toMatchObject({ updates: [patternBytes(10, 2), patternBytes(10, 3)], lastSeq: 2 })
      expect(await store.stats('a')).toEqual({ snapshotBytes: 0, logEntries: 3, logBytes: 30 })
    })

    it('of one document use the single-document statement', async () => {
      const store = await open()
      const sent = sentStatements(store)
      expect(await Promise.all([store.append('a', [patternBytes(10, 1)]), store.append('a', [patternBytes(10, 2)])])).toEqual([1, 2])
      expect(sent).toEqual(['collab_storage_append'])
    })

    it('go 100 documents per statement', async () => {
      const store = await open()
      const sent = sentStatements(store)
      const docIds = Array.from({ length: 250 }, (_, index) => `doc-${index}`)
      expect(await Promise.all(docIds.map((docId, index) => store.append(docId, [patternBytes(10, index)])))).toEqual(docIds.map(() => 1))
      expect(sent).toEqual(Array.from({ length: 3 }, () => 'collab_storage_append_many'))
      expect(await Promise.all(docIds.map((docId, index) => store.append(docId, [patternBytes(10, index + 1)])))).toEqual(docIds.map(() => 2))
      expect((await store.load('doc-249')).updates).toEqual([patternBytes(10, 249), patternBytes(10, 250)])
    })

    it('are sent before the store closes', async () => {
      const store = await open()
      const appended = store.append('doc', [patternBytes(10, 7)])
      await store.close()
      expect(await appended).toBe(1)
      const reopened = await open(store.schema)
      expect((await reopened.load('doc')).updates).toEqual([patternBytes(10, 7)])
      await expect(store.append('doc', [patternBytes(10, 8)])).rejects.toBeInstanceOf(StoreClosedError)
    })

    it('all fail when their statement fails, each naming its document, and nothing of them is stored', async () => {
      const store = await open()
      await store.append('ok', [patternBytes(10, 1)])
      // A trigger that refuses one particular update makes the whole statement fail.
      await server.query(
        `CREATE FUNCTION ${store.schema}.refuse_marked() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN IF NEW.data = '\\xdead'::bytea THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER refuse_marked BEFORE INSERT ON ${store.schema}.updates FOR EACH ROW EXECUTE FUNCTION ${store.schema}.refuse_marked()`,
        [],
        new URL(databaseUrl).pathname.slice(1),
      )
      const results = await Promise.allSettled([
        store.append('ok', [patternBytes(10, 2)]),
        store.append('marked', [new Uint8Array([0xde, 0xad])]),
      ])
      const errors = results.map((result) => (result.status === 'rejected' ? (result.reason as Error) : null))
      expect(errors.map((error) => error instanceof StorageError)).toEqual([true, true])
      expect(errors[0]!.message).toContain('document "ok"')
      expect(errors[0]!.message).toContain('refused by the test')
      expect(errors[1]!.message).toContain('document "marked"')
      expect(await store.stats('ok')).toMatchObject({ logEntries: 1 })
      expect((await store.load('marked')).lastSeq).toBe(0)
      // The next tick's appends are not affected.
      expect(await store.append('ok', [patternBytes(10, 3)])).toBe(2)
    })

    it('from two relays writing the same documents in opposite orders never deadlock', async () => {
      const first = await open()
      const second = await open(first.schema)
      const docIds = Array.from({ length: 60 }, (_, index) => `doc-${String(index).padStart(2, '0')}`)
      const reversed = [...docIds].reverse()
      const rounds = 15
      for (let round = 0; round < rounds; round++) {
        // One statement per store and round, both running at once; the second lists the
        // documents in the opposite order (and half of them twice).
        await Promise.all([
          ...docIds.map((docId) => first.append(docId, [patternBytes(8, round)])),
          ...reversed.map((docId) => second.append(docId, [patternBytes(8, round + 100)])),
          ...docIds.slice(0, 30).map((docId) => second.append(docId, [patternBytes(8, round + 200)])),
        ])
      }
      for (const docId of docIds) {
        const expected = docId < 'doc-30' ? rounds * 3 : rounds * 2
        expect((await first.load(docId)).lastSeq).toBe(expected)
      }
    })
  })
}
